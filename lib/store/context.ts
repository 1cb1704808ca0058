/**
 * Shared internals of an open store: the KV handle with its retry policy,
 * the clock, the event sink, and the message reader used by views, export
 * and sweeps. Internal to `lib/store`.
 *
 * @module
 */

import type { Clock } from "../util/clock.ts";
import { decodeMessage, type StoredMessage } from "./codec.ts";
import { StoreCorruptedError } from "./errors.ts";
import { chunkPrefix, messageKey, messagePrefix } from "./keys.ts";
import type { MessageEntry, SessionRecord } from "./types.ts";

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

/** Internals shared by the store, its views and helpers. */
export interface StoreContext {
  /** The open database. */
  kv: Deno.Kv;
  /** Human description of where the store is (path or URL), for errors. */
  location: string;
  /** Time source. */
  clock: Clock;
  /** Runs a KV operation with lock retry. */
  retry<T>(op: () => Promise<T>): Promise<T>;
  /** Reports a change. */
  emit(event: SessionChangedEvent): void;
}

/** A range of sequence numbers, `[from, to)`. */
export interface SeqRange {
  /** First sequence number (inclusive). */
  from: number;
  /** End (exclusive). */
  to: number;
  /** Newest first when true. */
  reverse?: boolean;
  /** Maximum number of messages. */
  limit?: number;
  /** KV read batch size (default 100). */
  batchSize?: number;
}

/**
 * Reads and decodes the messages of session `id` in `range`, streaming:
 * only one KV batch is in memory at a time.
 *
 * @example
 * ```ts ignore
 * for await (const m of readMessages(ctx, "k3v9", { from: 0, to: 100 })) console.log(m.seq);
 * ```
 */
export async function* readMessages(
  ctx: StoreContext,
  id: string,
  range: SeqRange,
): AsyncGenerator<MessageEntry> {
  const reverse = range.reverse ?? false;
  const batchSize = Math.max(1, range.batchSize ?? 100);
  let remaining = range.limit ?? Infinity;
  let from = range.from;
  let to = range.to;
  // Reads one bounded batch at a time, each restartable as a whole under the lock
  // retry, and continues after the last key seen.
  while (to > from && remaining > 0) {
    const limit = Math.min(batchSize, remaining);
    const batch: Array<Deno.KvEntry<StoredMessage>> = [];
    await ctx.retry(async () => {
      batch.length = 0;
      for await (
        const e of ctx.kv.list<StoredMessage>(
          { start: messageKey(id, from), end: messageKey(id, to) },
          { reverse, limit, batchSize: limit },
        )
      ) batch.push(e);
    });
    for (const entry of batch) {
      const seq = Number(entry.key[2] as bigint);
      const message = await decodeMessage(
        entry.value,
        (count) => readChunks(ctx, id, seq, count),
        ctx.location,
      );
      yield { seq, ...message };
    }
    if (batch.length < limit) return;
    remaining -= batch.length;
    const last = Number(batch[batch.length - 1].key[2] as bigint);
    if (reverse) to = last;
    else from = last + 1;
  }
}

async function readChunks(
  ctx: StoreContext,
  id: string,
  seq: number,
  count: number,
): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  await ctx.retry(async () => {
    out.length = 0;
    for await (
      const e of ctx.kv.list<Uint8Array>({ prefix: chunkPrefix(id, seq) }, { limit: count })
    ) {
      if (!(e.value instanceof Uint8Array)) {
        throw new StoreCorruptedError(ctx.location, `chunk ${String(e.key)} is not binary`);
      }
      out.push(e.value);
    }
  });
  return out;
}

/**
 * Deletes the message and chunk keys of session `id` with seq in `[from, to)`
 * (everything when `to` is Infinity), in atomic batches. Idempotent.
 *
 * @example
 * ```ts ignore
 * await deleteMessages(ctx, "k3v9", 0, Infinity);
 * ```
 */
export async function deleteMessages(
  ctx: StoreContext,
  id: string,
  from: number,
  to: number,
): Promise<number> {
  let deleted = 0;
  const BATCH = 200;
  const sweepPrefix = async (selector: Deno.KvListSelector) => {
    for (;;) {
      const keys: Deno.KvKey[] = [];
      await ctx.retry(async () => {
        keys.length = 0;
        for await (const e of ctx.kv.list(selector, { limit: BATCH })) keys.push(e.key);
      });
      if (keys.length === 0) return;
      await ctx.retry(() => keys.reduce((op, k) => op.delete(k), ctx.kv.atomic()).commit());
      if (selector === msgSelector) deleted += keys.length;
      if (keys.length < BATCH) return;
    }
  };
  const all = to === Infinity;
  const msgSelector: Deno.KvListSelector = all
    ? { prefix: messagePrefix(id) }
    : { start: messageKey(id, from), end: messageKey(id, to) };
  const chunkSelector: Deno.KvListSelector = all
    ? { prefix: chunkPrefix(id) }
    : { start: [...chunkPrefix(id), BigInt(from)], end: [...chunkPrefix(id), BigInt(to)] };
  // Headers first: a header never points at chunks already gone; the range is
  // no longer referenced by the session record, so leftovers are invisible.
  await sweepPrefix(msgSelector);
  await sweepPrefix(chunkSelector);
  return deleted;
}
