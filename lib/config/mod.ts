/**
 * mcpchat configuration: `config.toml` at `$XDG_CONFIG_HOME/mcpchat/` (or
 * `--config FILE`, or a Claude-style `mcpServers` JSON file), environment
 * overrides, validation with file:line:column errors, and `config show`
 * output with secrets redacted.
 *
 * Environment overrides: `ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `GEMINI_API_KEY`
 * (or `GOOGLE_GENERATIVE_AI_API_KEY`), AWS keys: presence only, reported as
 * each backend's `configured`; keys are never copied into the config.
 * `OPENAI_BASE_URL`, `OLLAMA_HOST`, `AWS_REGION`: settings. `MCPCHAT_<SECTION>_<KEY>`
 * (nested tables joined with `_`, e.g. `MCPCHAT_LLM_BREAKER_FAILURE_THRESHOLD`)
 * sets any scalar setting; values are read as TOML scalars. `MCPCHAT_CONFIG`
 * names the config file when `--config` is not given.
 *
 * @example
 * ```ts
 * import { CONFIG_ERROR_EXIT_CODE, ConfigError, formatConfig, loadConfig } from "./mod.ts";
 * try {
 *   const { config, warnings } = await loadConfig({ env: Deno.env.toObject() });
 *   warnings.forEach((w) => console.error(`warning: ${w}`));
 *   console.log(formatConfig(config));
 * } catch (e) {
 *   if (!(e instanceof ConfigError)) throw e;
 *   console.error(e.message);
 *   Deno.exit(CONFIG_ERROR_EXIT_CODE);
 * }
 * ```
 *
 * @module
 */

import { ConfigError, type ConfigIssue, ConfigValidationError, formatIssue } from "./errors.ts";
import { configEnvNames, readEnv } from "./env_names.ts";
import { loadConfig, type ReadTextFile } from "./load.ts";
import type { Env } from "./paths.ts";

export {
  CONFIG_ERROR_EXIT_CODE,
  ConfigError,
  type ConfigErrorCode,
  type ConfigErrorData,
  type ConfigIssue,
  ConfigReadError,
  ConfigSyntaxError,
  ConfigValidationError,
  formatIssue,
} from "./errors.ts";
export {
  formatKeyPath,
  loadConfig,
  type LoadConfigOptions,
  type LoadConfigResult,
  parseEnvValue,
  type ReadTextFile,
  validateServer,
} from "./load.ts";
export { formatConfig, type FormatConfigOptions } from "./format.ts";
export { ConfigFileRefused, MAX_CONFIG_BYTES, readConfigText } from "./read_file.ts";
export {
  addServerToToml,
  type PlannedEdit,
  planServerEdit,
  removeServerFromToml,
  renderServerToml,
  type ServerDefinition,
  type ServerEdit,
} from "./edit.ts";
export {
  type ConfigUpdate,
  type FileWatcher,
  watchConfig,
  type WatchConfigOptions,
} from "./watch.ts";
export type { Clock, TimerHandle } from "../util/clock.ts";
export {
  type AppPaths,
  appPaths,
  cacheDir,
  configDir,
  dataDir,
  defaultConfigPath,
  type Env,
  resolveUserPath,
  stateDir,
} from "./paths.ts";
export {
  BACKEND_TYPES,
  type BackendConfig,
  type BackendType,
  BUILTIN_BACKENDS,
  type Config,
  type ConfigInput,
  ConfigSchema,
  type HttpServerConfig,
  type ServerConfig,
  STARTUP_MODES,
  type StartupMode,
  type StdioServerConfig,
} from "./schema.ts";
export { REDACTED, redactSecrets } from "./redact.ts";
export { configEnvNames, PROVIDER_KEY_ENV, PROVIDER_SETTING_ENV, readEnv } from "./env_names.ts";
export { type EnvValueKind, MCPCHAT_ENV_SETTINGS } from "./env_keys.ts";

/** One problem reported by {@linkcode validateConfigFile}, with its formatted message. */
export type ValidationEntry = ConfigIssue & {
  /** One line: `file:line:column: key: expected …, got …`. */
  message: string;
};

/** The result of {@linkcode validateConfigFile}. */
export interface ValidationReport {
  /** True when the file loads. */
  ok: boolean;
  /** Every problem found (empty when `ok`). */
  errors: ValidationEntry[];
  /** Non-fatal findings. */
  warnings: string[];
}

/**
 * Every issue carried by a config error (a validation error has many; read
 * and syntax errors have one).
 *
 * @example
 * ```ts
 * import { ConfigError, issuesOf } from "./mod.ts";
 * const e = new ConfigError("CONFIG_READ", "x.toml: cannot read", { file: "x.toml", expected: "a file" });
 * console.log(issuesOf(e)[0].file); // x.toml
 * ```
 */
export function issuesOf(error: ConfigError): ConfigIssue[] {
  if (error instanceof ConfigValidationError) return error.issues;
  return [{
    code: error.code,
    file: error.file,
    line: error.line,
    column: error.column,
    keyPath: error.keyPath ?? "",
    expected: error.expected,
  }];
}

/**
 * Checks a config file (TOML, or `mcpServers` JSON) without throwing:
 * `mcpchat config validate FILE`. Environment overrides apply, as they would
 * at start-up; pass `env` to control them.
 *
 * @example
 * ```ts
 * import { validateConfigFile } from "./mod.ts";
 * const report = await validateConfigFile("/etc/mcpchat.toml", {
 *   env: { HOME: "/home/ada" },
 *   readTextFile: () => Promise.resolve('[mcp]\nstartup_mode = "soon"\n'),
 * });
 * console.log(report.ok, report.errors[0].message);
 * // false /etc/mcpchat.toml:2:16: mcp.startup_mode: expected one of "lazy", "eager", "background", got "soon"
 * ```
 */
export async function validateConfigFile(
  path: string,
  options: { env?: Env; readTextFile?: ReadTextFile } = {},
): Promise<ValidationReport> {
  const env = options.env ?? readEnv(configEnvNames(), (name) => Deno.env.get(name));
  try {
    const { warnings } = await loadConfig({ path, env, readTextFile: options.readTextFile });
    return { ok: true, errors: [], warnings };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const errors = error instanceof ConfigValidationError
      ? error.issues.map((issue) => ({ ...issue, message: formatIssue(issue) }))
      : issuesOf(error).map((issue) => ({ ...issue, message: error.message }));
    return { ok: false, errors, warnings: [] };
  }
}
