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

// zod/mini rather than the classic API: same engine and issues, but a
// lighter import and cheaper schema construction, and this module is loaded
// on the way to the first prompt (bench/config_load.ts has the figures).
import { z } from "zod/mini";
import { BACKEND_KINDS } from "../llm/types.ts";
import { isRecord } from "../util/json.ts";
import { type SandboxConfig, SandboxSchema } from "./sandbox_schema.ts";

/** When MCP servers connect: before the prompt, right after it, or on first use. */
export const STARTUP_MODES = ["lazy", "eager", "background"] as const;
/** A value of {@linkcode STARTUP_MODES}. */
export type StartupMode = (typeof STARTUP_MODES)[number];

/** Provider families an `[llm.backends.NAME]` table can be: the LLM area's kinds. */
export const BACKEND_TYPES = BACKEND_KINDS;
/** A value of {@linkcode BACKEND_TYPES}. */
export type BackendType = (typeof BACKEND_TYPES)[number];

/** Context-window strategies. */
export const CONTEXT_STRATEGIES = ["sliding_window", "smart"] as const;
/** Terminal colour modes. */
export const COLOR_MODES = ["auto", "always", "never"] as const;

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

const positiveInt = () => z.int().check(z.positive());
const nonNegativeInt = () => z.int().check(z.nonnegative());
const positiveNumber = () => z.number().check(z.positive());
const nonNegativeNumber = () => z.number().check(z.nonnegative());
const nonEmptyString = () => z.string().check(z.minLength(1));
const stringMap = () => z.record(z.string(), z.string());
const httpUrl = () => z.url({ protocol: /^https?$/ });
const envName = z.string().check(z.refine((v) => ENV_NAME_PATTERN.test(v), {
  params: { expected: "an environment variable name (letters, digits, _)" },
}));

// ---------------------------------------------------------------- [llm]

const BackendInputSchema = z.strictObject({
  type: z.optional(z.enum(BACKEND_TYPES)),
  model: z.optional(nonEmptyString()),
  api_key_env: z.optional(envName),
  /** Discouraged: a key in a file. The loader warns; `config show` redacts it. */
  api_key: z.optional(nonEmptyString()),
  base_url: z.optional(httpUrl()),
  region: z.optional(nonEmptyString()),
  headers: z.optional(stringMap()),
});

function withBuiltinBackends(input: unknown): unknown {
  if (input === undefined) return { ...BUILTIN_BACKENDS };
  if (!isRecord(input)) return input;
  const merged: Record<string, unknown> = {};
  for (const [name, defaults] of Object.entries(BUILTIN_BACKENDS)) {
    const given = input[name];
    merged[name] = given === undefined
      ? { ...defaults }
      : isRecord(given)
      ? { ...defaults, ...given }
      : given;
  }
  for (const [name, given] of Object.entries(input)) {
    if (!(name in merged)) merged[name] = given;
  }
  return merged;
}

const BackendsSchema = z.pipe(
  z.pipe(
    z.transform(withBuiltinBackends),
    z.record(nonEmptyString(), BackendInputSchema),
  ).check(z.superRefine((backends, ctx) => {
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
  })),
  z.transform((backends: Record<string, z.output<typeof BackendInputSchema>>) => {
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
  }),
);

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
  input: nonNegativeNumber(),
  output: nonNegativeNumber(),
  cached_input: z.optional(nonNegativeNumber()),
});

const LlmSchema = z
  .strictObject({
    default: z._default(nonEmptyString(), "anthropic"),
    max_tokens: z._default(positiveInt(), 4096),
    temperature: z.optional(z.number().check(z.minimum(0), z.maximum(2))),
    timeout_seconds: z._default(positiveNumber(), 600),
    idle_timeout_seconds: z._default(positiveNumber(), 120),
    backends: z.prefault(BackendsSchema, {}),
    breaker: z.prefault(
      z.strictObject({
        failure_threshold: z._default(positiveInt(), 3),
        reset_seconds: z._default(positiveNumber(), 60),
        half_open_successes: z._default(positiveInt(), 1),
      }),
      {},
    ),
    retry: z.prefault(
      z.strictObject({
        max_attempts: z._default(positiveInt(), 3),
        base_ms: z._default(nonNegativeInt(), 500),
        max_ms: z._default(nonNegativeInt(), 20_000),
      }),
      {},
    ),
    pricing: z._default(z.record(nonEmptyString(), PricingSchema), {}),
  })
  .check(z.superRefine((llm, ctx) => {
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
  }));

// ---------------------------------------------------------------- [mcp]

