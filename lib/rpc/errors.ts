/**
 * Errors raised by the RPC layer. Each carries a stable `code` so callers can
 * branch without matching message text.
 *
 * @module
 */

import { McpchatError, type McpchatErrorOptions } from "../util/errors.ts";

/** Plain-data form of an error, safe to send through `postMessage`. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  /** Extra structured-clonable details (file/line for config errors, status for HTTP). */
  data?: Record<string, unknown>;
  stack?: string;
}

/**
 * Base class of every RPC error.
 *
 * @example
 * ```ts
 * import { RpcError } from "./errors.ts";
 * try { throw new RpcError("EXAMPLE", "boom"); } catch (e) { if (e instanceof RpcError) console.log(e.code); }
 * ```
 */
export class RpcError extends McpchatError {
  /** Creates the error: machine-readable `code`, then `message`. */
  constructor(code: string, message: string, options?: McpchatErrorOptions) {
    super(code, message, options);
    this.name = "RpcError";
  }
}

/**
 * A call did not complete within its timeout. The remote side was told to
 * cancel it.
 *
 * @example
 * ```ts
 * import { RpcTimeoutError } from "./errors.ts";
 * console.log(new RpcTimeoutError("store", "append", 5000).message);
 * ```
 */
export class RpcTimeoutError extends RpcError {
  constructor(readonly peer: string, readonly method: string, readonly timeoutMs: number) {
    super(
      "RPC_TIMEOUT",
      `${peer}: call "${method}" timed out after ${timeoutMs} ms (the ${peer} service is slow or stuck; try again, or run "mcpchat doctor")`,
    );
    this.name = "RpcTimeoutError";
  }
}

/**
 * The caller cancelled the call (its AbortSignal fired).
 *
 * @example
 * ```ts
 * import { RpcCancelledError } from "./errors.ts";
 * console.log(new RpcCancelledError("llm", "chat").code); // "RPC_CANCELLED"
 * ```
 */
export class RpcCancelledError extends RpcError {
  constructor(readonly peer: string, readonly method: string, options?: ErrorOptions) {
    super("RPC_CANCELLED", `${peer}: call "${method}" was cancelled`, options);
    this.name = "AbortError";
  }
}

/**
 * The peer went away (crashed, stopped or restarting) while the call was
 * pending, or before it was made.
 *
 * @example
 * ```ts
 * import { PeerClosedError } from "./errors.ts";
 * console.log(new PeerClosedError("store", "worker crashed").message);
 * ```
 */
export class PeerClosedError extends RpcError {
  constructor(readonly peer: string, readonly reason: string) {
    super("PEER_CLOSED", `${peer} is not available: ${reason}`);
    this.name = "PeerClosedError";
  }
}

/**
 * The remote handler threw. `remoteName`, `code` and `data` are the remote
 * error's own, so a `ConfigError` raised in the config worker can still be
 * recognised (and its file/line read) on the main thread.
 *
 * @example
 * ```ts
 * import { RemoteError } from "./errors.ts";
 * const e = new RemoteError("config", { name: "ConfigError", message: "bad", code: "CONFIG_SYNTAX" });
 * console.log(e.remoteName, e.code);
 * ```
 */
export class RemoteError extends RpcError {
  readonly remoteName: string;
  readonly data?: Record<string, unknown>;
  readonly remoteStack?: string;
  constructor(readonly peer: string, error: SerializedError) {
    // The remote error's hint (an own field, so in `data`) stays a hint here.
    super(error.code ?? "REMOTE_ERROR", error.message, {
      hint: typeof error.data?.hint === "string" ? error.data.hint : undefined,
    });
    this.name = "RemoteError";
    this.remoteName = error.name;
    this.data = error.data;
    this.remoteStack = error.stack;
  }
}

/** A method the peer does not offer. */
export class MethodNotFoundError extends RpcError {
  constructor(readonly peer: string, readonly method: string) {
    super("METHOD_NOT_FOUND", `${peer}: no such method "${method}"`);
    this.name = "MethodNotFoundError";
  }
}

const SKIPPED_KEYS = new Set(["name", "message", "stack", "code", "cause"]);

/**
 * Turns any thrown value into plain data for `postMessage`. Own enumerable
 * properties that structured clone accepts (e.g. `file`, `line`, `status`)
 * travel in `data`.
 *
 * @example
 * ```ts
 * import { serializeError } from "./errors.ts";
 * console.log(serializeError(new TypeError("x")).name); // "TypeError"
 * ```
 */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof RemoteError) {
    return {
      name: error.remoteName,
      message: error.message,
      code: error.code,
      data: error.data,
      stack: error.remoteStack,
    };
  }
  if (error instanceof Error) {
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(error)) {
      if (SKIPPED_KEYS.has(key)) continue;
      if (isCloneable(value)) data[key] = value;
    }
    const code = "code" in error ? error.code : undefined;
    return {
      name: error.name,
      message: error.message,
      code: typeof code === "string" ? code : undefined,
      data: Object.keys(data).length ? data : undefined,
      stack: error.stack,
    };
  }
  return { name: "Error", message: String(error) };
}

function isCloneable(value: unknown): boolean {
  const type = typeof value;
  if (value === null || type === "string" || type === "number" || type === "boolean") return true;
  if (type === "function" || type === "symbol" || type === "bigint") return false;
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
