/**
 * The MCP client of mcpchat. See `docs/mcp.md`.
 *
 * - {@linkcode McpManager}: every server, startup modes, namespaced tools,
 *   resources (cache, subscriptions), prompts, completion, logging,
 *   notifications and progress.
 * - Host wiring: {@linkcode McpTransportHost} (one pooled transport
 *   worker, each server an actor; stdio server processes in their OS
 *   sandbox, `sandbox/`). The app boots it through `lib/cli/runtime.ts`.
 * - Pure parts: {@linkcode WorkerBridgeTransport}, {@linkcode LineSplitter},
 *   {@linkcode ServerLifecycle}, {@linkcode ResourceCache},
 *   {@linkcode NotificationHistory}, {@linkcode namespaceTools},
 *   {@linkcode discoverServers}, {@linkcode McpOAuthProvider}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { namespaceTools } from "./mod.ts";
 * // The names the model sees for the servers' tools (the McpManager, McpTransportHost and
 * // WorkerBridgeTransport examples run servers).
 * const names = namespaceTools([{ server: "fs", tool: "read_file" }, { server: "mem", tool: "read_file" }]);
 * assert.deepEqual([...names.fromModel.keys()], ["fs__read_file", "mem__read_file"]);
 * ```
 *
 * @module
 */

export * from "./bridge_transport.ts";
export * from "./config.ts";
export * from "./connection.ts";
export * from "./discover.ts";
export * from "./elicitation.ts";
export * from "./errors.ts";
export * from "./framing.ts";
export * from "./host_wiring.ts";
export * from "./lifecycle.ts";
export * from "./manager.ts";
export * from "./notifications.ts";
export * from "./oauth.ts";
export * from "./port_protocol.ts";
export * from "./port_provider.ts";
export * from "./resource_cache.ts";
export * from "./schema_validator.ts";
export * from "./server_check.ts";
export * from "./stdio_process.ts";
export * from "./tool_names.ts";
export * from "./transport_relay.ts";
export * from "./transport_spec.ts";

// Types from other areas that appear in this API.
export type { Clock, TimerHandle } from "../util/clock.ts";
