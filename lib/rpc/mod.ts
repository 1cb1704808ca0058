/**
 * Typed RPC over `postMessage` between the main thread and plugin workers.
 *
 * @example
 * ```ts
 * import { RpcPeer } from "./mod.ts";
 * const { port1, port2 } = new MessageChannel();
 * const a = new RpcPeer(port1, { name: "b", handlers: { ping: () => "pong" } });
 * const b = new RpcPeer<{ ping: () => string }>(port2, { name: "a" });
 * console.log(await b.call("ping"));
 * a.close("done"); b.close("done");
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./protocol.ts";
export * from "./peer.ts";
