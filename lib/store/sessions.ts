/**
 * Sessions of a store: find them (by id, saved name or unique id prefix;
 * newest first; the last one), open them as {@linkcode SessionView}s
 * (taking the writer lease), change their metadata, clear and delete them,
 * and watch their records across processes. Reach it as
 * `store.sessions` (see `store.ts`).
 *
 * @module
 */

import type { StoreContext } from "./context.ts";
import {
  AmbiguousSessionError,
  SessionExistsError,
  SessionNameTakenError,
  SessionNotFoundError,
  StoreValidationError,
} from "./errors.ts";
import {
  ACTIVE_INDEX_PREFIX,
  idOfKey,
  prewriteKey,
  sessionKey,
  sessionNameKey,
  sweepKey,
} from "./keys.ts";
import { acquireLease, type LeaseOptions, type SessionLease } from "./lease.ts";
import { deleteMessages } from "./messages.ts";
import {
  applyPatch,
  changeRecord,
  moveIndex,
  newRecord,
  readRecord,
  type RecordChange,
  type VersionedRecord,
} from "./records.ts";
import { SessionView } from "./session_view.ts";
import { markSweep } from "./sweeps.ts";
import type { SessionInit, SessionPage, SessionPatch, SessionRecord } from "./types.ts";
import { validateSessionName } from "./types.ts";
import { readValue, readValueOrNull, sessionIdValue, sessionRecordValue } from "./values.ts";

/** Options of {@linkcode Sessions.list}. */
export interface ListOptions {
  /** Page size (default 50, at most 1000). */
  limit?: number;
  /** Cursor from the previous page. */
  cursor?: string | null;
}

/** Options of {@linkcode Sessions.open}. */
export interface OpenOptions {
  /** Open without the writer lease (show/export while another process writes). */
  readOnly?: boolean;
  /** Load the last page into a read-only view (default true). */
  preload?: boolean;
  /** Take the lease of this holder, known to be dead (see `LeaseOptions.takeOverFrom`). */
  takeOverFrom?: { pid: number; host: string };
}

/** The lease settings of a store: who it is and how long a lease lasts. */
export type StoreLeases = Omit<LeaseOptions, "takeOverFrom">;

/**
 * The sessions of one open store. Views opened for writing here are kept
 * (one per session) and closed with the store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMessageStore } from "./store.ts";
 * const store = await openMessageStore({ location: { kind: "memory" } });
 * const view = await store.sessions.create({ title: "demo" });
 * await view.append({ role: "user", content: "hello" });
 * assert.equal((await store.sessions.get(view.id)).messageCount, 1);
 * await store.close();
 * ```
 */
export class Sessions {
  #ctx: StoreContext;
  #leases: StoreLeases;
  #pageSize: number;
  #views = new Map<string, SessionView>();

  /** Sessions over `ctx`; views hold at most `pageSize` messages. Made by `openMessageStore`. */
  constructor(ctx: StoreContext, leases: StoreLeases, pageSize: number) {
    this.#ctx = ctx;
    this.#leases = leases;
    this.#pageSize = pageSize;
  }

  /** Takes the writer lease of session `id` (or throws `SessionBusyError`). */
  #acquireLease(id: string, takeOverFrom?: OpenOptions["takeOverFrom"]): Promise<SessionLease> {
    return acquireLease(this.#ctx.ensureOpen().kv, id, { ...this.#leases, takeOverFrom });
  }

  /**
   * Creates a session and opens it for writing (holding its lease).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create({ id: "fixed", model: "claude-sonnet-4-5" });
   * assert.equal(view.record.model, "claude-sonnet-4-5");
   * await assert.rejects(store.sessions.create({ id: "fixed" }), /exists/);
   * await store.close();
   * ```
   */
  async create(init: SessionInit & { id?: string } = {}): Promise<SessionView> {
    const ctx = this.#ctx.ensureOpen();
    const id = init.id ?? ctx.randomId(12);
    const full = newRecord(id, ctx.clock.now(), init);
    const lease = await this.#acquireLease(id);
    try {
      const op = ctx.kv.atomic().check({ key: sessionKey(id), versionstamp: null })
        .check({ key: lease.key, versionstamp: lease.versionstamp })
        .set(sessionKey(id), full);
      moveIndex(op, null, full);
      const res = await ctx.retry(() => op.commit());
      if (!res.ok) throw new SessionExistsError(id);
      ctx.emit({ sessionId: id, change: "created", session: full });
      return await this.#makeView({ record: full, versionstamp: res.versionstamp }, lease);
    } catch (e) {
      await lease.release().catch(() => {});
      throw e;
    }
  }

