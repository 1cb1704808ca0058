/**
 * Server configuration of the MCP client (the `[mcp]` section, mapped to plain
 * typed objects by the host) and its validation.
 *
 * @module
 */

import { McpConfigError } from "./errors.ts";
import type { OAuthSettings } from "./oauth_settings.ts";
import type { SandboxConfig } from "../config/sandbox_schema.ts";

/** When a server connects. */
export type StartupMode = "eager" | "background" | "lazy";

/** A server reached by spawning a process and speaking JSON-RPC over its stdio. */
export interface StdioServerConfig {
  /** Omitted or `"stdio"`. */
  type?: "stdio";
  /** Program to run (looked up on `PATH`). */
  command: string;
  /** Arguments. */
  args?: string[];
  /** Extra environment variables given to the child (nothing else is inherited beyond a safe default set). */
  env?: Record<string, string>;
  /** Working directory of the child. */
  cwd?: string;
  /** OS sandbox of the process (omitted: the default policy; `false`: none). */
  sandbox?: SandboxConfig;
  /** Overrides `mcp.startup_mode`. */
  startup_mode?: StartupMode;
  /** `false` keeps the server configured but never connects it. */
  enabled?: boolean;
}

/** A server reached over HTTP: streamable HTTP (`"http"`) or legacy HTTP+SSE (`"sse"`). */
export interface HttpServerConfig {
  /** `"http"` (streamable HTTP) or `"sse"` (legacy HTTP+SSE). */
  type: "http" | "sse";
  /** Endpoint URL (`.../mcp` for streamable HTTP, `.../sse` for legacy SSE). */
  url: string;
  /** Extra request headers (e.g. a static bearer token). */
  headers?: Record<string, string>;
  /** OAuth (authorization code + PKCE through the SDK); tokens kept by the host. */
  oauth?: OAuthSettings;
  /** Overrides `mcp.startup_mode`. */
  startup_mode?: StartupMode;
  /** `false` keeps the server configured but never connects it. */
  enabled?: boolean;
}

/** One entry of `mcp.servers`. */
export type ServerConfig = StdioServerConfig | HttpServerConfig;

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
 * isStdioConfig({ command: "node" }); // true
 * ```
 */
export function isStdioConfig(config: ServerConfig): config is StdioServerConfig {
  return config.type === undefined || config.type === "stdio";
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Validates a server name and config, throwing {@linkcode McpConfigError}
 * with an actionable message. Accepts the Claude Desktop `mcpServers` shape.
 *
 * @example
 * ```ts
 * import { validateServerConfig } from "./config.ts";
 * validateServerConfig("everything", { command: "node", args: ["server.js"] });
 * ```
 */
export function validateServerConfig(name: string, config: unknown): ServerConfig {
  if (!NAME_RE.test(name)) {
    throw new McpConfigError(
      name,
      "server name must be 1-64 characters of letters, digits, '_', '-', '.' starting with a letter or digit",
    );
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new McpConfigError(name, "expected a table with either `command` or `type` + `url`");
  }
  const c = config as Record<string, unknown>;
  checkOptional(
    name,
    c,
    "startup_mode",
    (v) => v === "eager" || v === "background" || v === "lazy",
    `"eager", "background" or "lazy"`,
  );
  checkOptional(name, c, "enabled", (v) => typeof v === "boolean", "a boolean");
  const type = c.type ?? (typeof c.url === "string" && c.command === undefined ? "http" : "stdio");
  if (type === "stdio") {
    if (typeof c.command !== "string" || c.command.trim() === "") {
      throw new McpConfigError(
        name,
        '`command` must be a non-empty string (or set type = "http" and url)',
      );
    }
    checkOptional(
      name,
      c,
      "args",
      (v) => Array.isArray(v) && v.every((a) => typeof a === "string"),
      "an array of strings",
    );
    checkOptional(name, c, "env", isStringRecord, "a table of string values");
    checkOptional(name, c, "cwd", (v) => typeof v === "string", "a string");
    return { ...(c as unknown as StdioServerConfig), type: "stdio" };
  }
  if (
    type === "http" || type === "sse" || type === "streamable-http" || type === "streamableHttp"
  ) {
    if (typeof c.url !== "string") throw new McpConfigError(name, "`url` must be a string");
    let url: URL;
    try {
      url = new URL(c.url);
    } catch {
      throw new McpConfigError(name, `url ${JSON.stringify(c.url)} is not a valid URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new McpConfigError(name, `url must be http:// or https://, got ${url.protocol}`);
    }
    checkOptional(name, c, "headers", isStringRecord, "a table of string values");
    checkOptional(
      name,
      c,
      "oauth",
      (v) => typeof v === "object" && v !== null && !Array.isArray(v),
      "a table (redirect_url, client_name, scope, client_id, allowed_hosts…)",
    );
    return { ...(c as unknown as HttpServerConfig), type: type === "sse" ? "sse" : "http" };
  }
  throw new McpConfigError(
    name,
    `unknown type ${JSON.stringify(type)} (expected "stdio", "http" or "sse")`,
  );
}

function isStringRecord(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string");
}

function checkOptional(
  name: string,
  c: Record<string, unknown>,
  key: string,
  ok: (v: unknown) => boolean,
  expected: string,
): void {
  if (c[key] !== undefined && !ok(c[key])) {
    throw new McpConfigError(name, `\`${key}\` must be ${expected}, got ${JSON.stringify(c[key])}`);
  }
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
