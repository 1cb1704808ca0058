/**
 * The plugin side of the contract: define a plugin, and serve it on a
 * worker's `self` (or, for inline plugins, on a `MessagePort`).
 *
 * @module
 */

import { type CallOptions, RpcPeer } from "../rpc/peer.ts";
import { serializeError } from "../rpc/errors.ts";
import type { MessageEndpoint } from "../rpc/protocol.ts";
import { isLifecycleMessage, isWorkerContext, type LifecycleMessage } from "./lifecycle.ts";
import { setTelemetryEnabled, traceHandlers } from "../telemetry/mod.ts";

/** What a running plugin can do towards its host. */
export interface PluginContext {
  /** The instance name given by the host, e.g. `"mcp-server:fs"`. */
  readonly name: string;
  /** Aborted when the host asks the plugin to stop. */
  readonly signal: AbortSignal;
  /** Sends a one-way event to the host; `transfer` moves ports or buffers. */
  emit(event: string, data: unknown, transfer?: Transferable[]): void;
  /** Calls a handler the host registered for this plugin. */
  call<T = unknown>(method: string, params: unknown, options?: CallOptions): Promise<T>;
  /**
   * Listens to events from the host (e.g. a transferred `MessagePort`).
   * @returns a function that removes the listener
   */
  onEvent(event: string, listener: (data: unknown) => void): () => void;
}

/** A started plugin: its RPC surface and how to stop it. */
export interface PluginInstance<Handlers extends object> {
  handlers: Handlers;
  /** Graceful stop; the host bounds it with a timeout, then terminates. */
  stop?(): void | Promise<void>;
}

/** A plugin definition. */
export interface PluginDefinition<Init, Handlers extends object> {
  name: string;
  start(
    init: Init,
    ctx: PluginContext,
  ): PluginInstance<Handlers> | Promise<PluginInstance<Handlers>>;
}

/** The RPC surface type of a plugin definition, for typed calls from the host. */
export type SurfaceOf<D> = D extends PluginDefinition<unknown, infer H> ? H
  : D extends PluginDefinition<never, infer H> ? H
  : never;

/** The init data type of a plugin definition. */
export type InitOf<D> = D extends PluginDefinition<infer I, object> ? I : never;

/**
 * Declares a plugin. Identity function that fixes the types.
 *
 * @example
 * ```ts
 * import { definePlugin } from "./define.ts";
 * export const echoPlugin = definePlugin({
 *   name: "echo",
 *   start: (_init: { greeting: string }) => ({ handlers: { echo: (p: { text: string }) => p.text } }),
 * });
 * ```
 */
export function definePlugin<Init, Handlers extends object>(
  definition: PluginDefinition<Init, Handlers>,
): PluginDefinition<Init, Handlers> {
  return definition;
}

/**
 * Serves `definition` on this worker's global scope. Does nothing on the main
 * thread, so a plugin module can also be imported for inline use or tests.
 *
 * @example
 * ```ts
 * import { definePlugin, serveWorker } from "./define.ts";
 * const p = definePlugin({ name: "noop", start: () => ({ handlers: {} }) });
 * serveWorker(p); // no-op here: not a worker
 * ```
 */
export function serveWorker<Init, Handlers extends object>(
  definition: PluginDefinition<Init, Handlers>,
): void {
  if (!isWorkerContext()) return;
  const scope = globalThis as unknown as MessageEndpoint & { close(): void };
  servePlugin(definition, scope, () => scope.close());
}

/**
 * Serves `definition` on any message endpoint: the worker's `self`, or one
 * end of a `MessageChannel` for inline plugins. `close` is called after a
 * clean stop.
 *
 * @example
 * ```ts
 * import { definePlugin, servePlugin } from "./define.ts";
 * const p = definePlugin({ name: "noop", start: () => ({ handlers: {} }) });
 * const { port1, port2 } = new MessageChannel();
 * servePlugin(p, port2, () => port2.close());
 * port1.close();
 * ```
 */
export function servePlugin<Init, Handlers extends object>(
  definition: PluginDefinition<Init, Handlers>,
  endpoint: MessageEndpoint,
  close: () => void,
): void {
  const stopController = new AbortController();
  let instance: PluginInstance<Handlers> | undefined;
  const send = (message: LifecycleMessage) => endpoint.postMessage(message);
  const peer = new RpcPeer(endpoint, {
    name: "host",
    defaultTimeoutMs: 60_000,
    onOtherMessage: (data) => {
      if (!isLifecycleMessage(data)) return;
      switch (data.kind) {
        case "init":
          void start(data.name, data.init as Init, data.otel === true);
          break;
        case "ping": {
          send({
            t: "sys",
            kind: "pong",
            seq: data.seq,
            heapUsed: Deno.memoryUsage().heapUsed,
            pendingCalls: peer.pendingCount,
          });
          break;
        }
        case "stop":
          void stop(data.reason);
          break;
        case "fault":
          // Test hook: an uncaught error (the guard reports the crash), or a silent exit.
          if (data.method) armFault(data.method, () => die(data.fault));
          else die(data.fault);
          break;
      }
    },
  });

  let served: object = {};
  function die(fault: "crash" | "exit"): void {
    if (fault === "exit") close();
    else throw new Error("injected fault (test hook): worker crashed on purpose");
  }
  /** The next call of `method` starts, then the worker dies: deterministically mid-call. */
  function armFault(method: string, fire: () => void): void {
    const handlers = served as Record<string, unknown>;
    const original = handlers[method];
    if (typeof original !== "function") return;
    peer.setHandlers({
      ...handlers,
      [method]: (...args: unknown[]) => {
        peer.setHandlers(handlers);
        const result = original.apply(handlers, args);
        // Before any I/O the call waits for can complete.
        queueMicrotask(fire);
        return result;
      },
    });
  }

  async function start(name: string, init: Init, otel: boolean): Promise<void> {
    const ctx: PluginContext = {
      name,
      signal: stopController.signal,
      emit: (event, data, transfer) => peer.emit(event, data, transfer),
      call: <T>(method: string, params: unknown, options?: CallOptions) =>
        (peer as unknown as RpcPeer<Record<string, (p: unknown) => T>>).call(
          method,
          params,
          options,
        ) as Promise<T>,
      onEvent: (event, listener) => peer.on(event, listener),
    };
    try {
      instance = await definition.start(init, ctx);
      if (otel && isWorkerContext()) {
        // Each call served here becomes a span exported by this worker itself.
        setTelemetryEnabled(true);
        served = traceHandlers(name, instance.handlers);
      } else served = instance.handlers;
      peer.setHandlers(served);
      send({ t: "sys", kind: "ready", methods: Object.keys(instance.handlers) });
    } catch (error) {
      send({ t: "sys", kind: "start-failed", error: serializeError(error) });
    }
  }

  async function stop(reason: string): Promise<void> {
    stopController.abort(new Error(`stopping: ${reason}`));
    try {
      await instance?.stop?.();
    } finally {
      peer.close(`stopped: ${reason}`);
      send({ t: "sys", kind: "stopped" });
      close();
    }
  }

  send({ t: "sys", kind: "loaded" });
}
