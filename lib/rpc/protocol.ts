/**
 * Wire messages exchanged by {@linkcode RpcPeer}s over `postMessage`.
 *
 * @module
 */

import type { SerializedError } from "./errors.ts";

/** A request; `stream` asks for chunk messages before the final response. */
export interface RequestMessage {
  t: "req";
  id: number;
  method: string;
  params: unknown;
  stream: boolean;
  /** W3C `traceparent` of the caller's active span, when telemetry is on. */
  trace?: string;
}

/** One piece of a streamed result. */
export interface ChunkMessage {
  t: "chunk";
  id: number;
  value: unknown;
}

/** The final answer to a request. */
export type ResponseMessage =
  | { t: "res"; id: number; ok: true; value: unknown }
  | { t: "res"; id: number; ok: false; error: SerializedError };

/** The caller gave up on a request (cancelled or timed out). */
export interface CancelMessage {
  t: "cancel";
  id: number;
  reason: string;
}

/** A one-way event. */
export interface EventMessage {
  t: "event";
  name: string;
  data: unknown;
}

/** Every message an RPC peer sends or accepts. */
export type RpcMessage =
  | RequestMessage
  | ChunkMessage
  | ResponseMessage
  | CancelMessage
  | EventMessage;

/**
 * Whether `value` is an RPC message (as opposed to a host lifecycle message
 * sharing the same channel).
 *
 * @example
 * ```ts
 * import { isRpcMessage } from "./protocol.ts";
 * console.log(isRpcMessage({ t: "event", name: "x", data: 1 })); // true
 * ```
 */
export function isRpcMessage(value: unknown): value is RpcMessage {
  if (typeof value !== "object" || value === null || !("t" in value)) return false;
  const t = value.t;
  return t === "req" || t === "chunk" || t === "res" || t === "cancel" || t === "event";
}

/**
 * What an RPC peer needs from the other end of the line: a `Worker`, a
 * worker's `self`, or a `MessagePort` all qualify.
 */
export interface MessageEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  removeEventListener(type: "message", listener: (event: MessageEvent) => void): void;
}
