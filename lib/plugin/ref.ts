/**
 * A stable reference to a supervised plugin. Its worker may crash and be
 * restarted many times; callers keep the same `PluginRef`.
 *
 * @module
 */

import type { ChildSpec, RestartType } from "../supervisor/types.ts";
import { RpcError } from "../rpc/errors.ts";
import type {
  AcceptsOf,
  CallArgs,
  CallOptions,
  ChunkOf,
  EmitsOf,
  ParamsOf,
  ResultOf,
  RpcPeer,
  StreamingMethods,
} from "../rpc/peer.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { type PluginHandle, type PluginSpec, startPlugin } from "./host.ts";
import { takeFault } from "./fault.ts";

/** The plugin is not running and did not come back within the wait. */
export class PluginUnavailableError extends RpcError {
  constructor(readonly plugin: string, detail: string) {
    super("PLUGIN_UNAVAILABLE", `${plugin} is not available: ${detail}`);
    this.name = "PluginUnavailableError";
  }
}

/** Options of a {@linkcode PluginRef}. */
export interface PluginRefOptions<Remote = Record<string, never>> {
  /** Restart type of the child (default `permanent`). */
  restart?: RestartType;
  /** Graceful stop budget before termination (default 3 000 ms). */
  shutdownMs?: number;
  /** How long a call waits for a restarting plugin (default 5 000 ms). */
  waitMs?: number;
  /** Called with every new instance, after it is ready (first start and each restart). */
  onStart?: (handle: PluginHandle<Remote>) => void;
  clock?: Clock;
}

/**
 * A stable, typed handle on a supervised plugin. `Remote` is its surface
 * (`SurfaceOf<typeof plugin>`): methods, and the events it emits and accepts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PluginRef } from "./ref.ts";
 * import { definePlugin, type SurfaceOf } from "./define.ts";
 * import { Supervisor } from "../supervisor/mod.ts";
 * const echoPlugin = definePlugin({
 *   name: "echo",
 *   start: (init: { prefix: string }) => ({
 *     handlers: { echo: (p: { text: string }) => `${init.prefix}${p.text}` },
 *   }),
 * });
 * // Inline here; mcpchat's services run in workers (`module` + `permissions`).
 * const echo = new PluginRef<SurfaceOf<typeof echoPlugin>>({
 *   name: "echo",
 *   module: new URL(import.meta.url),
 *   mode: "inline",
 *   loadDefinition: () => Promise.resolve(echoPlugin),
 *   permissions: {},
 *   init: { prefix: "> " },
 *   heartbeat: false,
 * });
 * const root = new Supervisor({ name: "root" });
 * await root.start([echo.childSpec()]);
 * assert.equal(await echo.call("echo", { text: "hi" }), "> hi");
 * await root.stop();
 * ```
 */
export class PluginRef<Remote = Record<string, never>> {
  readonly name: string;
  #spec: () => PluginSpec;
  #options: PluginRefOptions<Remote>;
  #clock: Clock;
  #current?: PluginHandle<Remote>;
  #waiters = new Set<() => void>();
  /** Every `on` subscription: how to subscribe to an instance, and how to leave the current one. */
  #subscriptions = new Map<(peer: RpcPeer<Remote>) => () => void, (() => void) | undefined>();
  #failure?: string;
  #lastError?: string;

  constructor(spec: PluginSpec | (() => PluginSpec), options: PluginRefOptions<Remote> = {}) {
    this.#spec = typeof spec === "function" ? spec : () => spec;
    this.name = this.#spec().name;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** The child spec to hand to a supervisor. */
  childSpec(): ChildSpec {
    return {
      id: this.name,
      restart: this.#options.restart ?? "permanent",
      shutdownMs: this.#options.shutdownMs ?? 3_000,
      start: async () => {
        try {
          const handle = await startPlugin<Remote>(this.#spec());
          this.#attach(handle);
          this.#options.onStart?.(handle);
          return handle;
        } catch (error) {
          this.#lastError = error instanceof Error ? error.message : String(error);
          throw error;
        }
      },
    };
  }

  /** The running instance, if any. */
  get current(): PluginHandle<Remote> | undefined {
    return this.#current && !this.#current.ended ? this.#current : undefined;
  }

  /**
   * Marks the plugin as gone for good (its supervisor gave up, or it was
   * removed): waiting and future calls fail at once with `reason`.
   */
  markFailed(reason: string): void {
    this.#failure = reason;
    for (const wake of this.#waiters) wake();
  }

  /** Calls a method; waits a bounded time if the plugin is restarting. */
  async call<K extends keyof Remote & string>(
    method: K,
    ...args: CallArgs<Remote, K>
  ): Promise<ResultOf<Remote, K>> {
    const [params, options] = args;
    const handle = await this.#ready(options?.signal);
    const afterSend = takeFault(this.name, method, params);
    const result = handle.peer.call(method, ...args);
    afterSend?.();
    return result;
  }

  /** Streams a method's chunks; waits a bounded time if the plugin is restarting. */
  async *stream<K extends StreamingMethods<Remote> & string>(
    method: K,
    params: ParamsOf<Remote, K>,
    options?: CallOptions,
  ): AsyncGenerator<ChunkOf<Remote, K>, void, undefined> {
    const handle = await this.#ready(options?.signal);
    const afterSend = takeFault(this.name, method, params);
    let first = true;
    for await (const chunk of handle.peer.stream(method, params, options)) {
      if (first) afterSend?.();
      first = false;
      yield chunk;
    }
  }

  /**
   * Sends a one-way event the plugin accepts to the current instance
   * (dropped while it is down).
   */
  emit<K extends keyof AcceptsOf<Remote> & string>(
    event: K,
    data: AcceptsOf<Remote>[K],
    transfer?: Transferable[],
  ): void {
    this.current?.peer.emit(event, data, transfer);
  }

  /**
   * Listens to an event the plugin emits, from every present and future instance.
   * @returns a function that removes the listener
   */
  on<K extends keyof EmitsOf<Remote> & string>(
    event: K,
    listener: (data: EmitsOf<Remote>[K]) => void,
  ): () => void {
    const subscribe = (peer: RpcPeer<Remote>) => peer.on(event, listener);
    this.#subscriptions.set(subscribe, this.current && subscribe(this.current.peer));
    return () => {
      this.#subscriptions.get(subscribe)?.();
      this.#subscriptions.delete(subscribe);
    };
  }

  #attach(handle: PluginHandle<Remote>): void {
    this.#current = handle;
    this.#failure = undefined;
    for (const [subscribe, leave] of this.#subscriptions) {
      leave?.();
      this.#subscriptions.set(subscribe, subscribe(handle.peer));
    }
    void handle.exited.then((reason) => {
      if (reason.kind === "crash") this.#lastError = reason.error;
    });
    for (const wake of this.#waiters) wake();
  }

  async #ready(signal?: AbortSignal): Promise<PluginHandle<Remote>> {
    const waitMs = this.#options.waitMs ?? 5_000;
    const deadline = this.#clock.now() + waitMs;
    while (true) {
      const current = this.current;
      if (current) return current;
      if (this.#failure) throw new PluginUnavailableError(this.name, this.#failure);
      const left = deadline - this.#clock.now();
      if (left <= 0) {
        throw new PluginUnavailableError(
          this.name,
          `not running and did not restart within ${waitMs} ms` +
            (this.#lastError ? ` (last error: ${this.#lastError})` : ""),
        );
      }
      signal?.throwIfAborted();
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#waiters.delete(done);
          this.#clock.clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = this.#clock.setTimeout(done, left);
        this.#waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }
}
