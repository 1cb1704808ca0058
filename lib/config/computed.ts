/**
 * Internal to lib/config: fields computed after validation — each backend's
 * `configured` / `missing`, absolute paths — and warnings about keys stored
 * in files.
 *
 * @module
 */

import type { Env } from "./paths.ts";
import { dataDir, resolveUserPath } from "./paths.ts";
import type { Config } from "./schema.ts";
import { baseDirOf, formatKeyPath, type LoadState, place } from "./state.ts";

function isSet(env: Env, name: string): boolean {
  // `api_key_env` is user text: "valueOf" must not find Object.prototype's.
  const value = Object.hasOwn(env, name) ? env[name] : undefined;
  return typeof value === "string" && value.trim() !== "";
}

/** Sets `configured` (and `missing`) on every backend from key presence, never values. */
export function computeBackends(
  state: LoadState,
  config: Config,
  readable?: ReadonlySet<string>,
): void {
  const env = state.env;
  for (const [name, backend] of Object.entries(config.llm.backends)) {
    let missing: string | undefined;
    if (backend.type === "ollama") {
      if (!state.declaredBackends.has(name) && backend.base_url === undefined) {
        missing = `set OLLAMA_HOST or add a [llm.backends.${name}] table`;
      }
    } else if (backend.type === "bedrock") {
      const keys = (isSet(env, "AWS_ACCESS_KEY_ID") && isSet(env, "AWS_SECRET_ACCESS_KEY")) ||
        isSet(env, "AWS_BEARER_TOKEN_BEDROCK");
      if (!keys) {
        missing = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK)";
      } else if (!backend.region) {
        missing = `set AWS_REGION or llm.backends.${name}.region`;
      }
    } else if (backend.api_key === undefined && backend.api_key_env !== undefined) {
      if (
        backend.type === "gemini" && backend.api_key_env === "GEMINI_API_KEY" &&
        !isSet(env, "GEMINI_API_KEY") && isSet(env, "GOOGLE_GENERATIVE_AI_API_KEY")
      ) {
        backend.api_key_env = "GOOGLE_GENERATIVE_AI_API_KEY";
      }
      const variable = backend.api_key_env;
      if (readable && !readable.has(variable)) {
        missing = `${variable} cannot be checked by the config service ` +
          `(not one of the key variables it may read); the llm service reads it itself`;
      } else if (!isSet(env, variable)) {
        missing = `set ${variable}`;
      }
    } else if (
      backend.api_key === undefined && backend.api_key_env === undefined &&
      backend.type !== "openai-compatible"
    ) {
      missing = `set llm.backends.${name}.api_key_env to the variable holding the key`;
    }
    backend.configured = missing === undefined;
    if (missing !== undefined) backend.missing = missing;
  }
}

/** Warns about API keys written into config files. */
export function warnStoredSecrets(state: LoadState, config: Config): void {
  for (const [name, backend] of Object.entries(config.llm.backends)) {
    if (backend.api_key === undefined) continue;
    const path = ["llm", "backends", name, "api_key"];
    const where = place(state, path, "key");
    state.warn(
      where.file,
      where,
      formatKeyPath(path),
      "an API key stored in the config file; prefer api_key_env (the key then stays in your environment)",
    );
  }
}

/** Makes `session.data_dir` and stdio `cwd`s absolute, relative to the file that set them. */
export function resolvePaths(state: LoadState, config: Config): void {
  const session = config.session;
  session.data_dir = session.data_dir === ""
    ? dataDir(state.env)
    : resolveUserPath(session.data_dir, baseDirOf(state, ["session", "data_dir"]), state.env);
  for (const [name, server] of Object.entries(config.mcp.servers)) {
    if (server.type === "stdio" && server.cwd !== undefined) {
      server.cwd = resolveUserPath(
        server.cwd,
        baseDirOf(state, ["mcp", "servers", name, "cwd"]),
        state.env,
      );
    }
  }
}
