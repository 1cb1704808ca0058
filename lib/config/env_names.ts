/**
 * Names of the environment variables the config loader reads, as a static
 * list (no zod, no parsing) so the host can build the config worker's `env`
 * permission without loading the schema.
 *
 * @module
 */

import { MCPCHAT_ENV_SETTINGS } from "./env_keys.ts";
import { PATH_ENV_VARS } from "./paths.ts";

/** Provider variables that override settings (not secrets). */
export const PROVIDER_SETTING_ENV = {
  /** → `llm.backends.openai.base_url` */
  OPENAI_BASE_URL: ["llm", "backends", "openai", "base_url"],
  /** → `llm.backends.ollama.base_url` (`host:port` is accepted and normalized) */
  OLLAMA_HOST: ["llm", "backends", "ollama", "base_url"],
  /** → `llm.backends.bedrock.region` */
  AWS_REGION: ["llm", "backends", "bedrock", "region"],
  /** → `llm.backends.bedrock.region` when `AWS_REGION` is unset */
  AWS_DEFAULT_REGION: ["llm", "backends", "bedrock", "region"],
} as const;

/**
 * Secret variables whose presence (never value) decides whether a backend is
 * `configured`. Besides the built-in ones, the usual keys of popular
 * OpenAI-compatible services, so a `[llm.backends.groq]` with
 * `api_key_env = "GROQ_API_KEY"` can be checked from the narrowed worker.
 */
export const PROVIDER_KEY_ENV = [
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "GEMINI_API_KEY",
  "GOOGLE_GENERATIVE_AI_API_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_BEARER_TOKEN_BEDROCK",
  "GROQ_API_KEY",
  "MISTRAL_API_KEY",
  "DEEPSEEK_API_KEY",
  "OPENROUTER_API_KEY",
  "TOGETHER_API_KEY",
  "FIREWORKS_API_KEY",
  "XAI_API_KEY",
  "CEREBRAS_API_KEY",
  "PERPLEXITY_API_KEY",
] as const;

/**
 * `MCPCHAT_*` variables that are not config settings (read elsewhere), so the
 * loader does not call them unknown.
 */
export const MCPCHAT_NON_CONFIG_ENV = [
  "MCPCHAT_KV_URL",
  "MCPCHAT_STARTUP_PROFILING",
  "MCPCHAT_CONFIG",
] as const;

/**
 * Every variable the config loader may read: `MCPCHAT_CONFIG` (the config
 * file when `--config` is not given), XDG/home paths, provider settings and
 * key presence, and each `MCPCHAT_*` setting. This is the config worker's
 * exact `env` permission.
 *
 * @example
 * ```ts
 * import { configEnvNames } from "./env_names.ts";
 * console.log(configEnvNames().includes("MCPCHAT_MCP_STARTUP_MODE")); // true
 * ```
 */
export function configEnvNames(): string[] {
  return [
    "MCPCHAT_CONFIG",
    ...PATH_ENV_VARS,
    ...Object.keys(PROVIDER_SETTING_ENV),
    ...PROVIDER_KEY_ENV,
    ...Object.keys(MCPCHAT_ENV_SETTINGS),
  ];
}

/**
 * Builds an environment snapshot from the listed names only, treating a name
 * the caller may not read (`NotCapable`) as unset. Use it where the loader
 * runs under a narrowed `env` permission.
 *
 * @example
 * ```ts
 * import { configEnvNames, readEnv } from "./env_names.ts";
 * const env = readEnv(configEnvNames(), (name) => Deno.env.get(name));
 * console.log("HOME" in env || true);
 * ```
 */
export function readEnv(
  names: readonly string[],
  get: (name: string) => string | undefined,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of names) {
    try {
      const value = get(name);
      if (value !== undefined) env[name] = value;
    } catch {
      // Not permitted in this worker: the same as unset.
    }
  }
  return env;
}