const StartupModeSchema = z.enum(STARTUP_MODES);

const SERVER_TYPES = ["stdio", "http", "sse", "streamable-http", "streamableHttp"] as const;

/** OAuth for a remote server (`[mcp.servers.NAME.oauth]`); tokens are kept in the session store. */
const OAuthSchema = z.strictObject({
  redirect_url: z.optional(httpUrl()),
  client_name: z.optional(nonEmptyString()),
  scope: z.optional(nonEmptyString()),
  grant: z.optional(z.enum(["authorization_code", "client_credentials", "cross_app_access"])),
  idp_token_endpoint: z.optional(httpUrl()),
  idp_client_id: z.optional(nonEmptyString()),
  id_token: z.optional(nonEmptyString()),
  private_key_pem: z.optional(nonEmptyString()),
  signing_algorithm: z.optional(nonEmptyString()),
  client_metadata_url: z.optional(httpUrl()),
  client_id: z.optional(nonEmptyString()),
  client_secret: z.optional(nonEmptyString()),
  allowed_hosts: z.optional(z.array(nonEmptyString())),
});

/** OAuth settings of a remote server. */
export type OAuthConfig = z.output<typeof OAuthSchema>;

const ServerInputSchema = z.strictObject({
  type: z.optional(z.enum(SERVER_TYPES)),
  command: z.optional(nonEmptyString()),
  args: z.optional(z.array(z.string())),
  env: z.optional(stringMap()),
  cwd: z.optional(nonEmptyString()),
  url: z.optional(httpUrl()),
  headers: z.optional(stringMap()),
  oauth: z.optional(OAuthSchema),
  startup_mode: z.optional(StartupModeSchema),
  enabled: z._default(z.boolean(), true),
  sandbox: z.optional(SandboxSchema),
});

type ServerInput = z.output<typeof ServerInputSchema>;

const STDIO_ONLY = ["args", "env", "cwd", "sandbox"] as const;

function checkServer(server: ServerInput, ctx: z.core.$RefinementCtx<ServerInput>): void {
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
    if (server.url !== undefined || server.headers !== undefined || server.oauth !== undefined) {
      const key = server.url !== undefined
        ? "url"
        : server.headers !== undefined
        ? "headers"
        : "oauth";
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
  /** OS sandbox of its process (omitted: the default policy; `false`: none). */
  sandbox?: SandboxConfig;
}

/** A server reached over streamable HTTP (`"http"`) or legacy HTTP+SSE (`"sse"`). */
export interface HttpServerConfig {
  /** Transport (`"streamable-http"` in a file is normalized to `"http"`). */
  type: "http" | "sse";
  /** Endpoint URL. */
  url: string;
  /** Extra request headers (redacted by `config show`). */
  headers: Record<string, string>;
  /** OAuth (authorization code with a loopback redirect, or client credentials). */
  oauth?: OAuthConfig;
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
export const ServerSchema = z.pipe(
  ServerInputSchema.check(z.superRefine(checkServer)),
  z.transform((server: ServerInput): ServerConfig => {
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
        ...(server.sandbox !== undefined ? { sandbox: server.sandbox } : {}),
        ...common,
      };
    }
    return {
      type: server.type === "sse" ? "sse" : "http",
      url: server.url ?? "",
      headers: server.headers ?? {},
      ...(server.oauth !== undefined ? { oauth: server.oauth } : {}),
      ...common,
    };
  }),
);

/** A server definition as written (every key optional): what `ServerSchema` accepts. */
export type ServerConfigInput = z.input<typeof ServerSchema>;

const ServerNameSchema = z.string().check(z.refine((v) => SERVER_NAME_PATTERN.test(v), {
  params: {
    expected: "a server name of 1-64 letters, digits, '_', '-' or '.', " +
      "starting with a letter or digit",
  },
}));

const McpSchema = z.strictObject({
  startup_mode: z._default(StartupModeSchema, "lazy"),
  servers_file: z.optional(nonEmptyString()),
  request_timeout_seconds: z._default(positiveNumber(), 60),
  roots: z._default(z.array(z.string()), ["."]),
  reconnect: z.prefault(
    z.strictObject({
      max_attempts: z._default(nonNegativeInt(), 5),
      base_ms: z._default(nonNegativeInt(), 500),
      max_ms: z._default(nonNegativeInt(), 30_000),
    }),
    {},
  ),
  servers: z._default(z.record(ServerNameSchema, ServerSchema), {}),
});

// ---------------------------------------------------------------- the rest

