/**
 * XDG base-directory paths for mcpchat, computed from an injected environment
 * record (never from `Deno.env` directly) so they are pure and testable.
 *
 * Per the XDG spec, an `XDG_*` variable that is empty or not an absolute path
 * is ignored and the `$HOME`-based default applies.
 *
 * @module
 */

import {
  isAbsolutePath as isAbsolute,
  joinPath as join,
  normalizePath as normalize,
} from "../util/path.ts";
import { ConfigError } from "./errors.ts";

/** An environment snapshot: variable name → value (unset names are absent or `undefined`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** The application directory name under each XDG base directory. */
export const APP_DIR_NAME = "mcpchat";

/** The config file name inside the config directory. */
export const CONFIG_FILE_NAME = "config.toml";

/** Environment variables the path functions read (for worker permissions). */
export const PATH_ENV_VARS = [
  "HOME",
  "USERPROFILE",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "XDG_CACHE_HOME",
] as const;

/**
 * The user's home directory from `HOME` (or `USERPROFILE` on Windows).
 *
 * @throws {ConfigError} `CONFIG_NO_HOME` when neither is set.
 * @example
 * ```ts
 * import { homeDir } from "./paths.ts";
 * console.log(homeDir({ HOME: "/home/ada" })); // /home/ada
 * ```
 */
export function homeDir(env: Env): string {
  const home = env.HOME || env.USERPROFILE;
  if (!home) {
    throw new ConfigError(
      "CONFIG_NO_HOME",
      "cannot locate the home directory: set HOME (or XDG_CONFIG_HOME / XDG_DATA_HOME)",
      { file: "$HOME", expected: "HOME to be set" },
    );
  }
  return home;
}

function xdgBase(env: Env, variable: string, fallback: string[]): string {
  const value = env[variable];
  if (value && isAbsolute(value)) return value;
  return join(homeDir(env), ...fallback);
}

/**
 * `$XDG_CONFIG_HOME/mcpchat`, falling back to `~/.config/mcpchat`.
 *
 * @example
 * ```ts
 * import { configDir } from "./paths.ts";
 * console.log(configDir({ HOME: "/home/ada" })); // /home/ada/.config/mcpchat
 * console.log(configDir({ HOME: "/home/ada", XDG_CONFIG_HOME: "/cfg" })); // /cfg/mcpchat
 * ```
 */
export function configDir(env: Env): string {
  return join(xdgBase(env, "XDG_CONFIG_HOME", [".config"]), APP_DIR_NAME);
}

/**
 * The default config file, `$XDG_CONFIG_HOME/mcpchat/config.toml`.
 *
 * @example
 * ```ts
 * import { defaultConfigPath } from "./paths.ts";
 * console.log(defaultConfigPath({ HOME: "/home/ada" })); // /home/ada/.config/mcpchat/config.toml
 * ```
 */
export function defaultConfigPath(env: Env): string {
  return join(configDir(env), CONFIG_FILE_NAME);
}

/**
 * The config file named for this run, if any: `--config FILE`, else
 * `$MCPCHAT_CONFIG` (blank counts as unset). Such a file must exist.
 *
 * @example
 * ```ts
 * import { explicitConfigPath } from "./paths.ts";
 * console.log(explicitConfigPath({ MCPCHAT_CONFIG: " /etc/m.toml " }), explicitConfigPath({})); // /etc/m.toml undefined
 * ```
 */
export function explicitConfigPath(env: Env, configPath?: string): string | undefined {
  return configPath ?? (env.MCPCHAT_CONFIG?.trim() || undefined);
}

/**
 * The config file a run reads: the {@linkcode explicitConfigPath}, else the
 * default one (which may be absent).
 *
 * @throws {ConfigError} `CONFIG_NO_HOME` when neither is named nor a home is known.
 *
 * @example
 * ```ts
 * import { configFileOf } from "./paths.ts";
 * console.log(configFileOf({ HOME: "/home/ada" })); // /home/ada/.config/mcpchat/config.toml
 * ```
 */
export function configFileOf(env: Env, configPath?: string): string {
  return explicitConfigPath(env, configPath) ?? defaultConfigPath(env);
}

/**
 * `$XDG_DATA_HOME/mcpchat`, falling back to `~/.local/share/mcpchat` (sessions live here).
 *
 * @example
 * ```ts
 * import { dataDir } from "./paths.ts";
 * console.log(dataDir({ HOME: "/home/ada" })); // /home/ada/.local/share/mcpchat
 * ```
 */
export function dataDir(env: Env): string {
  return join(xdgBase(env, "XDG_DATA_HOME", [".local", "share"]), APP_DIR_NAME);
}

/**
 * `$XDG_STATE_HOME/mcpchat`, falling back to `~/.local/state/mcpchat` (REPL history, logs).
 *
 * @example
 * ```ts
 * import { stateDir } from "./paths.ts";
 * console.log(stateDir({ HOME: "/home/ada" })); // /home/ada/.local/state/mcpchat
 * ```
 */
export function stateDir(env: Env): string {
  return join(xdgBase(env, "XDG_STATE_HOME", [".local", "state"]), APP_DIR_NAME);
}

/**
 * `$XDG_CACHE_HOME/mcpchat`, falling back to `~/.cache/mcpchat`.
 *
 * @example
 * ```ts
 * import { cacheDir } from "./paths.ts";
 * console.log(cacheDir({ HOME: "/home/ada" })); // /home/ada/.cache/mcpchat
 * ```
 */
export function cacheDir(env: Env): string {
  return join(xdgBase(env, "XDG_CACHE_HOME", [".cache"]), APP_DIR_NAME);
}

/** All mcpchat directories at once. */
export interface AppPaths {
  /** Directory of `config.toml`. */
  configDir: string;
  /** The default config file. */
  configFile: string;
  /** Persistent data (sessions). */
  dataDir: string;
  /** State (history, logs). */
  stateDir: string;
  /** Disposable cache. */
  cacheDir: string;
}

/**
 * Every mcpchat directory for `env`.
 *
 * @example
 * ```ts
 * import { appPaths } from "./paths.ts";
 * console.log(appPaths({ HOME: "/home/ada" }).dataDir);
 * ```
 */
export function appPaths(env: Env): AppPaths {
  return {
    configDir: configDir(env),
    configFile: defaultConfigPath(env),
    dataDir: dataDir(env),
    stateDir: stateDir(env),
    cacheDir: cacheDir(env),
  };
}

/**
 * Expands a leading `~` (using `HOME`) and resolves a relative path against
 * `baseDir` (normally the directory of the file that names it).
 *
 * @example
 * ```ts
 * import { resolveUserPath } from "./paths.ts";
 * console.log(resolveUserPath("~/x", "/etc", { HOME: "/home/ada" })); // /home/ada/x
 * console.log(resolveUserPath("mcp.json", "/cfg", {})); // /cfg/mcp.json
 * ```
 */
export function resolveUserPath(path: string, baseDir: string, env: Env): string {
  if (path === "~") return homeDir(env);
  if (path.startsWith("~/") || path.startsWith("~\\")) {
    return join(homeDir(env), path.slice(2));
  }
  // Never resolved against the process cwd: reading it needs a permission a
  // narrowed worker does not have.
  return isAbsolute(path) ? normalize(path) : join(baseDir, path);
}
