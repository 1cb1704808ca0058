/**
 * The `[llm]` configuration section and how a backend name resolves to a
 * concrete provider endpoint, model and credentials.
 *
 * @module
 */

import { BACKEND_KINDS, type BackendKind } from "./types.ts";

/** `[llm.backends.NAME]` as written in config.toml. */
export interface LlmBackendConfig {
  /** Provider family; defaults to NAME when NAME is a kind, else `openai-compatible`. */
  type?: BackendKind;
  model?: string;
  /** Name of the environment variable holding the API key. */
  api_key_env?: string;
  base_url?: string;
  /** AWS region (bedrock). */
  region?: string;
  /** Extra HTTP headers sent with every request (e.g. OpenRouter's `HTTP-Referer`). */
  headers?: Record<string, string>;
  /** A key written in the config file (discouraged; `api_key_env` is preferred). */
  api_key?: string;
  /**
   * Set by the config loader, which lists built-in backends even when the
   * user did not. Only used for Ollama (no key to check): `false` means the
   * user never asked for a local server.
   */
  configured?: boolean;
}

/** `[llm]` as written in config.toml (snake_case, every field optional). */
export interface LlmConfig {
  /** Backend used when a request names none. */
  default?: string;
  max_tokens?: number;
  temperature?: number;
  /** Overall limit for one call (all retries included). Default 600. */
  timeout_seconds?: number;
  /** Longest silence before the first or between two streamed chunks (reasoning models can think for minutes without sending anything). Default 120. */
  idle_timeout_seconds?: number;
  backends?: Record<string, LlmBackendConfig>;
  breaker?: { failure_threshold?: number; reset_seconds?: number; half_open_successes?: number };
  retry?: { max_attempts?: number; base_ms?: number; max_ms?: number };
  /** USD per million tokens, keyed by model id. */
  pricing?: Record<string, { input: number; output: number; cached_input?: number }>;
}

/** Reads one environment variable; `undefined` when unset or not permitted. */
export type EnvLookup = (name: string) => string | undefined;

/**
 * An {@linkcode EnvLookup} over `Deno.env` that treats a variable the worker
 * may not read (`NotCapable`) as unset.
 *
 * @example
 * ```ts
 * import { denoEnv } from "./config.ts";
 * console.log(denoEnv("ANTHROPIC_API_KEY") !== undefined);
 * ```
 */
export const denoEnv: EnvLookup = (name) => {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
};

/** Static facts about a provider family. */
export interface KindDefaults {
  /** Default model when config names none. */
  model: string;
  /** Default API key variable, if the provider needs one. */
  apiKeyEnv?: string;
  /** Default base URL. `{region}` is replaced for bedrock. */
  baseUrl: string;
  /** Environment variable that overrides the base URL. */
  baseUrlEnv?: string;
}

/** Defaults per provider family. */
export const KIND_DEFAULTS: Readonly<Record<BackendKind, KindDefaults>> = {
  anthropic: {
    model: "claude-sonnet-4-5",
    apiKeyEnv: "ANTHROPIC_API_KEY",
    baseUrl: "https://api.anthropic.com/v1",
    // @ai-sdk/anthropic reads it at import (its default instance), so the worker may read it too.
    baseUrlEnv: "ANTHROPIC_BASE_URL",
  },
  openai: {
    model: "gpt-4.1",
    apiKeyEnv: "OPENAI_API_KEY",
    baseUrl: "https://api.openai.com/v1",
    baseUrlEnv: "OPENAI_BASE_URL",
  },
  "openai-compatible": { model: "", baseUrl: "" },
  ollama: { model: "llama3.2", baseUrl: "http://127.0.0.1:11434", baseUrlEnv: "OLLAMA_HOST" },
  gemini: {
    model: "gemini-2.5-flash",
    apiKeyEnv: "GEMINI_API_KEY",
    baseUrl: "https://generativelanguage.googleapis.com/v1beta",
  },
  bedrock: {
    model: "anthropic.claude-3-5-haiku-20241022-v1:0",
    baseUrl: "https://bedrock-runtime.{region}.amazonaws.com",
  },
};

