/**
 * One MCP server's config, in one place: checking a definition against the
 * schema (`ServerSchema` in schema.ts, the one type every area uses), and
 * turning another client's `mcpServers` entry (Claude Desktop, Claude Code,
 * VS Code, Cursor) into mcpchat's shape. The config loader and `discover`
 * both use these, so a file reads the same whichever way it arrives.
 *
 * Light on purpose (zod and the schema, no TOML or JSON parser): the MCP
 * manager checks servers at its boundary with it.
 *
 * @module
 */

import { knownKeys } from "./introspect.ts";
import { convertIssue } from "./issues.ts";
import { ConfigSchema, type ServerConfig } from "./schema.ts";
import { LoadState, type Table, throwIfIssues } from "./state.ts";
import { closest } from "./suggest.ts";

/**
 * Validates one server definition (as written in TOML or `mcpServers` JSON)
 * and returns it as a {@linkcode ServerConfig}: `type` always set, `args`,
 * `env`, `headers` and `enabled` defaulted.
 *
 * @throws {ConfigValidationError} messages name `label` and the key path.
 * @example
 * ```ts
 * import { validateServer } from "./server.ts";
 * console.log(validateServer("fs", { command: "npx", args: ["-y", "x"] }).type); // stdio
 * ```
 */
export function validateServer(name: string, server: unknown, label = "server"): ServerConfig {
  const state = new LoadState({}, label);
  const result = ConfigSchema.safeParse({ mcp: { servers: { [name]: server } } }, {
    reportInput: true,
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const converted of convertIssue(state, issue)) state.addIssue(converted);
    }
  }
  throwIfIssues(state);
  if (!result.success) throw new Error("unreachable: schema failed without issues");
  return result.data.mcp.servers[name];
}

/** Keys other clients write into server entries that mcpchat ignores (with a note). */
export const FOREIGN_SERVER_KEYS: ReadonlySet<string> = new Set([
  "autoApprove",
  "alwaysAllow",
  "timeout",
  "description",
  "transportType",
  "envFile",
  "trust",
  "includeTools",
  "excludeTools",
]);

/** Another client's server entry in mcpchat's shape, and what was changed on the way. */
export interface ForeignServer {
  /** The entry with mcpchat's keys (not validated yet). */
  server: Table;
  /** Key in `server` → the key it was written as (`url` ← `serverUrl`, `enabled` ← `disabled`). */
  from: Record<string, string>;
  /** Keys mcpchat does not use (other clients' settings): dropped. */
  ignored: string[];
  /** Keys that look like a misspelt mcpchat key: dropped, and worth an error. */
  misspelt: { key: string; suggestion: string }[];
}

const REMOTE_TYPES: Record<string, "http" | "sse"> = {
  "http": "http",
  "streamable-http": "http",
  "streamableHttp": "http",
  "sse": "sse",
};

/**
 * Turns a Claude Desktop / Claude Code / VS Code / Cursor server entry into
 * mcpchat's shape: `serverUrl` (Windsurf, Cursor) is the `url`; a remote
 * entry without a `type` is SSE when its path ends in `/sse` (as those
 * clients assume) and streamable HTTP otherwise; `disabled` is
 * `enabled = false`; other clients' own keys are dropped.
 *
 * @example
 * ```ts
 * import { normalizeForeignServer } from "./server.ts";
 * const { server, ignored } = normalizeForeignServer({
 *   serverUrl: "https://example.com/sse", disabled: true, autoApprove: [],
 * });
 * console.log(server, ignored); // { url: "https://example.com/sse", type: "sse", enabled: false } ["autoApprove"]
 * ```
 */
export function normalizeForeignServer(entry: Table): ForeignServer {
  const known = new Set(knownKeys(["mcp", "servers", "_"]) ?? []);
  const server: Table = {};
  const from: Record<string, string> = {};
  const ignored: string[] = [];
  const misspelt: { key: string; suggestion: string }[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (key === "serverUrl" && typeof value === "string" && entry.url === undefined) {
      server.url = value;
      from.url = "serverUrl";
    } else if (key === "disabled" && typeof value === "boolean") {
      if (entry.enabled === undefined) {
        server.enabled = !value;
        from.enabled = "disabled";
      }
    } else if (key === "type" && typeof value === "string" && value in REMOTE_TYPES) {
      server.type = REMOTE_TYPES[value];
    } else if (known.has(key)) {
      server[key] = value;
    } else {
      const suggestion = FOREIGN_SERVER_KEYS.has(key) || key === "serverUrl"
        ? undefined
        : closest(key, known);
      if (suggestion) misspelt.push({ key, suggestion });
      else ignored.push(key);
    }
  }
  if (server.type === undefined && server.command === undefined && typeof server.url === "string") {
    server.type = /\/sse\/?(?:[?#].*)?$/.test(server.url) ? "sse" : "http";
  }
  return { server, from, ignored, misspelt };
}
