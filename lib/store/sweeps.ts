/**
 * Crash safety of bulk work. A bulk delete (delete, clear, an import in
 * progress) first commits the record change together with a
 * `["sweep", id]` marker, then deletes messages in batches, then drops the
 * marker; chunks written ahead of their header carry a `["prewrite", id]`
 * marker. A crash in between leaves a marker, and the next open finishes
 * the work here. Internal to `lib/store`.
 *
 * @module
 */

import { chunkCount } from "./codec.ts";
import type { StoreContext } from "./context.ts";
import {
  chunkKey,
  chunkPrefix,
  idOfKey,
  leaseKey,
  messageKey,
  PREWRITE_PREFIX,
  prewriteKey,
  SWEEP_PREFIX,
  sweepKey,
} from "./keys.ts";
import { isLiveForeignLease } from "./lease.ts";
import { deleteMessages } from "./messages.ts";
import { readRecord } from "./records.ts";
import { leaseValue, prewriteValue, readValue, readValueOrNull, sweepValue } from "./values.ts";

/** Value of a `["sweep", id]` marker: what bulk work is pending. */
export type SweepValue = { kind: "delete" } | { kind: "clear"; before: number } | {
  kind: "import";
};

/**
 * Adds the `["sweep", id]` marker for `sweep` to `op`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepKey } from "./keys.ts";
 * import { markSweep } from "./sweeps.ts";
 * const kv = await Deno.openKv(":memory:");
 * await markSweep(kv.atomic(), "k3v9", { kind: "delete" }).commit();
 * assert.deepEqual((await kv.get(sweepKey("k3v9"))).value, { kind: "delete" });
 * kv.close();
 * ```
 */
export function markSweep(
  op: Deno.AtomicOperation,
  id: string,
  sweep: SweepValue,
): Deno.AtomicOperation {
  return op.set(sweepKey(id), sweep);
}

/**
 * Finishes the pending bulk delete of session `id`, if there is one:
 * deletes what its marker says is no longer referenced, then the marker.
 * Resolves whether there was one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreContext } from "./context.ts";
 * import { messageKey, sweepKey } from "./keys.ts";
 * import { finishSweep } from "./sweeps.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * // A delete that crashed after its record commit: messages left, no record.
 * await ctx.kv.set(messageKey("k3v9", 0), { m: { role: "user", content: "x", createdAt: 0 } });
 * await ctx.kv.set(sweepKey("k3v9"), { kind: "delete" });
 * assert.equal(await finishSweep(ctx, "k3v9"), true);
 * assert.equal((await ctx.kv.get(messageKey("k3v9", 0))).value, null);
 * assert.equal(await finishSweep(ctx, "k3v9"), false);
 * ctx.close();
 * ```
 */
export async function finishSweep(ctx: StoreContext, id: string): Promise<boolean> {
  const entry = await ctx.retry(() => ctx.kv.get(sweepKey(id)));
  const sweep = readValueOrNull(entry, ctx.location, sweepValue);
  if (!sweep) return false;
  const current = await readRecord(ctx, id);
  if (sweep.kind === "clear") {
    if (current) {
      await deleteMessages(ctx, id, 0, Math.min(sweep.before, current.record.firstSeq));
    } else await deleteMessages(ctx, id, 0, Infinity);
  } else if (!current) {
    await deleteMessages(ctx, id, 0, Infinity);
  }
  await ctx.retry(() => ctx.kv.atomic().check(entry).delete(sweepKey(id)).commit());
  return true;
}

/** Deletes chunks in `[from, to)` of session `id` that no committed message header refers to. */
async function dropUnreferencedChunks(
  ctx: StoreContext,
  id: string,
  from: number,
  to: number,
): Promise<void> {
  for (let seq = from; seq < to; seq++) {
    const header = await ctx.retry(() => ctx.kv.get(messageKey(id, seq)));
    const keep = chunkCount(header.value, ctx.location);
    const stale: Deno.KvKey[] = [];
    for await (
      const e of ctx.kv.list({ prefix: chunkPrefix(id, seq), start: chunkKey(id, seq, keep) })
    ) {
      stale.push(e.key);
    }
    for (let i = 0; i < stale.length; i += 200) {
      const part = stale.slice(i, i + 200);
      await ctx.retry(() => part.reduce((op, k) => op.delete(k), ctx.kv.atomic()).commit());
    }
  }
  await ctx.retry(() => ctx.kv.delete(prewriteKey(id)));
}

/**
 * Finishes bulk work a crash interrupted (run at open): pending sweeps, and
 * chunks written ahead of a header that never committed. Skips sessions
 * whose lease another live store holds (it is working on them). Resolves
 * how many it finished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreContext } from "./context.ts";
 * import { chunkKey, prewriteKey } from "./keys.ts";
 * import { recoverSweeps } from "./sweeps.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * // Chunks of message 3 written ahead of a header commit that never happened.
 * await ctx.kv.set(prewriteKey("k3v9"), { from: 3, to: 4 });
 * await ctx.kv.set(chunkKey("k3v9", 3, 0), new Uint8Array(8));
 * assert.equal(await recoverSweeps(ctx, "this-store"), 1);
 * assert.equal((await ctx.kv.get(chunkKey("k3v9", 3, 0))).value, null);
 * ctx.close();
 * ```
 */
export async function recoverSweeps(ctx: StoreContext, ownerId: string): Promise<number> {
  ctx.ensureOpen();
  const pending: string[] = [];
  for await (const e of ctx.kv.list({ prefix: SWEEP_PREFIX })) {
    pending.push(idOfKey(e.key, ctx.location));
  }
  let done = 0;
  const busy = async (id: string) => {
    const lease = await ctx.retry(() => ctx.kv.get(leaseKey(id)));
    const holder = readValueOrNull(lease, ctx.location, leaseValue);
    return isLiveForeignLease(holder, ownerId, ctx.clock.now());
  };
  for (const id of pending) {
    if (await busy(id)) continue;
    if (await finishSweep(ctx, id)) done++;
  }
  const prewrites: Array<{ id: string; from: number; to: number }> = [];
  for await (const e of ctx.kv.list({ prefix: PREWRITE_PREFIX })) {
    prewrites.push({
      id: idOfKey(e.key, ctx.location),
      ...readValue(e, ctx.location, prewriteValue),
    });
  }
  for (const p of prewrites) {
    if (await busy(p.id)) continue;
    await dropUnreferencedChunks(ctx, p.id, p.from, p.to);
    done++;
  }
  return done;
}
