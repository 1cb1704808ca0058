/**
 * The zod schema of `config.toml`: every section, every default. Parsing an
 * empty object yields a complete, valid {@linkcode Config}. Every table is
 * strict: an unknown key is an error (the loader adds a "did you mean" hint).
 *
 * Custom issues carry `params.expected` (and optionally `params.got`,
 * `params.hint`) so the loader can print `expected …, got …` messages.
 *
 * @module
 */

import { z } from "zod";

/** When MCP servers connect: before the prompt, right after it, or on first use. */
export const STARTUP_MODES = ["lazy", "eager", "background"] as const;
/** A value of {@linkcode STARTUP_MODES}. */
export type StartupMode = (typeof STARTUP_MODES)[number];

/** Provider families an `[llm.backends.NAME]` table can be. */
export const BACKEND_TYPES = [
  "anthropic",
  "openai",
  "openai-compatible",
  "ollama",
  "gemini",
  "bedrock",
] as const;
/** A value of {@linkcode BACKEND_TYPES}. */
export type BackendType = (typeof BACKEND_TYPES)[number];

/** Context-window strategies. */
export const CONTEXT_STRATEGIES = ["sliding_window", "smart"] as const;
/** Terminal colour modes. */
export const COLOR_MODES = ["auto", "always", "never"] as const;
/** Notification categories that can be switched on and off. */
export const NOTIFICATION_CATEGORIES = [
  "progress",
  "logging",
  "resources",
  "tools",
  "prompts",
  "cancelled",
] as const;

/**
 * The backends that exist without any config, with their defaults. A table
 * `[llm.backends.openai]` is merged over these, so `model = "x"` alone keeps
 * `api_key_env = "OPENAI_API_KEY"`.
 */
export const BUILTIN_BACKENDS: Readonly<
  Record<string, { type: BackendType; model: string; api_key_env?: string }>
> = {
  anthropic: { type: "anthropic", model: "claude-sonnet-4-5", api_key_env: "ANTHROPIC_API_KEY" },
  openai: { type: "openai", model: "gpt-4.1", api_key_env: "OPENAI_API_KEY" },
  ollama: { type: "ollama", model: "llama3.2" },
  gemini: { type: "gemini", model: "gemini-2.5-flash", api_key_env: "GEMINI_API_KEY" },
  bedrock: { type: "bedrock", model: "anthropic.claude-3-5-haiku-20241022-v1:0" },
};

/** Server names: safe in `server__tool` namespacing and on a command line. */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ALIAS_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

const positiveInt = z.int().positive();
const nonNegativeInt = z.int().nonnegative();
const nonNegativeNumber = z.number().nonnegative();
const stringMap = z.record(z.string(), z.string());
const httpUrl = z.url({ protocol: /^https?$/ });
const envName = z.string().refine((v) => ENV_NAME_PATTERN.test(v), {
  params: { expected: "an environment variable name (letters, digits, _)" },
});

// ---------------------------------------------------------------- [llm]

const BackendInputSchema = z.strictObject({
  type: z.enum(BACKEND_TYPES).optional(),
  model: z.string().min(1).optional(),
  api_key_env: envName.optional(),
  /** Discouraged: a key in a file. The loader warns; `config show` redacts it. */
  api_key: z.string().min(1).optional(),
  base_url: httpUrl.optional(),
  region: z.string().min(1).optional(),
  headers: stringMap.optional(),
});

function withBuiltinBackends(input: unknown): unknown {
  if (input === undefined) return { ...BUILTIN_BACKENDS };
  if (!isPlainObject(input)) return input;
  const merged: Record<string, unknown> = {};
  for (const [name, defaults] of Object.entries(BUILTIN_BACKENDS)) {
    const given = input[name];
    merged[name] = given === undefined
      ? { ...defaults }
      : isPlainObject(given)
      ? { ...defaults, ...given }
      : given;
  }
  for (const [name, given] of Object.entries(input)) {
    if (!(name in merged)) merged[name] = given;
  }
  return merged;
}

