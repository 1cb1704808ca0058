/**
 * Server configuration of the MCP client: the one server type (from
 * lib/config's schema), defaults and helpers around it.
 *
 * @module
 */

// One type for a server's config: the zod schema's, in lib/config. Type-only
// here, so what imports this module (the main thread too) does not load zod;
// the check itself is `validateServerConfig` in server_check.ts.
import type {
  HttpServerConfig,
  ServerConfig,
  ServerConfigInput,
  StartupMode,
  StdioServerConfig,
} from "../config/schema.ts";

export type { HttpServerConfig, ServerConfig, ServerConfigInput, StartupMode, StdioServerConfig };

/** Reconnect policy (`[mcp.reconnect]`). */
export interface ReconnectOptions {
  /** Attempts after a loss before the server is marked failed. */
  max_attempts: number;
  /** First delay. */
  base_ms: number;
  /** Largest delay. */
  max_ms: number;
}

/** Default reconnect policy. */
export const DEFAULT_RECONNECT: ReconnectOptions = {
  max_attempts: 5,
  base_ms: 500,
  max_ms: 30_000,
};

/**
 * Environment variable names a stdio server inherits from the user's
 * environment by default (the same set the SDK's stdio transport uses), on
 * top of what its config names in `env`.
 */
export const DEFAULT_INHERITED_ENV: readonly string[] = [
  "HOME",
  "LOGNAME",
  "PATH",
  "SHELL",
  "TERM",
  "USER",
];

/**
 * Whether a server config is a stdio one.
 *
 * @example
 * ```ts
 * import { isStdioConfig } from "./config.ts";
 * isStdioConfig({ type: "stdio", command: "node", args: [], env: {}, enabled: true }); // true
 * ```
 */
export function isStdioConfig(config: ServerConfig): config is StdioServerConfig {
  return config.type === "stdio";
}

/**
 * The `host:port` a Deno `net` permission needs for an HTTP server URL (Deno
 * matches the host string literally, so `localhost` and `127.0.0.1` differ).
 *
 * @example
 * ```ts
 * import { netPermissionFor } from "./config.ts";
 * netPermissionFor("https://example.com/mcp"); // "example.com:443"
 * ```
 */
export function netPermissionFor(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `${u.hostname}:${port}`;
}

/**
 * Roots for servers from `mcp.roots` paths: resolved against `cwd` (the host
 * knows it; the manager may not read the disk), as `file://` URIs named
 * after their last segment. No paths means the working directory.
 *
 * @example
 * ```ts
 * import { rootsFromPaths } from "./config.ts";
 * rootsFromPaths(["."], "/home/ada/project"); // [{ uri: "file:///home/ada/project", name: "project" }]
 * ```
 */
export function rootsFromPaths(
  paths: readonly string[] | undefined,
  cwd: string,
  home?: string,
): { uri: string; name: string }[] {
  const list = paths && paths.length > 0 ? paths : ["."];
  const seen = new Set<string>();
  const out: { uri: string; name: string }[] = [];
  for (const p of list) {
    let path = p === "~" || p.startsWith("~/") ? (home ?? "~") + p.slice(1) : p;
    if (!path.startsWith("/")) path = `${cwd.replace(/\/+$/, "")}/${path}`;
    const parts: string[] = [];
    for (const seg of path.split("/")) {
      if (seg === "" || seg === ".") continue;
      if (seg === "..") parts.pop();
      else parts.push(seg);
    }
    const abs = "/" + parts.join("/");
    const uri = "file://" + parts.map(encodeURIComponent).join("/").replace(/^/, "/");
    if (seen.has(uri)) continue;
    seen.add(uri);
    out.push({ uri, name: parts.at(-1) ?? abs });
  }
  return out;
}
