/**
 * The plugin contract: a service declares its name, permissions, restart
 * type and RPC surface; the host runs it in a Web Worker with exactly those
 * permissions (or inline for plugins that own the terminal).
 *
 * Plugin side: {@linkcode definePlugin}, {@linkcode serveWorker} (and import
 * `guard.ts` first). Host side: {@linkcode startPlugin},
 * {@linkcode PluginRef}.
 *
 * @example
 * ```ts ignore
 * // plugins/echo.ts
 * import "../lib/plugin/guard.ts";
 * import { definePlugin, serveWorker } from "../lib/plugin/mod.ts";
 * export const echoPlugin = definePlugin({
 *   name: "echo",
 *   start: () => ({ handlers: { echo: (p: { text: string }) => p.text } }),
 * });
 * serveWorker(echoPlugin);
 * ```
 *
 * @module
 */

export * from "./define.ts";
export * from "./host.ts";
export * from "./lifecycle.ts";
export * from "./permissions.ts";
export * from "./ref.ts";
export { armFaults, parseFaults } from "./fault.ts";
export type {
  AcceptsOf,
  CallArgs,
  CallContext,
  CallOptions,
  ChunkOf,
  EmitsOf,
  ParamsOf,
  ResultOf,
  Surface,
} from "../rpc/peer.ts";
export {
  PeerClosedError,
  RemoteError,
  RpcCancelledError,
  RpcError,
  RpcTimeoutError,
} from "../rpc/errors.ts";
