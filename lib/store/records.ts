/**
 * The session record: what it becomes when messages are appended, rewritten
 * or patched (pure functions), and its read-modify-write with the
 * last-active index kept in step, in one atomic commit guarded by the
 * record's versionstamp (and the writer lease, when one is held). Internal
 * to `lib/store`.
 *
 * @module
 */

import type { StoreContext } from "./context.ts";
import {
  SessionDeletedError,
  SessionLeaseLostError,
  SessionNotFoundError,
  StoreError,
  StoreValidationError,
} from "./errors.ts";
import { activeIndexKey, sessionKey } from "./keys.ts";
import type { SessionLease } from "./lease.ts";
import type { Message, SessionPatch, SessionRecord } from "./types.ts";
import { titleFromMessage } from "./types.ts";
import { leaseValue, readValueOrNull, sessionRecordValue } from "./values.ts";

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
 * A new, empty session record with `init`'s fields (validated like a patch).
 * Throws {@linkcode StoreValidationError} for an id that is not 1-64
 * letters, digits, '.', '_' or '-'.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { newRecord } from "./records.ts";
 * const r = newRecord("k3v9", 1_000, { model: "claude" });
 * assert.equal(r.messageCount, 0);
 * assert.equal(r.model, "claude");
 * assert.throws(() => newRecord("no spaces", 0), /session id/);
 * ```
 */
export function newRecord(id: string, now: number, init: SessionPatch = {}): SessionRecord {
  if (!/^[\w.-]{1,64}$/.test(id)) {
    throw new StoreValidationError("session id must be 1-64 letters, digits, '.', '_' or '-'");
  }
  return applyPatch({
    id,
    title: "",
    createdAt: now,
    lastActive: now,
    messageCount: 0,
    firstSeq: 0,
    nextSeq: 0,
    tokens: { input: 0, output: 0, cachedInput: 0 },
    cost: 0,
  }, init);
}

function validatePatchString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new StoreValidationError(`${field} must be a string`);
  return v;
}

/**
 * Applies a patch of title/model/backend/systemPrompt to a record (the
 * title trimmed to 200 characters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyPatch, newRecord } from "./records.ts";
 * const next = applyPatch(newRecord("k3v9", 0), { title: "  Refactor " });
 * assert.equal(next.title, "Refactor");
 * assert.throws(() => applyPatch(next, { model: 4 as unknown as string }), /model must be a string/);
 * ```
 */
export function applyPatch(record: SessionRecord, patch: SessionPatch): SessionRecord {
  const next = { ...record };
  const title = validatePatchString(patch.title, "title");
  if (title !== undefined) next.title = title.trim().slice(0, 200);
  const model = validatePatchString(patch.model, "model");
  if (model !== undefined) next.model = model;
  const backend = validatePatchString(patch.backend, "backend");
  if (backend !== undefined) next.backend = backend;
  const systemPrompt = validatePatchString(patch.systemPrompt, "systemPrompt");
  if (systemPrompt !== undefined) next.systemPrompt = systemPrompt;
  return next;
}

/**
 * The record after appending `messages` (counters, totals, last active, a
 * title from the first user message when there is none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accumulate, newRecord } from "./records.ts";
 * const next = accumulate(newRecord("k3v9", 0), [
 *   { role: "user", content: "hi there", createdAt: 0 },
 *   { role: "assistant", content: "hello", createdAt: 0, usage: { inputTokens: 9, outputTokens: 2 }, cost: 0.01 },
 * ], 5_000);
 * assert.equal(next.messageCount, 2);
 * assert.equal(next.title, "hi there");
 * assert.deepEqual(next.tokens, { input: 9, output: 2, cachedInput: 0 });
 * assert.equal(next.lastActive, 5_000);
 * ```
 */
export function accumulate(record: SessionRecord, messages: Message[], now: number): SessionRecord {
  const next: SessionRecord = { ...record, tokens: { ...record.tokens } };
  for (const m of messages) {
    if (m.usage) {
      next.tokens.input += m.usage.inputTokens;
      next.tokens.output += m.usage.outputTokens;
      next.tokens.cachedInput += m.usage.cachedInputTokens ?? 0;
    }
    // Rounded so float error does not accumulate over thousands of messages.
    if (m.cost !== undefined) next.cost = Math.round((next.cost + m.cost) * 1e10) / 1e10;
    if (m.model && m.role === "assistant") next.model = m.model;
    if (next.title === "" && m.role === "user") next.title = titleFromMessage(m);
  }
  next.messageCount += messages.length;
  next.nextSeq += messages.length;
  next.lastActive = Math.max(now, record.lastActive);
  return next;
}

