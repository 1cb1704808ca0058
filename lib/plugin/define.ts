/**
 * The plugin side of the contract: define a plugin, and serve it on a
 * worker's `self` (or, for inline plugins, on a `MessagePort`).
 *
 * @module
 */

import { type CallArgs, type ResultOf, RpcPeer, type Surface } from "../rpc/peer.ts";
import { serializeError } from "../rpc/errors.ts";
import type { MessageEndpoint } from "../rpc/protocol.ts";
import {
  isLifecycleMessage,
  isWorkerContext,
  type LifecycleMessage,
  workerScope,
} from "./lifecycle.ts";
import { setTelemetryEnabled, traceHandlers } from "../telemetry/mod.ts";

/** No events, or no host calls: the default of a plugin that declares none. */
export type NoneDeclared = Record<never, never>;

/**
 * A type a plugin declares (its events, the host's events and calls it
 * uses): made by {@linkcode declared}, an empty object at run time.
 */
export interface Declared<T> {
  /** Never set: carries `T` for the type checker only. */
  readonly type?: T;
}

/**
 * Declares a type in a plugin definition: `events: declared<{ tick: Tick }>()`.
 *
 * @example
 * ```ts
 * import { declared } from "./define.ts";
 * const events = declared<{ tick: { n: number } }>();
 * console.log(events); // {}
 * ```
 */
export function declared<T>(): Declared<T> {
  return {};
}

/**
 * What a running plugin can do towards its host, typed by what it declared:
 * `Events` it emits, `HostEvents` it listens to, `HostCalls` it makes.
 */
export interface PluginContext<
  Events extends object = NoneDeclared,
  HostEvents extends object = NoneDeclared,
  HostCalls extends object = NoneDeclared,
> {
  /** The instance name given by the host, e.g. `"mcp-server:fs"`. */
  readonly name: string;
  /** Aborted when the host asks the plugin to stop. */
  readonly signal: AbortSignal;
  /** Sends a one-way event to the host; `transfer` moves ports or buffers. */
  emit<K extends keyof Events & string>(event: K, data: Events[K], transfer?: Transferable[]): void;
  /** Calls a handler the host registered for this plugin. */
  call<K extends keyof HostCalls & string>(
    method: K,
    ...args: CallArgs<HostCalls, K>
  ): Promise<ResultOf<HostCalls, K>>;
  /**
   * Listens to events from the host (e.g. a transferred `MessagePort`).
   * @returns a function that removes the listener
   */
  onEvent<K extends keyof HostEvents & string>(
    event: K,
    listener: (data: HostEvents[K]) => void,
  ): () => void;
}

/** A started plugin: its RPC surface and how to stop it. */
export interface PluginInstance<Handlers extends object> {
  handlers: Handlers;
  /** Graceful stop; the host bounds it with a timeout, then terminates. */
  stop?(): void | Promise<void>;
}

/**
 * A plugin definition: its methods (the `handlers` `start` returns) and,
 * declared once here, everything else that crosses its boundary. Types flow
 * from it to the host side ({@linkcode SurfaceOf}, {@linkcode HostCallsOf}).
 */
export interface PluginDefinition<
  Init,
  Handlers extends object,
  Events extends object = NoneDeclared,
  HostEvents extends object = NoneDeclared,
  HostCalls extends object = NoneDeclared,
> {
  name: string;
  /** Events the plugin emits (`ctx.emit`), payload by name. */
  events?: Declared<Events>;
  /** Events the host sends the plugin (`ctx.onEvent`), payload by name. */
  hostEvents?: Declared<HostEvents>;
  /** Methods the plugin calls on the host (`ctx.call`), as handler signatures. */
  hostCalls?: Declared<HostCalls>;
  start(
    init: Init,
    ctx: PluginContext<Events, HostEvents, HostCalls>,
  ): PluginInstance<Handlers> | Promise<PluginInstance<Handlers>>;
}

