/**
 * Read-modify-write of a session record, with the last-active index kept in
 * step, in one atomic commit guarded by the record's versionstamp (and the
 * writer lease, when one is held). Internal to `lib/store`.
 *
 * @module
 */

import type { StoreContext } from "./context.ts";
import {
  SessionDeletedError,
  SessionLeaseLostError,
  SessionNotFoundError,
  StoreError,
} from "./errors.ts";
import { activeIndexKey, sessionKey } from "./keys.ts";
import type { LeaseValue, SessionLease } from "./lease.ts";
import type { SessionRecord } from "./types.ts";

/** A record with the versionstamp it was read at. */
export interface VersionedRecord {
  /** The record. */
  record: SessionRecord;
  /** Its versionstamp. */
  versionstamp: string;
}

/** What a change function returns. */
export interface RecordChange {
  /** The new record, or null to delete the session record and its index entry. */
  next: SessionRecord | null;
  /** Extra mutations and checks to commit in the same atomic operation. */
  mutate?: (op: Deno.AtomicOperation) => void;
}

/**
 * Adds the index mutations that move `prev`'s last-active entry to `next`.
 *
 * @example
 * ```ts ignore
 * moveIndex(op, prev, next);
 * ```
 */
export function moveIndex(
  op: Deno.AtomicOperation,
  prev: SessionRecord | null,
  next: SessionRecord | null,
): void {
  if (prev && (!next || prev.lastActive !== next.lastActive)) {
    op.delete(activeIndexKey(prev.lastActive, prev.id));
  }
  if (next) op.set(activeIndexKey(next.lastActive, next.id), next);
}

/**
 * Reads the record of session `id`, or null.
 *
 * @example
 * ```ts ignore
 * const current = await readRecord(ctx, "k3v9");
 * ```
 */
export async function readRecord(ctx: StoreContext, id: string): Promise<VersionedRecord | null> {
  const e = await ctx.retry(() => ctx.kv.get<SessionRecord>(sessionKey(id)));
  return e.versionstamp === null || e.value === null
    ? null
    : { record: e.value, versionstamp: e.versionstamp };
}

/** Options of {@linkcode changeRecord}. */
export interface ChangeRecordOptions {
  /** Writer lease to check in the commit. */
  lease?: SessionLease;
  /** A record already in hand (skips the first read). */
  cached?: VersionedRecord;
  /** Error when the session is missing: "deleted" for an open view, "not-found" otherwise. */
  missing?: "deleted" | "not-found";
}

const MAX_CONFLICTS = 50;

/**
 * Applies `change` to session `id` atomically, re-reading and retrying when
 * another process changed the record in between. Throws when the session
 * is gone or the lease was taken over.
 *
 * @example
 * ```ts ignore
 * await changeRecord(ctx, "k3v9", (r) => ({ next: { ...r, title: "New" } }));
 * ```
 */
export async function changeRecord(
  ctx: StoreContext,
  id: string,
  change: (record: SessionRecord) => RecordChange | Promise<RecordChange>,
  options: ChangeRecordOptions = {},
): Promise<{ record: SessionRecord | null; versionstamp: string | null }> {
  let current = options.cached ?? null;
  const lease = options.lease;
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    if (lease?.lost) throw new SessionLeaseLostError(id);
    current ??= await readRecord(ctx, id);
    if (!current) {
      throw options.missing === "deleted"
        ? new SessionDeletedError(id)
        : new SessionNotFoundError(id);
    }
    const { next, mutate } = await change(current.record);
    const op = ctx.kv.atomic().check({ key: sessionKey(id), versionstamp: current.versionstamp });
    if (lease) op.check({ key: lease.key, versionstamp: lease.versionstamp });
    if (next) op.set(sessionKey(id), next);
    else op.delete(sessionKey(id));
    moveIndex(op, current.record, next);
    mutate?.(op);
    const res = await ctx.retry(() => op.commit());
    if (res.ok) return { record: next, versionstamp: next ? res.versionstamp : null };
    current = null;
    if (lease) {
      const held = await ctx.retry(() => ctx.kv.get<LeaseValue>(lease.key));
      if (held.versionstamp !== lease.versionstamp) {
        if (held.value?.ownerId === lease.value.ownerId && held.versionstamp) {
          // Can only happen if a renewal landed but its reply was lost; adopt it.
          await lease.renew();
        } else {
          lease.markLost();
          throw new SessionLeaseLostError(id);
        }
      }
    }
  }
  throw new StoreError(
    "STORE_CONFLICT",
    `session ${id} kept changing under this write (${MAX_CONFLICTS} conflicts); try again`,
  );
}