const BackendsSchema = z
  .preprocess(withBuiltinBackends, z.record(z.string().min(1), BackendInputSchema))
  .superRefine((backends, ctx) => {
    for (const [name, backend] of Object.entries(backends)) {
      const type = backend.type ?? "openai-compatible";
      if (type !== "openai-compatible") continue;
      if (backend.base_url === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [name, "base_url"],
          message: "missing base_url",
          input: undefined,
          params: {
            expected: `a base URL such as "https://api.groq.com/openai/v1" ` +
              `(required for an openai-compatible backend)`,
            hint: BUILTIN_BACKENDS[name] === undefined
              ? `or set type to one of ${BACKEND_TYPES.map((t) => `"${t}"`).join(", ")}`
              : undefined,
          },
        });
      }
      if (backend.model === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [name, "model"],
          message: "missing model",
          input: undefined,
          params: { expected: "a model id (required for an openai-compatible backend)" },
        });
      }
    }
  })
  .transform((backends) => {
    const out: Record<string, BackendConfig> = {};
    for (const [name, { type, model, ...rest }] of Object.entries(backends)) {
      out[name] = {
        type: type ?? BUILTIN_BACKENDS[name]?.type ?? "openai-compatible",
        // model is guaranteed by the defaults (built-ins) or the refinement above.
        model: model ?? "",
        ...rest,
        configured: false,
      };
    }
    return out;
  });

/** One resolved `[llm.backends.NAME]` table. */
export interface BackendConfig {
  /** Provider family. */
  type: BackendType;
  /** Default model id. */
  model: string;
  /** Name of the environment variable holding the API key (never the key itself). */
  api_key_env?: string;
  /** A key written in the file (discouraged; redacted by `config show`). */
  api_key?: string;
  /** Provider base URL (for ollama: the server root, without `/api`). */
  base_url?: string;
  /** AWS region (bedrock). */
  region?: string;
  /** Extra HTTP headers for every request. */
  headers?: Record<string, string>;
  /** Computed by the loader: whether the credentials this backend needs are present. */
  configured: boolean;
  /** Computed by the loader when not configured: what to set, e.g. `set OPENAI_API_KEY`. */
  missing?: string;
}

const PricingSchema = z.strictObject({
  input: nonNegativeNumber,
  output: nonNegativeNumber,
  cached_input: nonNegativeNumber.optional(),
});

const LlmSchema = z
  .strictObject({
    default: z.string().min(1).default("anthropic"),
    max_tokens: positiveInt.default(4096),
    temperature: z.number().min(0).max(2).optional(),
    timeout_seconds: z.number().positive().default(300),
    idle_timeout_seconds: z.number().positive().default(60),
    backends: BackendsSchema.prefault({}),
    breaker: z.strictObject({
      failure_threshold: positiveInt.default(3),
      reset_seconds: z.number().positive().default(60),
      half_open_successes: positiveInt.default(1),
    }).prefault({}),
    retry: z.strictObject({
      max_attempts: positiveInt.default(3),
      base_ms: nonNegativeInt.default(500),
      max_ms: nonNegativeInt.default(20_000),
    }).prefault({}),
    pricing: z.record(z.string().min(1), PricingSchema).default({}),
  })
  .superRefine((llm, ctx) => {
    if (!(llm.default in llm.backends)) {
      const names = Object.keys(llm.backends);
      ctx.addIssue({
        code: "custom",
        path: ["default"],
        message: "unknown backend",
        input: llm.default,
        params: {
          expected: `the name of a backend: ${names.map((n) => `"${n}"`).join(", ")}` +
            ` (or add a [llm.backends.${llm.default}] table)`,
          suggestFrom: names,
        },
      });
    }
  });

// ---------------------------------------------------------------- [mcp]

const StartupModeSchema = z.enum(STARTUP_MODES);

const SERVER_TYPES = ["stdio", "http", "sse", "streamable-http", "streamableHttp"] as const;

const ServerInputSchema = z.strictObject({
  type: z.enum(SERVER_TYPES).optional(),
  command: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  env: stringMap.optional(),
  cwd: z.string().min(1).optional(),
  url: httpUrl.optional(),
  headers: stringMap.optional(),
  startup_mode: StartupModeSchema.optional(),
  enabled: z.boolean().default(true),
});

