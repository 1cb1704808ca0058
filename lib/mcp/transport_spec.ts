/**
 * The spec a thin transport worker receives: resolved on the host, which
 * alone may read the user's environment.
 *
 * @module
 */

import { NETWORK_ENV_NAMES } from "../util/network_env.ts";
import { DEFAULT_INHERITED_ENV, isStdioConfig, type ServerConfig } from "./config.ts";
import type { TransportSpec } from "./port_protocol.ts";

/**
 * Variables every stdio server inherits besides the defaults: the CA and
 * proxy variables (without them `npx -y` behind a corporate proxy or a
 * private CA fails: `invalid peer certificate: UnknownIssuer`), npm's
 * registry, and the locale.
 */
export const PASSTHROUGH_ENV: readonly string[] = [
  ...NETWORK_ENV_NAMES,
  "npm_config_registry",
  "LANG",
  "LC_ALL",
];

/**
 * Builds the spec a transport worker receives. The child's environment is
 * resolved here (the worker itself may read no environment variable): the
 * default inherited names plus what the config names in `env`.
 *
 * @example
 * ```ts
 * import { transportSpecFor } from "./transport_spec.ts";
 * const spec = transportSpecFor(
 *   "mem",
 *   { type: "stdio", command: "node", args: ["x.js"], env: {}, enabled: true },
 *   (k) => k === "PATH" ? "/usr/bin" : undefined,
 * );
 * console.log(spec.kind); // "stdio"
 * ```
 */
export function transportSpecFor(
  name: string,
  config: ServerConfig,
  getEnv: (key: string) => string | undefined,
  options: { killGraceMs?: number; stdinGraceMs?: number } = {},
): TransportSpec {
  if (isStdioConfig(config)) {
    const env: Record<string, string> = {};
    for (const key of [...DEFAULT_INHERITED_ENV, ...PASSTHROUGH_ENV]) {
      const value = getEnv(key);
      // Like the SDK: skip exported shell functions.
      if (value !== undefined && !value.startsWith("()")) env[key] = value;
    }
    Object.assign(env, config.env ?? {});
    return {
      kind: "stdio",
      name,
      command: config.command,
      args: config.args ?? [],
      env,
      cwd: config.cwd,
      killGraceMs: options.killGraceMs,
      ...(options.stdinGraceMs !== undefined ? { stdinGraceMs: options.stdinGraceMs } : {}),
    };
  }
  return { kind: config.type, name, url: config.url, headers: config.headers, oauth: config.oauth };
}
