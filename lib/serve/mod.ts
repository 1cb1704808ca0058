/**
 * mcpchat as an MCP server: the per-client server (tools, resources,
 * prompts), its transports (streamable HTTP + legacy SSE under `Deno.serve`,
 * newline JSON-RPC on stdio), and the request guard. The work behind the
 * tools is injected as a {@linkcode ServeBackend}. See docs/serve.md.
 *
 * @example
 * ```ts
 * import { isLoopback, OriginPolicy } from "./mod.ts";
 * console.log(isLoopback("127.0.0.1")); // true
 * const policy = new OriginPolicy({ hostname: "127.0.0.1", port: 8931 });
 * console.log(policy.check("127.0.0.1:8931", "http://127.0.0.1:8931")); // undefined
 * ```
 *
 * @module
 */

export * from "./app.ts";
export * from "./backend.ts";
export * from "./event_store.ts";
export * from "./guard.ts";
export * from "./http_server.ts";
export * from "./public_error.ts";
export * from "./sse_transport.ts";
export * from "./stdio_transport.ts";
