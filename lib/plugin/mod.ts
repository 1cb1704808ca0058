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
 * ```ts
 * import assert from "node:assert/strict";
 * import { definePlugin, startPlugin, type SurfaceOf } from "./mod.ts";
 * // Plugin side. In a worker module (plugins/echo.ts) it would be followed by
 * // `serveWorker(echoPlugin)`, with `import "../lib/plugin/guard.ts"` first.
 * const echoPlugin = definePlugin({
 *   name: "echo",
 *   start: (init: { prefix: string }) => ({
 *     handlers: { echo: (p: { text: string }) => `${init.prefix}${p.text}` },
 *   }),
 * });
 * // Host side: inline here; a worker gets `module: new URL("../plugins/echo.ts", import.meta.url)`
 * // and exactly its `permissions`.
 * const echo = await startPlugin<SurfaceOf<typeof echoPlugin>>({
 *   name: "echo",
 *   module: new URL(import.meta.url),
 *   mode: "inline",
 *   loadDefinition: () => Promise.resolve(echoPlugin),
 *   permissions: {},
 *   init: { prefix: "> " },
 *   heartbeat: false,
 * });
 * assert.equal(await echo.peer.call("echo", { text: "hi" }), "> hi");
 * await echo.stop();
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
