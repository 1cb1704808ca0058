/**
 * The config worker's permissions, computed on the main thread without
 * loading the schema (no zod here): read the config directory and any file
 * named explicitly; read exactly the environment variables the loader uses.
 *
 * @module
 */

import { dirnamePath as dirname } from "../util/path.ts";
import { configEnvNames } from "./env_names.ts";
import { configDir, configFileOf, type Env, explicitConfigPath, resolveUserPath } from "./paths.ts";
import { readConfigText } from "./read_file.ts";

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
  const explicit = explicitConfigPath(options.env, options.configPath);
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

/**
 * Files outside the config directory that loading will read: the
 * `mcp.servers_file` named in the config file (or by
 * `$MCPCHAT_MCP_SERVERS_FILE`), e.g. Claude Desktop's own
 * `claude_desktop_config.json`. Pass the result as `extraRead` so the worker
 * may read exactly those files. A cheap scan (no TOML parser, no zod) for the
 * main thread; if it misses an unusual spelling, loading reports
 * `CONFIG_PERMISSION` naming the file, which can then be added the same way.
 *
 * @example
 * ```ts
 * import { configWorkerPermissions, discoverExtraReads } from "./permissions.ts";
 * const env = { HOME: "/home/ada" };
 * const extraRead = await discoverExtraReads({
 *   env,
 *   readTextFile: () => Promise.resolve('[mcp]\nservers_file = "~/claude.json"\n'),
 * });
 * console.log(configWorkerPermissions({ env, extraRead }).read);
 * // ["/home/ada/.config/mcpchat", "/home/ada/claude.json"]
 * ```
 */
export async function discoverExtraReads(options: {
  env: Env;
  configPath?: string;
  readTextFile?: (path: string) => Promise<string>;
}): Promise<string[]> {
  const env = options.env;
  // Never Deno.readTextFile here: a FIFO named as the config would block start-up.
  const read = options.readTextFile ?? ((path: string) => readConfigText(path));
  let file: string;
  try {
    file = configFileOf(env, options.configPath);
  } catch {
    return []; // no HOME: nothing to discover
  }
  const found: string[] = [];
  const fromEnv = env.MCPCHAT_MCP_SERVERS_FILE?.trim();
  if (fromEnv) found.push(fromEnv);
  if (!/\.jsonc?$/i.test(file)) {
    let text = "";
    try {
      text = await read(file);
    } catch {
      // Missing or unreadable: the worker's load reports it properly.
    }
    const match = SERVERS_FILE_LINE.exec(text);
    const value = match?.[1] !== undefined ? unescapeBasic(match[1]) : match?.[2];
    if (value) found.push(value);
  }
  const baseDir = dirname(file);
  const out: string[] = [];
  for (const path of found) {
    try {
      const absolute = resolveUserPath(path, baseDir, env);
      if (!out.includes(absolute)) out.push(absolute);
    } catch {
      // `~` without HOME: loading reports it.
    }
  }
  return out;
}

function unescapeBasic(content: string): string {
  try {
    const decoded: unknown = JSON.parse(`"${content}"`);
    return typeof decoded === "string" ? decoded : content;
  } catch {
    return content;
  }
}

/** `servers_file = "…"` or `'…'` (also as `mcp.servers_file`), outside comments. */
const SERVERS_FILE_LINE =
  /^[ \t]*(?:mcp[ \t]*\.[ \t]*)?servers_file[ \t]*=[ \t]*(?:"((?:[^"\\\n]|\\.)*)"|'([^'\n]*)')/m;
