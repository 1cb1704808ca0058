/**
 * A symmetric, typed RPC peer over `postMessage`: requests with ids and
 * per-call timeouts, cancellation across the boundary, streamed results and
 * one-way events. Both ends of a channel run an `RpcPeer`; either may call
 * the other.
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import {
  MethodNotFoundError,
  PeerClosedError,
  RemoteError,
  RpcCancelledError,
  RpcError,
  RpcTimeoutError,
  serializeError,
} from "./errors.ts";
import { isRpcMessage, type MessageEndpoint, type RpcMessage } from "./protocol.ts";

/** What a handler learns about the call it serves. */
export interface CallContext {
  /** Aborted when the caller cancels, times out, or the peer closes. */
  signal: AbortSignal;
  /** The caller's trace context (W3C `traceparent`), when it sent one. */
  traceparent?: string;
}

/**
 * A handler: returns a value (or a promise of one), or an async iterable whose
 * items are streamed to the caller.
 */
export type Handler<P = never, R = unknown> = (params: P, ctx: CallContext) => R;

/**
 * Parameters of method `K` of surface `S`. An optional method (one the other
 * side may not offer, such as a host's `sampling`) is typed as if present: a
 * call to a missing one fails with `METHOD_NOT_FOUND`.
 */
export type ParamsOf<S, K extends keyof S> = NonNullable<S[K]> extends
  (params: infer P, ctx: CallContext) => unknown ? P
  : never;

/**
 * The arguments of a call of method `K`: its params, then options. The
 * params may be left out when the method takes none (or takes `undefined`).
 */
export type CallArgs<S, K extends keyof S> = undefined extends ParamsOf<S, K>
  ? [params?: ParamsOf<S, K>, options?: CallOptions]
  : [params: ParamsOf<S, K>, options?: CallOptions];

/** Final result of method `K` of surface `S` (`void` for streaming methods). */
export type ResultOf<S, K extends keyof S> = NonNullable<S[K]> extends (...args: never[]) => infer R
  ? R extends AsyncIterable<unknown> ? void : Awaited<R>
  : never;

/** Item type streamed by method `K` of surface `S`. */
export type ChunkOf<S, K extends keyof S> = NonNullable<S[K]> extends (...args: never[]) => infer R
  ? R extends AsyncIterable<infer C> ? C : never
  : never;

/** Methods of `S` that stream. */
export type StreamingMethods<S> = {
  [K in keyof S]: NonNullable<S[K]> extends (...args: never[]) => AsyncIterable<unknown> ? K
    : never;
}[keyof S];

/** Key of the type-only event declaration of a surface (never present at run time). */
declare const peerEvents: unique symbol;

/**
 * The one-way events of a peer, declared on the type of its surface: those
 * it `Emits` (payload by name) and those it `Accepts`. Type-only: nothing of
 * it exists at run time, and method names (`keyof S & string`) never see it.
 */
export interface PeerEvents<Emits extends object, Accepts extends object> {
  readonly [peerEvents]: { readonly emits: Emits; readonly accepts: Accepts };
}

/**
 * A peer's whole surface: its `Methods`, the events it emits, and the events
 * it accepts. `RpcPeer<Surface<…>>` types `call`, `stream`, `on` and `emit`.
 */
export type Surface<Methods, Emits extends object, Accepts extends object> =
  & Methods
  & PeerEvents<Emits, Accepts>;

/** Events of a surface that declares none: any name, payload `unknown`. */
export type UntypedEvents = Record<string, unknown>;

/** Events the peer with surface `S` emits (what `on` receives). */
export type EmitsOf<S> = S extends PeerEvents<infer E, object> ? E : UntypedEvents;

/** Events the peer with surface `S` accepts (what `emit` may send it). */
export type AcceptsOf<S> = S extends PeerEvents<object, infer A> ? A : UntypedEvents;

/** Options of one call. */
export interface CallOptions {
  /** Cancels the call; the remote handler's signal aborts too. */
  signal?: AbortSignal;
  /**
   * Milliseconds to wait for the answer (for streams: for each next chunk).
   * `Infinity` waits forever: only for calls bounded by their own timeouts.
   */
  timeoutMs?: number;
}

