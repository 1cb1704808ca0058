/**
 * The messages of a session in KV, by sequence number: streaming range
 * reads (decoding chunked messages), range deletes in atomic batches, and
 * chunk writes ahead of a header commit. Internal to `lib/store`; the
 * layout of one message is `codec.ts`.
 *
 * @module
 */

import { decodeMessage, type EncodedMessage } from "./codec.ts";
import type { StoreContext } from "./context.ts";
import { StoreCorruptedError } from "./errors.ts";
import { chunkPrefix, messageKey, messagePrefix, seqOfKey } from "./keys.ts";
import type { MessageEntry } from "./types.ts";

/** Chunks per commit when chunks are written ahead of their header. */
export const CHUNKS_PER_COMMIT = 8;

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
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMessage } from "./codec.ts";
 * import { StoreContext } from "./context.ts";
 * import { messageKey } from "./keys.ts";
 * import { readMessages } from "./messages.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * for (let seq = 0; seq < 5; seq++) {
 *   const m = { role: "user" as const, content: `m${seq}`, createdAt: 0 };
 *   await ctx.kv.set(messageKey("s1", seq), encodeMessage("s1", seq, m).value);
 * }
 * const newest: number[] = [];
 * for await (const m of readMessages(ctx, "s1", { from: 0, to: 5, reverse: true, limit: 2 })) {
 *   newest.push(m.seq);
 * }
 * assert.deepEqual(newest, [4, 3]);
 * ctx.close();
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
    const batch: Array<Deno.KvEntry<unknown>> = [];
    await ctx.retry(async () => {
      batch.length = 0;
      for await (
        const e of ctx.kv.list(
          { start: messageKey(id, from), end: messageKey(id, to) },
          { reverse, limit, batchSize: limit },
        )
      ) batch.push(e);
    });
    for (const entry of batch) {
      const seq = seqOfKey(entry.key, ctx.location);
      const message = await decodeMessage(
        entry.value,
        (count) => readChunks(ctx, id, seq, count),
        ctx.location,
      );
      yield { seq, ...message };
    }
    if (batch.length < limit) return;
    remaining -= batch.length;
    const last = seqOfKey(batch[batch.length - 1].key, ctx.location);
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
      const e of ctx.kv.list({ prefix: chunkPrefix(id, seq) }, { limit: count })
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
 * (everything when `to` is Infinity), in atomic batches; resolves the number
 * of message headers deleted. Idempotent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreContext } from "./context.ts";
 * import { messageKey } from "./keys.ts";
 * import { deleteMessages } from "./messages.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * for (let seq = 0; seq < 5; seq++) {
 *   await ctx.kv.set(messageKey("s1", seq), { m: { role: "user", content: "x", createdAt: 0 } });
 * }
 * assert.equal(await deleteMessages(ctx, "s1", 0, 3), 3);
 * assert.equal(await deleteMessages(ctx, "s1", 0, Infinity), 2);
 * ctx.close();
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

/**
 * Writes `chunks` in commits of {@linkcode CHUNKS_PER_COMMIT}, before the
 * header commit that makes them visible (a message too large to commit
 * with its header). `first` adds to the first commit, e.g. the
 * `["prewrite", id]` marker that lets the next open drop chunks a crash
 * left without a header.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeMessage } from "./codec.ts";
 * import { StoreContext } from "./context.ts";
 * import { chunkPrefix } from "./keys.ts";
 * import { writeChunksAhead } from "./messages.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * const big = encodeMessage("s1", 0, { role: "tool", content: "x".repeat(700_000), createdAt: 0 });
 * await writeChunksAhead(ctx, big.chunks);
 * let written = 0;
 * for await (const _ of ctx.kv.list({ prefix: chunkPrefix("s1", 0) })) written++;
 * assert.equal(written, big.chunks.length);
 * ctx.close();
 * ```
 */
export async function writeChunksAhead(
  ctx: StoreContext,
  chunks: EncodedMessage["chunks"],
  first?: (op: Deno.AtomicOperation) => void,
): Promise<void> {
  for (let i = 0; i < chunks.length; i += CHUNKS_PER_COMMIT) {
    const part = chunks.slice(i, i + CHUNKS_PER_COMMIT);
    const op = ctx.kv.atomic();
    if (i === 0) first?.(op);
    await ctx.retry(() => part.reduce((o, c) => o.set(c.key, c.value), op).commit());
  }
}
