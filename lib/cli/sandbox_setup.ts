/**
 * The sandbox host's options from the configuration: the user's
 * environment, the working directory, the declared roots, and mcpchat's own
 * files (config, data, an explicit `--config` file) that no server may read.
 *
 * @module
 */

import { resolvePath as resolve } from "../util/path.ts";
import type { Config } from "../config/schema.ts";
import { configDir, dataDir, type Env, stateDir } from "../config/paths.ts";
import type { SandboxHostOptions } from "../mcp/sandbox/host.ts";

/**
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigSchema } from "../config/schema.ts";
 * import { SandboxHost } from "../mcp/sandbox/host.ts";
 * import { sandboxHostOptions } from "./sandbox_setup.ts";
 * const config = ConfigSchema.parse({ mcp: { roots: ["."] } });
 * const options = sandboxHostOptions(config, { env: { HOME: "/home/ada" }, cwd: "/home/ada/project" });
 * assert.deepEqual(options.roots, ["/home/ada/project"]);
 * assert.ok(options.ownDirs?.includes("/home/ada/.config/mcpchat")); // no server may read these
 * assert.ok(options.ownDirs?.includes("/home/ada/.local/share/mcpchat"));
 * const host = new SandboxHost(options); // as `mcpchat servers sandbox` and the spawns build it
 * assert.equal(host.policy("fs", { command: "node" }).server, "fs");
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