/** Options of an {@linkcode RpcPeer}. */
export interface RpcPeerOptions {
  /** Name of the remote side, used in error messages ("store", "llm"). */
  name: string;
  /** Methods this side offers to the remote side. */
  handlers?: object;
  /** Default per-call timeout in ms (default 30 000). */
  defaultTimeoutMs?: number;
  /** The trace context to send with each request (telemetry; absent: none is sent). */
  traceparent?: () => string | undefined;
  /** Clock for timeouts (injected in tests). */
  clock?: Clock;
  /** Receives messages on the channel that are not RPC (host lifecycle traffic). */
  onOtherMessage?: (data: unknown, event: MessageEvent) => void;
}

interface PendingCall {
  method: string;
  timeoutMs: number;
  timer?: TimerHandle;
  onChunk?: (value: unknown) => void;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  cleanup: () => void;
}

/** A listener of some event; which payload it takes is known by the event's name only. */
type EventListenerFn = (data: never) => void;

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One end of an RPC channel.
 *
 * @typeParam Remote the surface (method map) offered by the other side.
 * @typeParam Emits the events the other side emits (default: declared on `Remote`, see {@linkcode Surface}).
 * @typeParam Accepts the events the other side accepts (likewise).
 *
 * @example
 * ```ts
 * import { RpcPeer } from "./peer.ts";
 * const { port1, port2 } = new MessageChannel();
 * const server = new RpcPeer(port1, {
 *   name: "client",
 *   handlers: { add: ({ a, b }: { a: number; b: number }) => a + b },
 * });
 * const client = new RpcPeer<{ add: (p: { a: number; b: number }) => number }>(port2, { name: "server" });
 * console.log(await client.call("add", { a: 1, b: 2 })); // 3
 * client.close("done");
 * server.close("done");
 * ```
 */
export class RpcPeer<
  Remote = Record<string, never>,
  Emits extends object = EmitsOf<Remote>,
  Accepts extends object = AcceptsOf<Remote>,
