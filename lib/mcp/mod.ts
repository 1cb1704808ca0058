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
 * ```ts ignore
 * import { McpTransportHost } from "./mod.ts";
 * const transports = new McpTransportHost({ emitToManager: (e, d, t) => manager.peer.emit(e, d, t) });
 * const manager = await startPlugin({ ...managerSpec, handlers: transports.handlers() });
 * await manager.peer.call("startServers", {});
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
