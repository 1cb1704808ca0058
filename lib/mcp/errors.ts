/**
 * Typed errors of the MCP client. Each carries a stable `code` string so a
 * caller on the other side of a worker boundary (where only `name`, `message`
 * and `code` survive) can branch on it.
 *
 * @module
 */

import { McpchatError, type McpchatErrorOptions } from "../util/errors.ts";

/**
 * Base class of every MCP client error.
 *
 * @example
 * ```ts
 * import { McpClientError } from "./errors.ts";
 * const e = new McpClientError("MCP_X", "something failed");
 * console.log(e.code);
 * ```
 */
export class McpClientError extends McpchatError {
  /** Server the error concerns, when known. */
  readonly server?: string;
  /** Creates the error; the message says what to do. */
  constructor(code: string, message: string, options?: McpchatErrorOptions & { server?: string }) {
    super(code, message, options);
    this.server = options?.server;
  }
}

/**
 * The configured command of a stdio server does not exist or is not executable.
 *
 * @example
 * ```ts
 * import { McpCommandNotFoundError } from "./errors.ts";
 * const error = new McpCommandNotFoundError("everything", "nodee");
 * console.log(error.code, error.message);
 * ```
 */
export class McpCommandNotFoundError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, command: string, cause?: unknown) {
    super(
      "MCP_COMMAND_NOT_FOUND",
      `command not found: ${command} (check mcp.servers.${server}.command)`,
      { server, cause },
    );
  }
}

/**
 * The server did not answer `initialize` in time.
 *
 * @example
 * ```ts
 * import { McpInitializeTimeoutError } from "./errors.ts";
 * const error = new McpInitializeTimeoutError("slow", 5000);
 * console.log(error.code, error.message);
 * ```
 */
export class McpInitializeTimeoutError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, timeoutMs: number, detail?: string) {
    super(
      "MCP_INITIALIZE_TIMEOUT",
      `server "${server}" did not answer initialize within ${timeoutMs} ms` +
        (detail ? ` (${detail})` : "") +
        ` — check that mcp.servers.${server} starts an MCP server speaking JSON-RPC on stdout`,
      { server },
    );
  }
}

/**
 * The connection to a server was lost or could not be made.
 *
 * @example
 * ```ts
 * import { McpConnectionError } from "./errors.ts";
 * const error = new McpConnectionError("memory", "process exited with code 1");
 * console.log(error.code, error.message);
 * ```
 */
export class McpConnectionError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, detail: string, cause?: unknown) {
    super("MCP_CONNECTION", `MCP server "${server}": ${detail}`, { server, cause });
  }
}

/**
 * A request was made to a server that is not usable right now (failed,
 * disabled, or still reconnecting past the wait limit).
 *
 * @example
 * ```ts
 * import { McpServerUnavailableError } from "./errors.ts";
 * const error = new McpServerUnavailableError("memory", "failed: command not found: x");
 * console.log(error.code, error.message);
 * ```
 */
export class McpServerUnavailableError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, state: string) {
    super(
      "MCP_SERVER_UNAVAILABLE",
      `MCP server "${server}" is not available (${state}); retry with /mcp connect ${server} in the chat, or mcpchat servers test ${server}`,
      { server },
    );
  }
}

/**
 * No server of that name is configured.
 *
 * @example
 * ```ts
 * import { McpUnknownServerError } from "./errors.ts";
 * const error = new McpUnknownServerError("nope", ["memory"]);
 * console.log(error.code, error.message);
 * ```
 */
export class McpUnknownServerError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, known: readonly string[]) {
    super(
      "MCP_UNKNOWN_SERVER",
      `no MCP server named "${server}" (configured: ${known.length ? known.join(", ") : "none"})`,
      { server },
    );
  }
}

/**
 * A namespaced tool name does not resolve to any server's tool.
 *
 * @example
 * ```ts
 * import { McpUnknownToolError } from "./errors.ts";
 * const error = new McpUnknownToolError("memory__nope");
 * console.log(error.code, error.message);
 * ```
 */
export class McpUnknownToolError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(name: string, server?: string) {
    super(
      "MCP_UNKNOWN_TOOL",
      `unknown MCP tool "${name}"` + (server ? ` on server "${server}"` : "") +
        ` (list them with /mcp tools)`,
      { server },
    );
  }
}

/**
 * A server does not offer the capability a request needs.
 *
 * @example
 * ```ts
 * import { McpCapabilityError } from "./errors.ts";
 * const error = new McpCapabilityError("memory", "resources");
 * console.log(error.code, error.message);
 * ```
 */
export class McpCapabilityError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, capability: string) {
    super(
      "MCP_CAPABILITY",
      `MCP server "${server}" does not support ${capability}`,
      { server },
    );
  }
}

/**
 * A server configuration is invalid.
 *
 * @example
 * ```ts
 * import { McpConfigError } from "./errors.ts";
 * const error = new McpConfigError("x", "url is not a valid URL");
 * console.log(error.code, error.message);
 * ```
 */
export class McpConfigError extends McpClientError {
  /** Creates the error; the message says what to do. */
  constructor(server: string, detail: string) {
    super("MCP_CONFIG", `mcp.servers.${server}: ${detail}`, { server });
  }
}

/**
 * A request sent to a server failed (the server answered with a JSON-RPC
 * error, timed out, or was cancelled).
 *
 * @example
 * ```ts
 * import { McpRequestError } from "./errors.ts";
 * const error = new McpRequestError("memory", "tools/call", "Request timed out", "MCP_TIMEOUT");
 * console.log(error.code, error.message);
 * ```
 */
export class McpRequestError extends McpClientError {
  /** JSON-RPC error code from the server, when there was one. */
  readonly rpcCode?: number;
  /** Creates the error; the message says what to do. */
  constructor(
    server: string,
    method: string,
    detail: string,
    code = "MCP_REQUEST",
    rpcCode?: number,
    cause?: unknown,
  ) {
    super(code, `MCP server "${server}" ${method} failed: ${detail}`, { server, cause });
    this.rpcCode = rpcCode;
  }
}