> {
  readonly name: string;
  #endpoint: MessageEndpoint;
  #handlers: object;
  #clock: Clock;
  #defaultTimeoutMs: number;
  #onOther?: (data: unknown, event: MessageEvent) => void;
  #nextId = 1;
  #pending = new Map<number, PendingCall>();
  #incoming = new Map<number, AbortController>();
  #listeners = new Map<string, Set<EventListenerFn>>();
  #closed: string | undefined;
  #onMessage = (event: MessageEvent) => this.#receive(event);
  #traceparent?: () => string | undefined;

  constructor(endpoint: MessageEndpoint, options: RpcPeerOptions) {
    this.name = options.name;
    this.#endpoint = endpoint;
    this.#handlers = options.handlers ?? {};
    this.#clock = options.clock ?? systemClock;
    this.#defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#onOther = options.onOtherMessage;
    this.#traceparent = options.traceparent;
    endpoint.addEventListener("message", this.#onMessage);
    // A MessagePort delivers nothing until started (a Worker has no start()).
    if ("start" in endpoint && typeof endpoint.start === "function") endpoint.start();
  }

  /** Whether {@linkcode RpcPeer.close} was called. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Number of calls awaiting an answer (a queue length for health checks). */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Replaces the methods offered to the remote side. */
  setHandlers(handlers: object): void {
    this.#handlers = handlers;
  }

  /**
   * Calls `method` on the remote side and resolves with its result.
   *
   * @throws {RpcTimeoutError} no answer within the timeout
   * @throws {RpcCancelledError} `options.signal` aborted
   * @throws {PeerClosedError} the peer closed or crashed
   * @throws {RemoteError} the remote handler threw
   */
  call<K extends keyof Remote & string>(
    method: K,
    ...[params, options = {}]: CallArgs<Remote, K>
  ): Promise<ResultOf<Remote, K>> {
    // Trust boundary: the answer is what the method's declaration returns (see `on`).
    return this.#request(method, params, false, options) as Promise<ResultOf<Remote, K>>;
  }

  /**
   * Calls a streaming `method` and yields its chunks as they arrive. Breaking
   * out of the loop cancels the remote work. The timeout applies to each gap
   * between chunks.
   */
  async *stream<K extends StreamingMethods<Remote> & string>(
    method: K,
    params: ParamsOf<Remote, K>,
    options: CallOptions = {},
  ): AsyncGenerator<ChunkOf<Remote, K>, void, undefined> {
    const queue: unknown[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: Error | undefined;
    const local = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, local.signal]) : local.signal;
    const done = this.#request(method, params, true, { ...options, signal }, (chunk) => {
      queue.push(chunk);
      wake?.();
    }).then(
      () => {
        finished = true;
        wake?.();
      },
      (error: Error) => {
        failure = error;
        finished = true;
        wake?.();
      },
    );
    try {
      while (true) {
        if (queue.length > 0) {
          // Trust boundary: a chunk is what the method's declaration yields.
          yield queue.shift() as ChunkOf<Remote, K>;
          continue;
        }
        if (finished) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure) throw failure;
    } finally {
      if (!finished) {
        local.abort(new RpcCancelledError(this.name, method));
        await done;
      }
    }
  }

  /**
   * Sends a one-way event the remote side accepts; `transfer` moves ports or
   * buffers with it.
   */
  emit<K extends keyof Accepts & string>(
    name: K,
    data: Accepts[K],
    transfer?: Transferable[],
  ): void {
    if (this.#closed !== undefined) return;
    this.#post({ t: "event", name, data }, transfer);
  }

  /**
   * Listens to events named `name` from the remote side.
   * @returns a function that removes the listener
   */
  on<K extends keyof Emits & string>(
    name: K,
    listener: (data: Emits[K]) => void,
  ): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, set = new Set());
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Closes this end: pending calls fail with {@linkcode PeerClosedError},
   * running handlers are aborted, the endpoint is no longer listened to.
   */
  close(reason: string): void {
    if (this.#closed !== undefined) return;
    this.#closed = reason;
    this.#endpoint.removeEventListener("message", this.#onMessage);
    for (const [id, call] of this.#pending) {
      this.#pending.delete(id);
      call.cleanup();
      call.reject(new PeerClosedError(this.name, reason));
    }
    for (const controller of this.#incoming.values()) {
      controller.abort(new PeerClosedError(this.name, reason));
    }
    this.#incoming.clear();
  }

  #request(
    method: string,
    params: unknown,
    stream: boolean,
    options: CallOptions,
    onChunk?: (value: unknown) => void,
  ): Promise<unknown> {
    if (this.#closed !== undefined) {
      return Promise.reject(new PeerClosedError(this.name, this.#closed));
    }
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(new RpcCancelledError(this.name, method, { cause: signal.reason }));
    }
    const id = this.#nextId++;
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#abandon(id, "cancelled");
        reject(new RpcCancelledError(this.name, method, { cause: signal?.reason }));
      };
      const call: PendingCall = {
        method,
        timeoutMs,
        onChunk,
        resolve,
        reject,
        cleanup: () => {
          if (call.timer !== undefined) this.#clock.clearTimeout(call.timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      this.#pending.set(id, call);
      this.#armTimer(id, call);
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const trace = this.#traceparent?.();
        this.#post(
          trace
            ? { t: "req", id, method, params, stream, trace }
            : { t: "req", id, method, params, stream },
        );
      } catch (error) {
        // Params that structured clone refuses are the caller's bug: say so.
        this.#pending.delete(id);
        call.cleanup();
        reject(
          new RpcError(
            "RPC_UNSENDABLE",
            `${this.name}: cannot send "${method}": ${messageOf(error)}`,
          ),
        );
      }
    });
  }

  #armTimer(id: number, call: PendingCall): void {
    if (call.timer !== undefined) this.#clock.clearTimeout(call.timer);
    if (!Number.isFinite(call.timeoutMs)) return;
    call.timer = this.#clock.setTimeout(() => {
      this.#abandon(id, "timeout");
      call.reject(new RpcTimeoutError(this.name, call.method, call.timeoutMs));
    }, call.timeoutMs);
  }

  #abandon(id: number, reason: string): void {
    const call = this.#pending.get(id);
    if (!call) return;
    this.#pending.delete(id);
    call.cleanup();
    if (this.#closed === undefined) this.#post({ t: "cancel", id, reason });
  }

  #post(message: RpcMessage, transfer?: Transferable[]): void {
    if (transfer?.length) this.#endpoint.postMessage(message, transfer);
    else this.#endpoint.postMessage(message);
  }

  #receive(event: MessageEvent): void {
    const message = event.data;
    if (!isRpcMessage(message)) {
      this.#onOther?.(message, event);
      return;
    }
    switch (message.t) {
      case "req":
        void this.#serve(message.id, message.method, message.params, message.stream, message.trace);
        break;
      case "chunk": {
        const call = this.#pending.get(message.id);
        if (!call) break;
        this.#armTimer(message.id, call);
        call.onChunk?.(message.value);
        break;
      }
      case "res": {
        const call = this.#pending.get(message.id);
        if (!call) break;
        this.#pending.delete(message.id);
        call.cleanup();
        if (message.ok) call.resolve(message.value);
        else call.reject(new RemoteError(this.name, message.error));
        break;
      }
      case "cancel":
        this.#incoming.get(message.id)?.abort(
          new RpcCancelledError("caller", `#${message.id}`, { cause: message.reason }),
        );
        break;
      case "event": {
        const listeners = this.#listeners.get(message.name);
        if (!listeners) break;
        for (const listener of [...listeners]) {
          try {
            // The trust boundary of events: the payload is what the surface
            // declares for this name (`EmitsOf`), because both ends compile
            // against that one declaration; as for a call's result, it is
            // not checked again here.
            listener(message.data as never);
          } catch (error) {
            // A faulty listener must not break the channel; surface it asynchronously.
            queueMicrotask(() => {
              throw error;
            });
          }
        }
        break;
      }
    }
  }

  async #serve(
    id: number,
    method: string,
    params: unknown,
    stream: boolean,
    traceparent?: string,
  ): Promise<void> {
    const handler: unknown = Object.hasOwn(this.#handlers, method)
      ? Reflect.get(this.#handlers, method)
      : undefined;
    if (typeof handler !== "function") {
      this.#respondError(id, new MethodNotFoundError("this side", method));
      return;
    }
    const controller = new AbortController();
    this.#incoming.set(id, controller);
    try {
      const context: CallContext = traceparent
        ? { signal: controller.signal, traceparent }
        : { signal: controller.signal };
      // The params are what the method's declaration says (the caller compiled against it).
      const result: unknown = await Reflect.apply(handler, this.#handlers, [params, context]);
      if (isAsyncIterable(result)) {
        if (!stream) {
          throw new RpcError("RPC_USAGE", `"${method}" streams its result: call it with stream()`);
        }
        const iterator = result[Symbol.asyncIterator]();
        const onAbort = () => void iterator.return?.();
        controller.signal.addEventListener("abort", onAbort, { once: true });
        try {
          while (!controller.signal.aborted) {
            const step = await iterator.next();
            if (step.done) break;
            if (this.#closed !== undefined || controller.signal.aborted) break;
            this.#post({ t: "chunk", id, value: step.value });
          }
        } finally {
          controller.signal.removeEventListener("abort", onAbort);
        }
        if (controller.signal.aborted) return;
        this.#respond(id, undefined);
      } else {
        if (controller.signal.aborted) return;
        this.#respond(id, result);
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      this.#respondError(id, error);
    } finally {
      this.#incoming.delete(id);
    }
  }

  #respond(id: number, value: unknown): void {
    if (this.#closed !== undefined) return;
    try {
      this.#post({ t: "res", id, ok: true, value });
    } catch (error) {
      this.#respondError(
        id,
        new RpcError("RPC_UNSENDABLE", `result cannot be sent: ${messageOf(error)}`),
      );
    }
  }

  #respondError(id: number, error: unknown): void {
    if (this.#closed !== undefined) return;
    this.#post({ t: "res", id, ok: false, error: serializeError(error) });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