type ServerInput = z.output<typeof ServerInputSchema>;

const STDIO_ONLY = ["args", "env", "cwd"] as const;

function checkServer(server: ServerInput, ctx: z.RefinementCtx): void {
  const remote = server.type !== undefined && server.type !== "stdio";
  const stdio = server.type === "stdio" || (server.type === undefined && server.url === undefined);
  if (stdio) {
    if (server.command === undefined) {
      ctx.addIssue({
        code: "custom",
        path: server.type === "stdio" ? ["command"] : [],
        message: "missing command",
        input: undefined,
        params: {
          expected: `"command" (a stdio server) or "url" (an http/sse server)`,
        },
      });
    }
    if (server.url !== undefined || server.headers !== undefined) {
      const key = server.url !== undefined ? "url" : "headers";
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `${key} on a stdio server`,
        input: server[key],
        params: {
          expected: `no "${key}" on a stdio server (it has a "command"; ` +
            `for a remote server drop "command" and set type = "http" or "sse")`,
        },
      });
    }
    return;
  }
  if (server.url === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "missing url",
      input: undefined,
      params: { expected: `"url" (required for a server of type "${server.type ?? "http"}")` },
    });
  }
  if (server.command !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["command"],
      message: "command on a remote server",
      input: server.command,
      params: {
        expected: remote
          ? `no "command" on a server of type "${server.type}"`
          : `either "command" (stdio) or "url" (http), not both`,
      },
    });
  }
  for (const key of STDIO_ONLY) {
    if (server[key] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `${key} on a remote server`,
        input: server[key],
        params: { expected: `no "${key}" on an http/sse server ("${key}" is for stdio servers)` },
      });
    }
  }
}

/** A server run as a child process speaking MCP over its stdio. */
export interface StdioServerConfig {
  /** Transport. */
  type: "stdio";
  /** Program to run. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** Extra environment for the child. */
  env: Record<string, string>;
  /** Working directory of the child (absolute after loading). */
  cwd?: string;
  /** Overrides `mcp.startup_mode`. */
  startup_mode?: StartupMode;
  /** `false` keeps it configured but never connects. */
  enabled: boolean;
}

/** A server reached over streamable HTTP (`"http"`) or legacy HTTP+SSE (`"sse"`). */
export interface HttpServerConfig {
  /** Transport (`"streamable-http"` in a file is normalized to `"http"`). */
  type: "http" | "sse";
  /** Endpoint URL. */
  url: string;
  /** Extra request headers (redacted by `config show`). */
  headers: Record<string, string>;
  /** Overrides `mcp.startup_mode`. */
  startup_mode?: StartupMode;
  /** `false` keeps it configured but never connects. */
  enabled: boolean;
}

/** One entry of `mcp.servers`. */
export type ServerConfig = StdioServerConfig | HttpServerConfig;

/**
 * One MCP server entry: `{command, args, env, cwd}` (stdio) or
 * `{type: "http"|"sse"|"streamable-http", url, headers}`; `{url}` alone is http.
 */
export const ServerSchema = ServerInputSchema.superRefine(checkServer).transform(
  (server): ServerConfig => {
    const common = {
      ...(server.startup_mode !== undefined ? { startup_mode: server.startup_mode } : {}),
      enabled: server.enabled,
    };
    if (server.command !== undefined) {
      return {
        type: "stdio",
        command: server.command,
        args: server.args ?? [],
        env: server.env ?? {},
        ...(server.cwd !== undefined ? { cwd: server.cwd } : {}),
        ...common,
      };
    }
    return {
      type: server.type === "sse" ? "sse" : "http",
      url: server.url ?? "",
      headers: server.headers ?? {},
      ...common,
    };
  },
);

const ServerNameSchema = z.string().refine((v) => SERVER_NAME_PATTERN.test(v), {
  params: {
    expected: "a server name of 1-64 letters, digits, '_', '-' or '.', " +
      "starting with a letter or digit",
  },
});

