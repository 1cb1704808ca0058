/**
 * The sandbox host's options from the configuration: the user's
 * environment, the working directory, the declared roots, and mcpchat's own
 * files (config, data, an explicit `--config` file) that no server may read.
 *
 * @module
 */

import { resolve } from "node:path";
import type { Config } from "../config/schema.ts";
import { configDir, dataDir, type Env, stateDir } from "../config/paths.ts";
import type { SandboxHostOptions } from "../mcp/sandbox/host.ts";

/**
 * @example
 * ```ts ignore
 * const host = new SandboxHost(sandboxHostOptions(config, { env, cwd }));
 * ```
 */
export function sandboxHostOptions(
  config: Config,
  options: { env: Env; cwd: string; configPath?: string; notify?: (message: string) => void },
): SandboxHostOptions {
  const ownDirs: string[] = [];
  const tryAdd = (f: () => string) => {
    try {
      ownDirs.push(f());
    } catch {
      // No HOME: nothing to protect there.
    }
  };
  tryAdd(() => configDir(options.env));
  tryAdd(() => dataDir(options.env));
  tryAdd(() => stateDir(options.env));
  if (config.session.data_dir) ownDirs.push(resolve(options.cwd, config.session.data_dir));
  // A --config file elsewhere (it may hold keys); not when it sits in the working directory's
  // tree itself, where servers must work.
  if (options.configPath) ownDirs.push(resolve(options.cwd, options.configPath));
  return {
    env: options.env,
    cwd: options.cwd,
    roots: config.mcp.roots.map((root) => resolve(options.cwd, root)),
    ownDirs,
    warn: (message) => options.notify?.(`warning: ${message}\n`),
  };
}
