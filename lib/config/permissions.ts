/**
 * The config worker's permissions, computed on the main thread without
 * loading the schema (no zod here): read the config directory and any file
 * named explicitly; read exactly the environment variables the loader uses.
 *
 * @module
 */

import { dirnamePath as dirname } from "./pathutil.ts";
import { configEnvNames } from "./env_names.ts";
import { configDir, type Env } from "./paths.ts";

/** Deno permissions for the config worker (the shape `lib/plugin` takes). */
export interface ConfigWorkerPermissions {
  /** Paths the worker may read. */
  read: string[];
  /** Environment variables the worker may read. */
  env: string[];
}

/** Inputs of {@linkcode configWorkerPermissions}. */
export interface ConfigWorkerPermissionOptions {
  /** The host's environment, to locate the config directory. */
  env: Env;
  /** `--config FILE` (absolute), if given. */
  configPath?: string;
  /**
   * Further files the worker must read, e.g. an `mcp.servers_file` outside the
   * config directory that an earlier load reported as `CONFIG_PERMISSION`.
   */
  extraRead?: readonly string[];
}

/**
 * Read access to the config directory (so `config.toml` and a `servers_file`
 * beside it work), to an explicit `--config` file and its directory (a
 * relative `servers_file` is resolved there), and to `extraRead`; env access to
 * exactly {@linkcode configEnvNames}. Nothing else: no write, net, run, sys.
 *
 * @example
 * ```ts
 * import { configWorkerPermissions } from "./permissions.ts";
 * const p = configWorkerPermissions({ env: { HOME: "/home/ada" } });
 * console.log(p.read); // ["/home/ada/.config/mcpchat"]
 * ```
 */
export function configWorkerPermissions(
  options: ConfigWorkerPermissionOptions,
): ConfigWorkerPermissions {
  const read = new Set<string>();
  const explicit = options.configPath ?? (options.env.MCPCHAT_CONFIG?.trim() || undefined);
  try {
    read.add(configDir(options.env));
  } catch {
    // No HOME: only an explicit file can be read, and loading says why otherwise.
  }
  if (explicit) {
    read.add(explicit);
    read.add(dirname(explicit));
  }
  for (const path of options.extraRead ?? []) read.add(path);
  return { read: [...read], env: configEnvNames() };
}
