/**
 * The MCP client's boundary check of a server's config: lib/config's schema
 * (the one definition of a server), with failures as {@linkcode McpConfigError}.
 * A module of its own so the main thread loads zod only when it checks.
 *
 * @module
 */

import { ConfigValidationError } from "../config/errors.ts";
import { formatKeyPath } from "../config/state.ts";
import { validateServer } from "../config/server.ts";
import type { ServerConfig } from "./config.ts";
import { McpConfigError } from "./errors.ts";

/**
 * Validates a server name and definition (mcpchat's or Claude Desktop's
 * `mcpServers` shape), returning the normalised {@linkcode ServerConfig}.
 *
 * @throws {McpConfigError} `mcp.servers.NAME: KEY: expected …, got …`.
 * @example
 * ```ts
 * import { validateServerConfig } from "./server_check.ts";
 * validateServerConfig("everything", { command: "node", args: ["server.js"] }).type; // "stdio"
 * ```
 */
export function validateServerConfig(name: string, config: unknown): ServerConfig {
  try {
    return validateServer(name, config, "server");
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    const prefix = formatKeyPath(["mcp", "servers", name]);
    const detail = error.issues.map((issue) => {
      const key = issue.keyPath.startsWith(`${prefix}.`)
        ? `${issue.keyPath.slice(prefix.length + 1)}: `
        : issue.keyPath === prefix
        ? ""
        : `${issue.keyPath}: `;
      const got = issue.got === undefined ? "" : `, got ${issue.got}`;
      const hint = issue.hint ? ` (${issue.hint})` : "";
      return `${key}expected ${issue.expected}${got}${hint}`;
    }).join("; ");
    throw new McpConfigError(name, detail);
  }
}