/** AWS variables the bedrock backend reads. */
export const AWS_ENV = {
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
  sessionToken: "AWS_SESSION_TOKEN",
  region: "AWS_REGION",
  bearerToken: "AWS_BEARER_TOKEN_BEDROCK",
} as const;

/** Everything needed to talk to one backend, resolved from config and env. */
export interface ResolvedBackend {
  /** Name as configured (`groq`), or the kind for built-ins. */
  name: string;
  kind: BackendKind;
  /** Default model ("" when none is known: the request must name one). */
  model: string;
  /** Base URL of the provider API, without trailing slash. */
  baseUrl: string;
  /** Key variable name, if the backend uses one. */
  apiKeyEnv?: string;
  apiKey?: string;
  /** Bedrock only. */
  region?: string;
  aws?: {
    accessKeyId?: string;
    secretAccessKey?: string;
    sessionToken?: string;
    bearerToken?: string;
  };
  headers?: Record<string, string>;
  /** True when the backend can be called. */
  configured: boolean;
  /** Why not, and exactly what to set, when not configured. */
  missing?: string;
  /** Environment variables this backend reads (for worker permissions). */
  envVars: string[];
  /** True when the backend appears in `llm.backends`. */
  explicit: boolean;
}

/** Names of the built-in backends (the kinds except `openai-compatible`). */
export const BUILTIN_BACKENDS: readonly BackendKind[] = BACKEND_KINDS.filter((k) =>
  k !== "openai-compatible"
);

/**
 * Provider family of backend `name`.
 *
 * @example
 * ```ts
 * import { backendKind } from "./config.ts";
 * backendKind("groq", { type: "openai-compatible" }); // "openai-compatible"
 * backendKind("anthropic", undefined); // "anthropic"
 * ```
 */
