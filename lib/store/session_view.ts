/**
 * An open session: appends messages (each commit atomic with the session's
 * counters), keeps only the most recent page of messages in memory, and
 * pages older ones from KV on demand.
 *
 * @module
 */

import {
  chunkCount,
  COMMIT_BUDGET,
  type EncodedMessage,
  encodeMessage,
  estimateSize,
} from "./codec.ts";
import type { StoreContext } from "./context.ts";
import {
  SessionLeaseLostError,
  SessionReadOnlyError,
  StoreClosedError,
  StoreError,
  StoreValidationError,
} from "./errors.ts";
import { chunkKey, messageKey, prewriteKey } from "./keys.ts";
import type { SessionLease } from "./lease.ts";
import { readMessages, writeChunksAhead } from "./messages.ts";
import {
  accumulate,
  changeRecord,
  reaccumulate,
  readRecord,
  type VersionedRecord,
} from "./records.ts";
import type { HistoryPage, Message, MessageEntry, SessionRecord } from "./types.ts";
import { validateMessage } from "./types.ts";

/** Most messages committed in one atomic operation by {@linkcode SessionView.appendMany}. */
export const MAX_BATCH_MESSAGES = 100;
/** Largest page `history` returns. */
export const MAX_PAGE = 1000;

/** Options of {@linkcode SessionView.history}. */
export interface HistoryOptions {
  /** Return messages with `seq < before` (default: up to the newest). */
  before?: number;
  /** Page size (default: the view's page size, at most {@linkcode MAX_PAGE}). */
  limit?: number;
}

/** Construction options of a view (see {@linkcode SessionView.load}). */
export interface SessionViewOptions {
  /** Messages kept in memory. */
  pageSize: number;
  /** The writer lease; absent for a read-only view. */
  lease?: SessionLease;
  /** Load the last page at open (default true; read-only views may skip it). */
  preload?: boolean;
  /** Called once when the view closes. */
  onClose?: (view: SessionView) => void;
}

/**
 * An open session. Obtain one from `store.sessions.create` / `open`. Writes
 * are serialized per view; memory holds at most `pageSize` messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMessageStore } from "./store.ts";
 * const store = await openMessageStore({ location: { kind: "memory" }, pageSize: 2 });
 * const view = await store.sessions.create();
 * for (const content of ["a", "b", "c"]) await view.append({ role: "user", content });
 * assert.deepEqual(view.recent.map((m) => m.content), ["b", "c"], "one page in memory");
 * await store.close();
 * ```
 */