const McpServerModeSchema = z.strictObject({
  // Serving alongside the REPL is opt-in; `mcpchat serve` turns a transport on explicitly.
  stdio_enabled: z._default(z.boolean(), false),
  http_enabled: z._default(z.boolean(), false),
  host: z._default(nonEmptyString(), "127.0.0.1"),
  port: z._default(z.int().check(z.minimum(0), z.maximum(65_535)), 8931),
  token: z.optional(nonEmptyString()),
  /** Tools the `chat` tool's model may call (globs on `server__tool`); nobody is there to ask. */
  allow_tools: z._default(z.array(nonEmptyString()), []),
  /** Browser origins allowed besides this machine's own (DNS-rebinding protection). */
  allowed_origins: z._default(z.array(nonEmptyString()), []),
  max_body_bytes: z._default(positiveInt(), 4 * 1024 * 1024),
  /** Requests per second per client; 0 turns the limit off. */
  rate_limit_per_second: z._default(nonNegativeInt(), 50),
});

const UiSchema = z.strictObject({
  color: z._default(z.enum(COLOR_MODES), "auto"),
  markdown: z._default(z.boolean(), true),
  progress_interval_ms: z._default(positiveInt(), 100),
  /** How often `/cache watch` refreshes. */
  cache_refresh_ms: z._default(positiveInt(), 1000),
});

const ContextSchema = z.strictObject({
  strategy: z._default(z.enum(CONTEXT_STRATEGIES), "sliding_window"),
  max_tokens: z._default(positiveInt(), 100_000),
  reserve_tokens: z._default(nonNegativeInt(), 4096),
});

const SessionSchema = z.strictObject({
  /** Empty means "the XDG data dir"; the loader always resolves it to an absolute path. */
  data_dir: z._default(z.string(), ""),
  autosave: z._default(z.boolean(), true),
  page_size: z._default(positiveInt(), 200),
});

const AliasNameSchema = z.string().check(z.refine((v) => ALIAS_NAME_PATTERN.test(v), {
  params: { expected: "an alias name (a letter, then letters, digits, '_' or '-')" },
}));

const AliasesSchema = z.pipe(
  z.record(
    AliasNameSchema,
    z.union([nonEmptyString(), z.array(nonEmptyString()).check(z.minLength(1))]),
  ),
  z.transform((aliases: Record<string, string | string[]>) => {
    const out: Record<string, string[]> = {};
    for (const [name, commands] of Object.entries(aliases)) {
      out[name] = typeof commands === "string" ? [commands] : commands;
    }
    return out;
  }),
);

const category = () => z._default(z.boolean(), true);

const NotificationsSchema = z.strictObject({
  history_size: z._default(nonNegativeInt(), 1000),
  categories: z.prefault(
    z.strictObject({
      progress: category(),
      logging: category(),
      resources: category(),
      tools: category(),
      prompts: category(),
      cancelled: category(),
      elicitation: category(),
      tasks: category(),
      connection: category(),
      other: category(),
    }),
    {},
  ),
});

const CacheSchema = z.strictObject({
  max_entries: z._default(nonNegativeInt(), 500),
  max_bytes: z._default(nonNegativeInt(), 52_428_800),
});

const HealthSchema = z.strictObject({
  heartbeat_ms: z._default(positiveInt(), 2000),
  missed_heartbeats: z._default(positiveInt(), 3),
  max_heap_mb: z._default(positiveInt(), 100),
  max_queue: z._default(positiveInt(), 1000),
});

const TelemetrySchema = z.strictObject({
  enabled: z._default(z.boolean(), false),
});

const ToolsSchema = z.strictObject({
  allow: z._default(z.array(nonEmptyString()), []),
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
  llm: z.prefault(LlmSchema, {}),
  mcp: z.prefault(McpSchema, {}),
  mcp_server: z.prefault(McpServerModeSchema, {}),
  ui: z.prefault(UiSchema, {}),
  context: z.prefault(ContextSchema, {}),
  session: z.prefault(SessionSchema, {}),
  aliases: z._default(AliasesSchema, {}),
  notifications: z.prefault(NotificationsSchema, {}),
  cache: z.prefault(CacheSchema, {}),
  health: z.prefault(HealthSchema, {}),
  telemetry: z.prefault(TelemetrySchema, {}),
  tools: z.prefault(ToolsSchema, {}),
});

/** The validated, defaulted configuration (what every service receives its section of). */
export type Config = z.output<typeof ConfigSchema>;

/** What a config file may contain (every key optional). */
export type ConfigInput = z.input<typeof ConfigSchema>;