export function backendKind(name: string, entry: LlmBackendConfig | undefined): BackendKind {
  if (entry?.type) return entry.type;
  return BACKEND_KINDS.find((kind) => kind === name) ?? "openai-compatible";
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** `OLLAMA_HOST` may be `host:port`, `host`, or a URL; returns a URL. */
function ollamaUrl(value: string): string {
  const v = value.trim();
  if (/^https?:\/\//.test(v)) return trimSlash(v);
  return `http://${v.includes(":") ? v : `${v}:11434`}`;
}

/**
 * Resolves one backend from config and environment.
 *
 * @example
 * ```ts
 * import { resolveBackend } from "./config.ts";
 * const b = resolveBackend("anthropic", {}, () => undefined);
 * console.log(b.configured, b.missing); // false "set ANTHROPIC_API_KEY"
 * ```
 */
export function resolveBackend(name: string, config: LlmConfig, env: EnvLookup): ResolvedBackend {
  const entry = config.backends?.[name];
  const kind = backendKind(name, entry);
  const defaults = KIND_DEFAULTS[kind];
  const explicit = entry !== undefined;
  const envVars: string[] = [];
  const base: Pick<ResolvedBackend, "name" | "kind" | "explicit" | "headers"> = {
    name,
    kind,
    explicit,
    headers: entry?.headers,
  };
  const model = entry?.model ?? defaults.model;
  const baseUrlFromEnv = defaults.baseUrlEnv ? env(defaults.baseUrlEnv) : undefined;
  if (defaults.baseUrlEnv) envVars.push(defaults.baseUrlEnv);

  if (kind === "bedrock") {
    const region = entry?.region ?? env(AWS_ENV.region);
    // `api_key_env` names a Bedrock API key (bearer token) variable.
    const bearerEnv = entry?.api_key_env ?? AWS_ENV.bearerToken;
    const aws = {
      accessKeyId: env(AWS_ENV.accessKeyId),
      secretAccessKey: env(AWS_ENV.secretAccessKey),
      sessionToken: env(AWS_ENV.sessionToken),
      bearerToken: env(bearerEnv),
    };
    envVars.push(...Object.values(AWS_ENV));
    if (!envVars.includes(bearerEnv)) envVars.push(bearerEnv);
    const hasKeys = (aws.accessKeyId && aws.secretAccessKey) || aws.bearerToken;
    const missing = !hasKeys
      ? `set ${AWS_ENV.accessKeyId} and ${AWS_ENV.secretAccessKey} (or ${bearerEnv})${
        region ? "" : ` and ${AWS_ENV.region}`
      }`
      : !region
      ? `set ${AWS_ENV.region} or llm.backends.${name}.region`
      : undefined;
    const baseUrl = trimSlash(
      entry?.base_url ?? defaults.baseUrl.replace("{region}", region ?? "us-east-1"),
    );
    return {
      ...base,
      model,
      baseUrl,
      region,
      aws,
      apiKeyEnv: bearerEnv,
      configured: missing === undefined,
      missing,
      envVars,
    };
  }

  if (kind === "ollama") {
    const url = entry?.base_url
      ? trimSlash(entry.base_url)
      : baseUrlFromEnv
      ? ollamaUrl(baseUrlFromEnv)
      : defaults.baseUrl;
    const configured = entry?.base_url !== undefined || baseUrlFromEnv !== undefined ||
      (explicit && entry.configured !== false);
    return {
      ...base,
      model,
      baseUrl: url.replace(/\/api$/, ""),
      configured,
      missing: configured ? undefined : `set OLLAMA_HOST or add [llm.backends.${name}]`,
      envVars,
    };
  }

  const apiKeyEnv = entry?.api_key_env ?? defaults.apiKeyEnv;
  const apiKey = entry?.api_key ?? (apiKeyEnv ? env(apiKeyEnv) : undefined);
  if (apiKeyEnv) envVars.unshift(apiKeyEnv);
  const baseUrl = trimSlash(entry?.base_url ?? baseUrlFromEnv ?? defaults.baseUrl);
  let missing: string | undefined;
  if (kind === "openai-compatible" && !baseUrl) {
    missing = `set llm.backends.${name}.base_url`;
  } else if (kind === "openai-compatible" && !model) {
    missing = `set llm.backends.${name}.model`;
  } else if (apiKeyEnv && !apiKey) {
    missing = `set ${apiKeyEnv}`;
  }
  return {
    ...base,
    model,
    baseUrl,
    apiKeyEnv,
    apiKey,
    configured: missing === undefined,
    missing,
    envVars,
  };
}

/**
 * Names of every backend: the built-ins followed by those only in config.
 *
 * @example
 * ```ts
 * import { backendNames } from "./config.ts";
 * backendNames({ backends: { groq: { type: "openai-compatible" } } }).includes("groq"); // true
 * ```
 */
export function backendNames(config: LlmConfig): string[] {
  const names: string[] = [...BUILTIN_BACKENDS];
  for (const name of Object.keys(config.backends ?? {})) {
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * Splits a model reference as typed after `-m` or `/model`: `groq:llama-3.3`
 * names backend and model; a plain id (`gpt-4.1`, or a Bedrock id such as
 * `anthropic.claude-3-5-haiku-20241022-v1:0`) names only the model. The
 * prefix counts only when it is a backend name.
 *
 * @example
 * ```ts
 * import { splitModelRef } from "./config.ts";
 * splitModelRef("groq:llama-3.3-70b", ["anthropic", "groq"]); // { backend: "groq", model: "llama-3.3-70b" }
 * splitModelRef("amazon.nova-pro-v1:0", ["bedrock"]); // { model: "amazon.nova-pro-v1:0" }
 * ```
 */
export function splitModelRef(
  ref: string,
  backends: readonly string[],
): { backend?: string; model: string } {
  const colon = ref.indexOf(":");
  if (colon > 0 && backends.includes(ref.slice(0, colon))) {
    return { backend: ref.slice(0, colon), model: ref.slice(colon + 1) };
  }
  return { model: ref };
}
