/**
 * What every part of an open store shares: the KV handle with its lock
 * retry, the clock and random source, the `session-changed` event sink, and
 * whether the store is still open. One per {@linkcode openMessageStore}
 * call; internal to `lib/store`.
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import { StoreClosedError } from "./errors.ts";
import { withLockRetry } from "./retry.ts";
import type { SessionRecord } from "./types.ts";

/** What changed in a session (payload of the `session-changed` event). */
export interface SessionChangedEvent {
  /** Session id. */
  sessionId: string;
  /** Kind of change. */
  change: "created" | "appended" | "updated" | "cleared" | "deleted" | "imported" | "lease-lost";
  /** The record after the change (absent after delete). */
  session?: SessionRecord;
  /** Sequence numbers appended (for `appended`). */
  seqs?: number[];
}

/** Options of {@linkcode StoreContext}. */
export interface StoreContextOptions {
  /** The open, migrated database. */
  kv: Deno.Kv;
  /** Human description of where the store is (path, URL or `:memory:`), for errors. */
  location: string;
  /** Time source. */
  clock: Clock;
  /** Random source in [0, 1) for ids and retry jitter. */
  random: () => number;
  /** Receives `session-changed` events; a throwing listener is ignored. */
  onEvent?: (event: SessionChangedEvent) => void;
}

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/**
 * The shared internals of one open store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreContext } from "./context.ts";
 * import { systemClock } from "../util/clock.ts";
 * const events: string[] = [];
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"),
 *   location: ":memory:",
 *   clock: systemClock,
 *   random: Math.random,
 *   onEvent: (e) => events.push(e.change),
 * });
 * await ctx.retry(() => ctx.kv.set(["k"], 1));
 * ctx.emit({ sessionId: "s1", change: "created" });
 * assert.deepEqual(events, ["created"]);
 * assert.match(ctx.randomId(12), /^[0-9a-z]{12}$/);
 * ctx.close();
 * assert.throws(() => ctx.ensureOpen(), /closed/);
 * ```
 */
export class StoreContext {
  /** The open database. */
  readonly kv: Deno.Kv;
  /** Human description of where the store is (path or URL), for errors. */
  readonly location: string;
  /** Time source. */
  readonly clock: Clock;
  /** Random source in [0, 1). */
  readonly random: () => number;
  #onEvent: ((event: SessionChangedEvent) => void) | undefined;
  #lockRetries = 0;
  #closed = false;

  /** Wraps an open database. */
  constructor(options: StoreContextOptions) {
    this.kv = options.kv;
    this.location = options.location;
    this.clock = options.clock;
    this.random = options.random;
    this.#onEvent = options.onEvent;
  }

  /** Runs a KV operation, retrying while another process holds the database lock. */
  readonly retry = <T>(op: () => Promise<T>): Promise<T> =>
    withLockRetry(op, {
      clock: this.clock,
      random: this.random,
      onRetry: () => this.#lockRetries++,
    });

  /** Reports a change that has committed. */
  emit(event: SessionChangedEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // A listener's failure must not fail the write that already committed.
    }
  }

  /** A random id of `length` characters from an unambiguous lower-case alphabet. */
  randomId(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) {
      s += ID_ALPHABET[Math.floor(this.random() * ID_ALPHABET.length)];
    }
    return s;
  }

  /** Operations retried because another process held the database lock. */
  get lockRetries(): number {
    return this.#lockRetries;
  }

  /** Throws {@linkcode StoreClosedError} once the store is closed; otherwise returns the context. */
  ensureOpen(): this {
    if (this.#closed) throw new StoreClosedError();
    return this;
  }

  /** True once {@linkcode StoreContext.close} ran. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the database. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.kv.close();
  }
}