/**
 * What the host sees of a plugin: its methods, the events it emits (`on`)
 * and the events it accepts (`emit`). `PluginRef<SurfaceOf<typeof p>>` and
 * `startPlugin<SurfaceOf<typeof p>>` type every call and event.
 */
export type SurfaceOf<D> = D extends
  PluginDefinition<infer _I, infer H, infer E, infer HE, infer _HC> ? Surface<H, E, HE>
  : never;

/** The host calls a plugin makes: what the host's `handlers` must implement. */
export type HostCallsOf<D> = D extends
  PluginDefinition<infer _I, infer _H, infer _E, infer _HE, infer HC> ? HC
  : never;

/** The init data type of a plugin definition. */
export type InitOf<D> = D extends
  PluginDefinition<infer I, infer _H, infer _E, infer _HE, infer _HC> ? I
  : never;

/**
 * Declares a plugin. Identity function that fixes the types: the init type
 * and the methods come from `start`, events and host calls from
 * {@linkcode declared} types.
 *
 * @example
 * ```ts
 * import { declared, definePlugin } from "./define.ts";
 * export const echoPlugin = definePlugin({
 *   name: "echo",
 *   events: declared<{ echoed: { text: string } }>(),
 *   hostCalls: declared<{ shout: (p: { text: string }) => string }>(),
 *   start: (_init: { greeting: string }, ctx) => ({
 *     handlers: {
 *       echo: (p: { text: string }) => {
 *         ctx.emit("echoed", { text: p.text });
 *         return p.text;
 *       },
 *       loud: (p: { text: string }) => ctx.call("shout", p),
 *     },
 *   }),
 * });
 * ```
 */
export function definePlugin<
  Init,
  Handlers extends object,
  Events extends object = NoneDeclared,
  HostEvents extends object = NoneDeclared,
  HostCalls extends object = NoneDeclared,
>(
  definition: PluginDefinition<Init, Handlers, Events, HostEvents, HostCalls>,
): PluginDefinition<Init, Handlers, Events, HostEvents, HostCalls> {
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
export function serveWorker<
  Init,
  Handlers extends object,
  Events extends object,
  HostEvents extends object,
  HostCalls extends object,
>(definition: PluginDefinition<Init, Handlers, Events, HostEvents, HostCalls>): void {
  const scope = workerScope();
  if (!scope) return;
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
export function servePlugin<
  Init,
  Handlers extends object,
  Events extends object,
  HostEvents extends object,
  HostCalls extends object,
>(
  definition: PluginDefinition<Init, Handlers, Events, HostEvents, HostCalls>,
  endpoint: MessageEndpoint,
  close: () => void,
): void {
  const stopController = new AbortController();
  let instance: PluginInstance<Handlers> | undefined;
  const send = (message: LifecycleMessage) => endpoint.postMessage(message);
  // The host, seen from here: it serves `HostCalls`, emits `HostEvents`, accepts `Events`.
  const peer = new RpcPeer<HostCalls, HostEvents, Events>(endpoint, {
    name: "host",
    defaultTimeoutMs: 60_000,
    onOtherMessage: (data) => {
      if (!isLifecycleMessage(data)) return;
      switch (data.kind) {
        case "init":
          // Trust boundary: the host built the init from this plugin's `InitOf`.
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
    const handlers = served;
    const original: unknown = Object.hasOwn(handlers, method)
      ? Reflect.get(handlers, method)
      : undefined;
    if (typeof original !== "function") return;
    peer.setHandlers({
      ...handlers,
      [method]: (...args: unknown[]) => {
        peer.setHandlers(handlers);
        const result: unknown = Reflect.apply(original, handlers, args);
        // Before any I/O the call waits for can complete.
        queueMicrotask(fire);
        return result;
      },
    });
  }

  async function start(name: string, init: Init, otel: boolean): Promise<void> {
    const ctx: PluginContext<Events, HostEvents, HostCalls> = {
      name,
      signal: stopController.signal,
      emit: (event, data, transfer) => peer.emit(event, data, transfer),
      call: (method, ...args) => peer.call(method, ...args),
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