  async #makeView(
    current: VersionedRecord,
    lease?: SessionLease,
    preload = true,
  ): Promise<SessionView> {
    const view = await SessionView.load(this.#ctx, current, {
      pageSize: this.#pageSize,
      lease,
      preload,
      onClose: (v) => {
        if (this.#views.get(v.id) === v) this.#views.delete(v.id);
      },
    });
    if (lease) this.#views.set(view.id, view);
    return view;
  }

  /**
   * Resolves a session reference: an exact id, a saved name, or a unique id
   * prefix. Throws {@linkcode SessionNotFoundError} or
   * {@linkcode AmbiguousSessionError}.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * await store.sessions.create({ id: "k3v9x2ab7c1d" });
   * await store.sessions.create({ id: "k3aa00000000" });
   * assert.equal(await store.sessions.resolve("k3v9"), "k3v9x2ab7c1d");
   * await assert.rejects(store.sessions.resolve("k3"), /matches several sessions/);
   * await store.close();
   * ```
   */
  async resolve(ref: string): Promise<string> {
    const ctx = this.#ctx.ensureOpen();
    if (typeof ref !== "string" || ref.trim() === "") {
      throw new StoreValidationError("session reference must be a non-empty string");
    }
    const exact = await ctx.retry(() => ctx.kv.get(sessionKey(ref)));
    if (exact.versionstamp) return ref;
    const named = await ctx.retry(() => ctx.kv.get(sessionNameKey(ref)));
    const id = readValueOrNull(named, ctx.location, sessionIdValue);
    if (id) return id;
    const matches: string[] = [];
    await ctx.retry(async () => {
      matches.length = 0;
      for await (
        const e of ctx.kv.list({ start: sessionKey(ref), end: sessionKey(`${ref}\u{10FFFF}`) }, {
          limit: 6,
        })
      ) matches.push(idOfKey(e.key, ctx.location));
    });
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) throw new AmbiguousSessionError(ref, matches.slice(0, 5));
    throw new SessionNotFoundError(ref);
  }

  /**
   * The record of a session (by id, name or unique prefix).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await store.sessions.save(view.id, "work");
   * assert.equal((await store.sessions.get("work")).id, view.id);
   * await store.close();
   * ```
   */
  async get(ref: string): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    const current = await readRecord(this.#ctx.ensureOpen(), id);
    if (!current) throw new SessionNotFoundError(ref);
    return current.record;
  }

  /**
   * Opens a session. For writing (default) it takes the writer lease and
   * throws `SessionBusyError` when another live process holds it; with
   * `readOnly` it takes no lease (for show/export while another writes);
   * `preload: false` skips loading the last page into a read-only view.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await view.append({ role: "user", content: "hello" });
   * const reader = await store.sessions.open(view.id, { readOnly: true });
   * assert.equal(reader.recent[0].content, "hello");
   * await assert.rejects(reader.append({ role: "user", content: "no" }), /read-only/);
   * assert.equal(await store.sessions.open(view.id), view, "one writable view per session");
   * await store.close();
   * ```
   */
  async open(ref: string, options: OpenOptions = {}): Promise<SessionView> {
    const ctx = this.#ctx.ensureOpen();
    const id = await this.resolve(ref);
    const existing = this.#views.get(id);
    if (existing && !options.readOnly) return existing;
    const lease = options.readOnly ? undefined : await this.#acquireLease(id, options.takeOverFrom);
    try {
      const current = await readRecord(ctx, id);
      if (!current) throw new SessionNotFoundError(ref);
      return await this.#makeView(current, lease, options.preload ?? true);
    } catch (e) {
      await lease?.release().catch(() => {});
      throw e;
    }
  }

  /**
   * Sessions, most recently active first, one page at a time (a single
   * range read of the last-active index).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * for (let i = 0; i < 5; i++) await store.sessions.create();
   * let page = await store.sessions.list({ limit: 2 });
   * let seen = page.sessions.length;
   * while (page.cursor) {
   *   page = await store.sessions.list({ limit: 2, cursor: page.cursor });
   *   seen += page.sessions.length;
   * }
   * assert.equal(seen, 5);
   * await store.close();
   * ```
   */
  async list(options: ListOptions = {}): Promise<SessionPage> {
    const ctx = this.#ctx.ensureOpen();
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 50)));
    const sessions: SessionRecord[] = [];
    let cursor: string | null = null;
    await ctx.retry(async () => {
      sessions.length = 0;
      const iter = ctx.kv.list({ prefix: ACTIVE_INDEX_PREFIX }, {
        reverse: true,
        limit: limit + 1,
        batchSize: Math.min(limit + 1, 500),
        cursor: options.cursor ?? undefined,
      });
      let seen = 0;
      cursor = null;
      for await (const e of iter) {
        seen++;
        if (seen > limit) break;
        sessions.push(readValue(e, ctx.location, sessionRecordValue));
        if (seen === limit) cursor = iter.cursor;
      }
      if (seen <= limit) cursor = null;
    });
    return { sessions, cursor };
  }

  /**
   * The most recently active session (for `--continue`); by default skips
   * sessions without messages. Null when there is none.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * assert.equal(await store.sessions.last(), null);
   * const view = await store.sessions.create();
   * assert.equal(await store.sessions.last(), null, "empty sessions are skipped");
   * await view.append({ role: "user", content: "hi" });
   * assert.equal((await store.sessions.last())?.id, view.id);
   * await store.close();
   * ```
   */
  async last(options: { skipEmpty?: boolean } = {}): Promise<SessionRecord | null> {
    const ctx = this.#ctx.ensureOpen();
    const skipEmpty = options.skipEmpty ?? true;
    let found: SessionRecord | null = null;
    await ctx.retry(async () => {
      found = null;
      for await (
        const e of ctx.kv.list({ prefix: ACTIVE_INDEX_PREFIX }, {
          reverse: true,
          batchSize: 20,
        })
      ) {
        const record = readValue(e, ctx.location, sessionRecordValue);
        if (!skipEmpty || record.messageCount > 0) {
          found = record;
          break;
        }
      }
    });
    return found;
  }

  /** Runs `change` on session `id`, through its open view here if there is one. */
  #change(
    id: string,
    change: (r: SessionRecord) => RecordChange | Promise<RecordChange>,
  ): Promise<SessionRecord> {
    const view = this.#views.get(id);
    if (view) return view.mutateRecord(change, "updated");
    return changeRecord(this.#ctx.ensureOpen(), id, change).then((res) => {
      this.#ctx.emit({ sessionId: id, change: "updated", session: res.record! });
      return res.record!;
    });
  }

  /**
   * Changes title, model, backend or system prompt of a session (no lease
   * needed: the commit is checked against concurrent appends; an open view
   * here sees the change).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await store.sessions.update(view.id, { title: "Auth refactor" });
   * assert.equal(view.record.title, "Auth refactor");
   * await store.close();
   * ```
   */
  async update(ref: string, patch: SessionPatch): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    return this.#change(id, (r) => ({ next: applyPatch(r, patch) }));
  }

  /**
   * Gives a session a unique name (`/save NAME`), usable wherever an id is;
   * also sets the title when it is empty. `null` removes the name.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const a = await store.sessions.create();
   * const b = await store.sessions.create();
   * assert.equal((await store.sessions.save(a.id, "auth-refactor")).title, "auth-refactor");
   * await assert.rejects(store.sessions.save(b.id, "auth-refactor"), /already/);
   * await store.sessions.save(a.id, null);
   * await store.sessions.save(b.id, "auth-refactor");
   * await store.close();
   * ```
   */
  async save(ref: string, name: string | null): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    const ctx = this.#ctx.ensureOpen();
    const valid = name === null ? null : validateSessionName(name);
    return this.#change(id, async (r) => {
      const next = { ...r };
      if (valid === null) delete next.name;
      else next.name = valid;
      if (valid !== null && next.title === "") next.title = valid;
      if (valid === r.name) return { next };
      const entry = valid === null
        ? null
        : await ctx.retry(() => ctx.kv.get(sessionNameKey(valid)));
      const owner = entry && readValueOrNull(entry, ctx.location, sessionIdValue);
      if (owner && owner !== id) throw new SessionNameTakenError(valid!, owner);
      return {
        next,
        mutate: (op) => {
          if (r.name !== undefined) op.delete(sessionNameKey(r.name));
          if (entry && valid !== null) op.check(entry).set(sessionNameKey(valid), id);
        },
      };
    });
  }

  /** Runs `fn` holding session `id`'s lease: the open view's, or one taken (and kept alive) for it. */
  async #withLease<T>(
    id: string,
    fn: (lease: SessionLease, view?: SessionView) => Promise<T>,
  ): Promise<T> {
    const view = this.#views.get(id);
    if (view?.lease && !view.lease.lost) return await fn(view.lease, view);
    const lease = await this.#acquireLease(id);
    // Bulk work on a big session can outlast one lease period: keep it alive.
    lease.startHeartbeat((renew) => renew());
    try {
      return await fn(lease);
    } finally {
      await lease.release().catch(() => {});
    }
  }

  /**
   * Deletes the history of a session but keeps the session (`/clear`).
   * Sequence numbers are not reused; token and cost totals are kept.
   * Crash-safe: an interrupted clear is finished at the next open.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await view.append({ role: "user", content: "hi", cost: 0.5 });
   * const cleared = await store.sessions.clear(view.id);
   * assert.equal(cleared.messageCount, 0);
   * assert.equal(cleared.cost, 0.5);
   * assert.equal((await view.append({ role: "user", content: "again" })).seq, 1);
   * await store.close();
   * ```
   */
  async clear(ref: string): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    const ctx = this.#ctx.ensureOpen();
    return await this.#withLease(id, async (lease, view) => {
      let from = 0;
      const change = (r: SessionRecord): RecordChange => {
        from = r.firstSeq;
        const next: SessionRecord = {
          ...r,
          firstSeq: r.nextSeq,
          messageCount: 0,
          lastActive: Math.max(ctx.clock.now(), r.lastActive),
        };
        return { next, mutate: (op) => markSweep(op, id, { kind: "clear", before: r.nextSeq }) };
      };
      let record: SessionRecord;
      if (view) record = await view.mutateRecord(change, "cleared");
      else {
        record = (await changeRecord(ctx, id, change, { lease })).record!;
        ctx.emit({ sessionId: id, change: "cleared", session: record });
      }
      await deleteMessages(ctx, id, from, record.firstSeq);
      await ctx.retry(() => ctx.kv.delete(sweepKey(id)));
      return record;
    });
  }

  /**
   * Deletes a session and all its messages. Refused with `SessionBusyError`
   * while another process has it open; a view open here is closed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await view.appendMany([{ role: "user", content: "a" }, { role: "assistant", content: "b" }]);
   * assert.deepEqual(await store.sessions.delete(view.id), { id: view.id, messages: 2 });
   * assert.ok(view.closed);
   * await assert.rejects(store.sessions.get(view.id), /no session/);
   * await store.close();
   * ```
   */
  async delete(ref: string): Promise<{ id: string; messages: number }> {
    const id = await this.resolve(ref);
    const ctx = this.#ctx.ensureOpen();
    return await this.#withLease(id, async (lease, view) => {
      await changeRecord(ctx, id, (r) => ({
        next: null,
        mutate: (op) => {
          if (r.name !== undefined) op.delete(sessionNameKey(r.name));
          op.delete(prewriteKey(id));
          markSweep(op, id, { kind: "delete" });
        },
      }), { lease });
      // From here an append through the open view fails with SessionDeletedError.
      const messages = await deleteMessages(ctx, id, 0, Infinity);
      await ctx.retry(() => ctx.kv.delete(sweepKey(id)));
      await lease.release();
      view?.abandon();
      ctx.emit({ sessionId: id, change: "deleted" });
      return { id, messages };
    });
  }

  /**
   * Watches the records of `ids` across processes (KV watch): yields the
   * current records first (null for a missing one), then on every change.
   * For server-mode subscriptions; `signal` ends it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * const stop = new AbortController();
   * for await (const [record] of store.sessions.watch([view.id], stop.signal)) {
   *   if (record?.messageCount === 1) break;
   *   await view.append({ role: "user", content: "hi" });
   * }
   * await store.close();
   * ```
   */
  async *watch(ids: string[], signal?: AbortSignal): AsyncGenerator<Array<SessionRecord | null>> {
    const ctx = this.#ctx.ensureOpen();
    const stream = ctx.kv.watch<SessionRecord[]>(ids.map(sessionKey));
    const reader = stream.getReader();
    const onAbort = () => reader.cancel().catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value.map((e) => e.value);
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      await reader.cancel().catch(() => {});
    }
  }

  /** Closes every view opened for writing here, releasing their leases (the store is closing). */
  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#views.values()].map((v) => v.close()));
  }
}