export class SessionView {
  #ctx: StoreContext;
  #current: VersionedRecord;
  #recent: MessageEntry[];
  #pageSize: number;
  #lease: SessionLease | undefined;
  #onClose: ((view: SessionView) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(
    ctx: StoreContext,
    current: VersionedRecord,
    recent: MessageEntry[],
    options: SessionViewOptions,
  ) {
    this.#ctx = ctx;
    this.#current = current;
    this.#recent = recent;
    this.#pageSize = options.pageSize;
    this.#lease = options.lease;
    this.#onClose = options.onClose;
    this.#lease?.startHeartbeat(
      (fn) => this.#serialize(fn),
      () => ctx.emit({ sessionId: current.record.id, change: "lease-lost", session: this.record }),
    );
  }

  /**
   * Loads session `current` with its last page of messages. Internal: use
   * `store.sessions.create` / `open`.
   */
  static async load(
    ctx: StoreContext,
    current: VersionedRecord,
    options: SessionViewOptions,
  ): Promise<SessionView> {
    const r = current.record;
    const recent: MessageEntry[] = [];
    if (options.preload === false && !options.lease) {
      return new SessionView(ctx, current, recent, options);
    }
    for await (
      const m of readMessages(ctx, r.id, {
        from: r.firstSeq,
        to: r.nextSeq,
        reverse: true,
        limit: options.pageSize,
        batchSize: Math.min(options.pageSize, 500),
      })
    ) recent.push(m);
    recent.reverse();
    return new SessionView(ctx, current, recent, options);
  }

  /** Session id. */
  get id(): string {
    return this.#current.record.id;
  }

  /** A copy of the session record as last seen. */
  get record(): SessionRecord {
    const r = this.#current.record;
    return { ...r, tokens: { ...r.tokens } };
  }

  /** The most recent messages held in memory (at most the page size), oldest first. */
  get recent(): readonly MessageEntry[] {
    return this.#recent.slice();
  }

  /** Number of messages held in memory (never above the page size). */
  get recentSize(): number {
    return this.#recent.length;
  }

  /** True when opened without a writer lease. */
  get readOnly(): boolean {
    return this.#lease === undefined;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True when another process took over this view's lease. */
  get leaseLost(): boolean {
    return this.#lease?.lost ?? false;
  }

  /** The writer lease (internal: the store uses it for clear/delete of an open session). */
  get lease(): SessionLease | undefined {
    return this.#lease;
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #writable(): SessionLease {
    if (this.#closed) throw new StoreClosedError();
    if (!this.#lease) throw new SessionReadOnlyError(this.id);
    if (this.#lease.lost) throw new SessionLeaseLostError(this.id);
    return this.#lease;
  }

  /**
   * Validates and commits one message atomically with the session counters.
   * Resolves once it is durable, with its sequence number.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * const entry = await view.append({ role: "user", content: "hello" });
   * assert.equal(entry.seq, 0);
   * assert.equal(view.record.title, "hello");
   * await assert.rejects(view.append({ role: "robot", content: "x" }), /role/);
   * await store.close();
   * ```
   */
  async append(message: unknown): Promise<MessageEntry> {
    const [entry] = await this.appendMany([message]);
    return entry;
  }

  /**
   * Validates all `messages`, then commits them in order; each batch of up to
   * {@linkcode MAX_BATCH_MESSAGES} (and 600 KB) is one atomic commit with the
   * counters.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * const entries = await view.appendMany([
   *   { role: "user", content: "a" },
   *   { role: "assistant", content: "b", usage: { inputTokens: 3, outputTokens: 1 } },
   * ]);
   * assert.deepEqual(entries.map((e) => e.seq), [0, 1]);
   * assert.equal(view.record.tokens.output, 1);
   * await store.close();
   * ```
   */
  async appendMany(messages: unknown[]): Promise<MessageEntry[]> {
    this.#writable();
    if (!Array.isArray(messages)) throw new StoreValidationError("messages must be an array");
    const now = this.#ctx.clock.now();
    const valid = messages.map((m, i) =>
      validateMessage(m, messages.length === 1 ? "message" : `messages[${i}]`, now)
    );
    return await this.#serialize(async () => {
      const out: MessageEntry[] = [];
      let batch: Message[] = [];
      let size = 0;
      for (const m of valid) {
        // A chunked message larger than the budget is pre-written, so it counts as small.
        const estimate = Math.min(estimateSize(m), COMMIT_BUDGET);
        if (
          batch.length > 0 &&
          (batch.length >= MAX_BATCH_MESSAGES || size + estimate > COMMIT_BUDGET)
        ) {
          out.push(...await this.#commitBatch(batch));
          batch = [];
          size = 0;
        }
        batch.push(m);
        size += estimate;
      }
      if (batch.length > 0) out.push(...await this.#commitBatch(batch));
      return out;
    });
  }

  /**
   * Rewrites the newest message (`seq` must be the session's last) in one
   * atomic commit with the counters: a streamed answer is appended at its
   * first checkpoint and rewritten at each later one and when it ends. Token
   * and cost totals move by the difference between the two versions. An
   * answer whose encoding exceeds one commit (600 KB) is refused: it cannot
   * be swapped atomically.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * const draft = await view.append({ role: "assistant", content: "Hel", status: "interrupted" });
   * await view.replaceLast(draft.seq, { role: "assistant", content: "Hello", status: "complete" });
   * assert.equal((await view.history()).messages[0].content, "Hello");
   * assert.equal(view.record.messageCount, 1);
   * await view.append({ role: "user", content: "next" });
   * await assert.rejects(view.replaceLast(draft.seq, { role: "assistant", content: "x" }), /newest/);
   * await store.close();
   * ```
   */
  async replaceLast(seq: number, message: unknown): Promise<MessageEntry> {
    this.#writable();
    const valid = validateMessage(message, "message", this.#ctx.clock.now());
    return await this.#serialize(async () => {
      const lease = this.#writable();
      const id = this.id;
      const encoded = encodeMessage(id, seq, valid);
      if (encoded.size > COMMIT_BUDGET) {
        throw new StoreError(
          "MESSAGE_TOO_LARGE_TO_REWRITE",
          `message ${seq} is too large to rewrite in place (${encoded.size} bytes); append it`,
        );
      }
      const result = await changeRecord(this.#ctx, id, async (record) => {
        if (seq !== record.nextSeq - 1 || seq < record.firstSeq) {
          throw new StoreValidationError(
            `message ${seq} is not the newest of session ${id}: only the newest can be rewritten`,
          );
        }
        // The newest message is in memory (this view wrote it); KV only when it is not.
        let previous: Message | undefined = this.#recent.findLast((m) => m.seq === seq);
        let oldChunks: number;
        if (previous) oldChunks = encodeMessage(id, seq, previous).chunks.length;
        else {
          const raw = await this.#ctx.retry(() => this.#ctx.kv.get(messageKey(id, seq)));
          for await (const m of readMessages(this.#ctx, id, { from: seq, to: seq + 1 })) {
            previous = m;
          }
          oldChunks = chunkCount(raw.value, this.#ctx.location);
        }
        return {
          next: reaccumulate(record, previous, valid, this.#ctx.clock.now()),
          mutate: (op) => {
            op.set(messageKey(id, seq), encoded.value);
            for (const c of encoded.chunks) op.set(c.key, c.value);
            for (let i = encoded.chunks.length; i < oldChunks; i++) op.delete(chunkKey(id, seq, i));
          },
        };
      }, { lease, cached: this.#current, missing: "deleted" });
      this.#current = { record: result.record!, versionstamp: result.versionstamp! };
      const entry: MessageEntry = { seq, ...valid };
      const at = this.#recent.findIndex((m) => m.seq === seq);
      if (at >= 0) this.#recent[at] = entry;
      else this.#remember([entry]);
      this.#ctx.emit({ sessionId: id, change: "appended", session: this.record, seqs: [seq] });
      return entry;
    });
  }

  async #commitBatch(batch: Message[]): Promise<MessageEntry[]> {
    const lease = this.#writable();
    const id = this.id;
    let encodedFor = -1;
    let encoded: EncodedMessage[] = [];
    let inlineChunks = true;
    const result = await changeRecord(this.#ctx, id, async (record) => {
      if (encodedFor !== record.nextSeq) {
        encoded = batch.map((m, i) => encodeMessage(id, record.nextSeq + i, m));
        const total = encoded.reduce((n, e) => n + e.size, 0);
        inlineChunks = total <= COMMIT_BUDGET;
        if (!inlineChunks) {
          // Invisible until the header commit; the marker (removed by that commit) lets the
          // next open drop chunks a crash left without a header.
          const marker = { from: record.nextSeq, to: record.nextSeq + batch.length };
          await writeChunksAhead(
            this.#ctx,
            encoded.flatMap((e) => e.chunks),
            (op) => op.set(prewriteKey(id), marker),
          );
        }
        encodedFor = record.nextSeq;
      }
      const next = accumulate(record, batch, this.#ctx.clock.now());
      return {
        next,
        mutate: (op) => {
          encoded.forEach((e, i) => {
            op.set(messageKey(id, record.nextSeq + i), e.value);
            if (inlineChunks) { for (const c of e.chunks) op.set(c.key, c.value); }
          });
          if (!inlineChunks) op.delete(prewriteKey(id));
        },
      };
    }, { lease, cached: this.#current, missing: "deleted" });
    const first = result.record!.nextSeq - batch.length;
    this.#current = { record: result.record!, versionstamp: result.versionstamp! };
    const entries = batch.map((m, i) => ({ seq: first + i, ...m }));
    this.#remember(entries);
    this.#ctx.emit({
      sessionId: id,
      change: "appended",
      session: this.record,
      seqs: entries.map((e) => e.seq),
    });
    return entries;
  }

  #remember(entries: MessageEntry[]): void {
    this.#recent.push(...entries);
    if (this.#recent.length > this.#pageSize) {
      this.#recent.splice(0, this.#recent.length - this.#pageSize);
    }
  }

  /**
   * A page of messages older than `before` (default: the newest), oldest
   * first, served from memory when the recent page covers it, else from KV.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * for (let i = 0; i < 120; i++) await view.append({ role: "user", content: `m${i}` });
   * const seqs: number[] = [];
   * let page = await view.history({ limit: 50 });
   * seqs.unshift(...page.messages.map((m) => m.seq));
   * while (page.nextBefore !== null) {
   *   page = await view.history({ before: page.nextBefore, limit: 50 });
   *   seqs.unshift(...page.messages.map((m) => m.seq));
   * }
   * assert.deepEqual(seqs, Array.from({ length: 120 }, (_, i) => i));
   * await store.close();
   * ```
   */
  async history(options: HistoryOptions = {}): Promise<HistoryPage> {
    if (this.#closed) throw new StoreClosedError();
    if (this.readOnly) {
      const fresh = await readRecord(this.#ctx, this.id);
      if (fresh) this.#current = fresh;
    }
    const r = this.#current.record;
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(options.limit ?? this.#pageSize)));
    const end = Math.min(options.before ?? r.nextSeq, r.nextSeq);
    const start = Math.max(r.firstSeq, end - limit);
    if (end <= start) return { messages: [], nextBefore: null };
    const nextBefore = start > r.firstSeq ? start : null;
    const held = this.#recent;
    if (
      !this.readOnly && held.length > 0 && held[0].seq <= start &&
      held[held.length - 1].seq >= end - 1
    ) {
      const offset = start - held[0].seq;
      return { messages: held.slice(offset, offset + (end - start)), nextBefore };
    }
    const messages: MessageEntry[] = [];
    for await (
      const m of readMessages(this.#ctx, this.id, { from: start, to: end, batchSize: limit })
    ) {
      messages.push(m);
    }
    return { messages, nextBefore };
  }

  /**
   * Streams every stored message, oldest first, one KV batch at a time.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await view.appendMany([{ role: "user", content: "a" }, { role: "assistant", content: "b" }]);
   * const roles: string[] = [];
   * for await (const m of view.messages()) roles.push(m.role);
   * assert.deepEqual(roles, ["user", "assistant"]);
   * await store.close();
   * ```
   */
  messages(): AsyncGenerator<MessageEntry> {
    const r = this.#current.record;
    return readMessages(this.#ctx, this.id, { from: r.firstSeq, to: r.nextSeq });
  }

  /**
   * Runs a record change under this view's lease, in turn with its writes
   * (used by `store.sessions` to update, save or clear a session open
   * here). Internal.
   */
  mutateRecord(
    change: Parameters<typeof changeRecord>[2],
    kind: "updated" | "cleared",
  ): Promise<SessionRecord> {
    const lease = this.#writable();
    return this.#serialize(async () => {
      const res = await changeRecord(this.#ctx, this.id, change, {
        lease,
        cached: this.#current,
        missing: "deleted",
      });
      this.#current = { record: res.record!, versionstamp: res.versionstamp! };
      if (kind === "cleared") this.#recent = [];
      this.#ctx.emit({ sessionId: this.id, change: kind, session: this.record });
      return this.record;
    });
  }

  /**
   * Closes the view: waits for queued writes, stops the heartbeat and
   * releases the lease. Idempotent.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await view.close();
   * assert.ok(view.closed);
   * const again = await store.sessions.open(view.id); // the lease was released
   * assert.notEqual(again, view);
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    this.#recent = [];
    try {
      await this.#lease?.release();
    } finally {
      this.#onClose?.(this);
    }
  }

  /** Marks the view closed without touching KV (the store is closing or the session was deleted). */
  abandon(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lease?.abandon();
    this.#recent = [];
    this.#onClose?.(this);
  }
}
