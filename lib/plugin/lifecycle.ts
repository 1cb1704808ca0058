/**
 * Lifecycle messages between a plugin host and its plugin, sharing the
 * channel with RPC traffic (they carry `t: "sys"`).
 *
 * @module
 */

import type { SerializedError } from "../rpc/errors.ts";

/** Lifecycle messages; RPC messages travel on the same channel. */
export type LifecycleMessage =
  /** plugin → host: module evaluated, send `init`. */
  | { t: "sys"; kind: "loaded" }
  /** host → plugin: start with this data. */
  | { t: "sys"; kind: "init"; name: string; init: unknown; otel?: boolean }
  /** plugin → host: started, RPC surface is live. */
  | { t: "sys"; kind: "ready"; methods: string[] }
  /** plugin → host: `start()` threw. */
  | { t: "sys"; kind: "start-failed"; error: SerializedError }
  /** host → plugin: heartbeat. */
  | { t: "sys"; kind: "ping"; seq: number }
  /** plugin → host: heartbeat answer with the plugin's own figures. */
  | { t: "sys"; kind: "pong"; seq: number; heapUsed: number; pendingCalls: number }
  /** host → plugin: stop cleanly. */
  | { t: "sys"; kind: "stop"; reason: string }
  /** plugin → host: stopped cleanly, may be terminated. */
  | { t: "sys"; kind: "stopped" }
  /** plugin → host: an uncaught error or unhandled rejection; the plugin is dead. */
  | { t: "sys"; kind: "crash"; error: SerializedError }
  /**
   * host → plugin, tests only ({@linkcode PluginHandle.injectFault}): die by an
   * uncaught error (`crash`) or silently (`exit`, seen through heartbeats); now,
   * or with `method`, as soon as the next call of it has started.
   */
  | { t: "sys"; kind: "fault"; fault: PluginFault; method?: string };

/** A fault a test can inject into a running worker plugin. */
export type PluginFault = "crash" | "exit";

/**
 * Whether `value` is a lifecycle message.
 *
 * @example
 * ```ts
 * import { isLifecycleMessage } from "./lifecycle.ts";
 * console.log(isLifecycleMessage({ t: "sys", kind: "loaded" })); // true
 * ```
 */
export function isLifecycleMessage(value: unknown): value is LifecycleMessage {
  return typeof value === "object" && value !== null && "t" in value && value.t === "sys";
}

/**
 * Whether this code runs inside a Web Worker (as opposed to the main thread).
 *
 * @example
 * ```ts
 * import { isWorkerContext } from "./lifecycle.ts";
 * console.log(isWorkerContext()); // false on the main thread
 * ```
 */
export function isWorkerContext(): boolean {
  return "WorkerGlobalScope" in globalThis;
}

/** A worker's global scope, as a plugin uses it: a message endpoint that can close. */
export interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  close(): void;
}

/**
 * This worker's global scope, or `undefined` on the main thread (checked, not
 * assumed: these files are type-checked with the main thread's globals).
 *
 * @example
 * ```ts
 * import { workerScope } from "./lifecycle.ts";
 * console.log(workerScope()); // undefined on the main thread
 * ```
 */
export function workerScope(): WorkerScope | undefined {
  const scope: object = globalThis;
  return isWorkerContext() && isWorkerScope(scope) ? scope : undefined;
}

function isWorkerScope(value: object): value is WorkerScope {
  return "postMessage" in value && typeof value.postMessage === "function" &&
    "addEventListener" in value && typeof value.addEventListener === "function" &&
    "removeEventListener" in value && typeof value.removeEventListener === "function" &&
    "close" in value && typeof value.close === "function";
}