/**
 * The record after message `previous` was rewritten as `next` (a streamed
 * answer's checkpoint): totals move by the difference of their usage and
 * cost; the count stays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { accumulate, newRecord, reaccumulate } from "./records.ts";
 * const draft = { role: "assistant" as const, content: "Hel", createdAt: 0, cost: 0.01 };
 * const record = accumulate(newRecord("k3v9", 0), [draft], 0);
 * const after = reaccumulate(record, draft, { ...draft, content: "Hello", cost: 0.03 }, 0);
 * assert.equal(after.cost, 0.03);
 * assert.equal(after.messageCount, 1);
 * ```
 */
export function reaccumulate(
  record: SessionRecord,
  previous: Message | undefined,
  next: Message,
  now: number,
): SessionRecord {
  const out: SessionRecord = { ...record, tokens: { ...record.tokens } };
  const sign = (m: Message | undefined, k: number) => {
    if (!m) return;
    if (m.usage) {
      out.tokens.input += k * m.usage.inputTokens;
      out.tokens.output += k * m.usage.outputTokens;
      out.tokens.cachedInput += k * (m.usage.cachedInputTokens ?? 0);
    }
    if (m.cost !== undefined) out.cost = Math.round((out.cost + k * m.cost) * 1e10) / 1e10;
  };
  sign(previous, -1);
  sign(next, 1);
  if (next.model && next.role === "assistant") out.model = next.model;
  out.lastActive = Math.max(now, record.lastActive);
  return out;
}

/**
 * Adds the index mutations that move `prev`'s last-active entry to `next`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ACTIVE_INDEX_PREFIX } from "./keys.ts";
 * import { moveIndex, newRecord } from "./records.ts";
 * const kv = await Deno.openKv(":memory:");
 * const prev = newRecord("k3v9", 1_000);
 * const op = kv.atomic();
 * moveIndex(op, null, prev);
 * await op.commit();
 * const moved = kv.atomic();
 * moveIndex(moved, prev, { ...prev, lastActive: 2_000 });
 * await moved.commit();
 * const keys = [];
 * for await (const e of kv.list({ prefix: ACTIVE_INDEX_PREFIX })) keys.push(e.key);
 * assert.deepEqual(keys, [["session_active", 2_000, "k3v9"]]);
 * kv.close();
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
 * Reads the record of session `id` with its versionstamp, or null.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreContext } from "./context.ts";
 * import { readRecord } from "./records.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * assert.equal(await readRecord(ctx, "k3v9"), null);
 * ctx.close();
 * ```
 */
export async function readRecord(ctx: StoreContext, id: string): Promise<VersionedRecord | null> {
  const e = await ctx.retry(() => ctx.kv.get(sessionKey(id)));
  const record = readValueOrNull(e, ctx.location, sessionRecordValue);
  return e.versionstamp === null || record === null
    ? null
    : { record, versionstamp: e.versionstamp };
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreContext } from "./context.ts";
 * import { sessionKey } from "./keys.ts";
 * import { changeRecord, newRecord } from "./records.ts";
 * import { systemClock } from "../util/clock.ts";
 * const ctx = new StoreContext({
 *   kv: await Deno.openKv(":memory:"), location: ":memory:", clock: systemClock, random: Math.random,
 * });
 * await ctx.kv.set(sessionKey("k3v9"), newRecord("k3v9", 0));
 * const { record } = await changeRecord(ctx, "k3v9", (r) => ({ next: { ...r, title: "New" } }));
 * assert.equal(record?.title, "New");
 * await assert.rejects(changeRecord(ctx, "gone", (r) => ({ next: r })), /no session/i);
 * ctx.close();
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
      const held = await ctx.retry(() => ctx.kv.get(lease.key));
      if (held.versionstamp !== lease.versionstamp) {
        const holder = readValueOrNull(held, ctx.location, leaseValue);
        if (holder?.ownerId === lease.value.ownerId && held.versionstamp) {
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