const McpSchema = z.strictObject({
  startup_mode: StartupModeSchema.default("lazy"),
  servers_file: z.string().min(1).optional(),
  request_timeout_seconds: z.number().positive().default(60),
  roots: z.array(z.string()).default(["."]),
  reconnect: z.strictObject({
    max_attempts: nonNegativeInt.default(5),
    base_ms: nonNegativeInt.default(500),
    max_ms: nonNegativeInt.default(30_000),
  }).prefault({}),
  servers: z.record(ServerNameSchema, ServerSchema).default({}),
});

// ---------------------------------------------------------------- the rest

const McpServerModeSchema = z.strictObject({
  stdio_enabled: z.boolean().default(true),
  http_enabled: z.boolean().default(true),
  host: z.string().min(1).default("127.0.0.1"),
  port: z.int().min(0).max(65_535).default(8931),
  token: z.string().min(1).optional(),
});

const UiSchema = z.strictObject({
  color: z.enum(COLOR_MODES).default("auto"),
  markdown: z.boolean().default(true),
  progress_interval_ms: positiveInt.default(100),
});

const ContextSchema = z.strictObject({
  strategy: z.enum(CONTEXT_STRATEGIES).default("sliding_window"),
  max_tokens: positiveInt.default(100_000),
  reserve_tokens: nonNegativeInt.default(4096),
});

const SessionSchema = z.strictObject({
  /** Empty means "the XDG data dir"; the loader always resolves it to an absolute path. */
  data_dir: z.string().default(""),
  autosave: z.boolean().default(true),
  page_size: positiveInt.default(200),
});

const AliasNameSchema = z.string().refine((v) => ALIAS_NAME_PATTERN.test(v), {
  params: { expected: "an alias name (a letter, then letters, digits, '_' or '-')" },
});

const AliasesSchema = z
  .record(AliasNameSchema, z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
  .transform((aliases) => {
    const out: Record<string, string[]> = {};
    for (const [name, commands] of Object.entries(aliases)) {
      out[name] = typeof commands === "string" ? [commands] : commands;
    }
    return out;
  });

const NotificationsSchema = z.strictObject({
  history_size: nonNegativeInt.default(1000),
  categories: z.strictObject({
    progress: z.boolean().default(true),
    logging: z.boolean().default(true),
    resources: z.boolean().default(true),
    tools: z.boolean().default(true),
    prompts: z.boolean().default(true),
    cancelled: z.boolean().default(true),
  }).prefault({}),
});

const CacheSchema = z.strictObject({
  max_entries: nonNegativeInt.default(500),
  max_bytes: nonNegativeInt.default(52_428_800),
});

const HealthSchema = z.strictObject({
  heartbeat_ms: positiveInt.default(2000),
  missed_heartbeats: positiveInt.default(3),
  max_heap_mb: positiveInt.default(100),
  max_queue: positiveInt.default(1000),
});

const TelemetrySchema = z.strictObject({
  enabled: z.boolean().default(false),
});

const ToolsSchema = z.strictObject({
  allow: z.array(z.string().min(1)).default([]),
});

/**
 * The whole configuration. `ConfigSchema.parse({})` is the default config
 * (except `session.data_dir`, which the loader resolves).
 *
 * @example
 * ```ts
 * import { ConfigSchema } from "./schema.ts";
 * const config = ConfigSchema.parse({ mcp: { startup_mode: "eager" } });
 * console.log(config.mcp.startup_mode, config.llm.default); // eager anthropic
 * ```
 */
export const ConfigSchema = z.strictObject({
  llm: LlmSchema.prefault({}),
  mcp: McpSchema.prefault({}),
  mcp_server: McpServerModeSchema.prefault({}),
  ui: UiSchema.prefault({}),
  context: ContextSchema.prefault({}),
  session: SessionSchema.prefault({}),
  aliases: AliasesSchema.default({}),
  notifications: NotificationsSchema.prefault({}),
  cache: CacheSchema.prefault({}),
  health: HealthSchema.prefault({}),
  telemetry: TelemetrySchema.prefault({}),
  tools: ToolsSchema.prefault({}),
});

/** The validated, defaulted configuration (what every service receives its section of). */
export type Config = z.output<typeof ConfigSchema>;

/** What a config file may contain (every key optional). */
export type ConfigInput = z.input<typeof ConfigSchema>;
