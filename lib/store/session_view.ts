/**
 * An open session: appends messages (each commit atomic with the session's
 * counters), keeps only the most recent page of messages in memory, and
 * pages older ones from KV on demand.
 *
 * @module
 */

import {
  COMMIT_BUDGET,
  type EncodedMessage,
  encodeMessage,
  estimateSize,
  type StoredMessage,
} from "./codec.ts";
import { readMessages, type StoreContext } from "./context.ts";
import {
  SessionLeaseLostError,
  SessionReadOnlyError,
  StoreClosedError,
  StoreError,
  StoreValidationError,
} from "./errors.ts";
import { chunkKey, messageKey, prewriteKey } from "./keys.ts";
import type { SessionLease } from "./lease.ts";
import { changeRecord, readRecord, type VersionedRecord } from "./records.ts";
import type { HistoryPage, Message, MessageEntry, SessionPatch, SessionRecord } from "./types.ts";
import { titleFromMessage, validateMessage } from "./types.ts";

/** Most messages committed in one atomic operation by {@linkcode SessionView.appendMany}. */
export const MAX_BATCH_MESSAGES = 100;
/** Chunks per pre-write commit for a huge message. */
const CHUNKS_PER_COMMIT = 8;
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

function validatePatchString(v: unknown, field: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new StoreValidationError(`${field} must be a string`);
  return v;
}

/**
 * Applies a patch of title/model/backend/systemPrompt to a record.
 *
 * @example
 * ```ts ignore
 * const next = applyPatch(record, { title: "Refactor" });
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
 * ```ts ignore
 * const next = accumulate(record, [{ role: "user", content: "hi", createdAt: 0 }], Date.now());
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
 * The record after message `previous` was rewritten as `next`: totals move
 * by the difference of their usage and cost; the count stays.
 *
 * @example
 * ```ts ignore
 * const after = reaccumulate(record, draft, final, Date.now());
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
 * An open session. Obtain one from `MessageStore.create` / `open`. Writes
 * are serialized per view; memory holds at most `pageSize` messages.
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
   * the store's `create`/`open`.
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
   * ```ts ignore
   * const entry = await view.append({ role: "user", content: "hello" });
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
   * ```ts ignore
   * await view.appendMany([{ role: "user", content: "a" }, { role: "assistant", content: "b" }]);
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
   * ```ts ignore
   * const draft = await view.append({ role: "assistant", content: "Hel", status: "interrupted" });
   * await view.replaceLast(draft.seq, { role: "assistant", content: "Hello", status: "complete" });
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
          const raw = await this.#ctx.retry(() =>
            this.#ctx.kv.get<StoredMessage>(messageKey(id, seq))
          );
          for await (const m of readMessages(this.#ctx, id, { from: seq, to: seq + 1 })) {
            previous = m;
          }
          oldChunks = raw.value && "chunks" in raw.value ? raw.value.chunks : 0;
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
        if (!inlineChunks) await this.#prewriteChunks(encoded, record.nextSeq, batch.length);
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

  /**
   * Writes the chunks of huge messages before the header commit; invisible
   * until then. A marker `["prewrite", id]` (removed by the header commit)
   * lets the next open clean up chunks a crash left without a header.
   */
  async #prewriteChunks(encoded: EncodedMessage[], from: number, count: number): Promise<void> {
    const chunks = encoded.flatMap((e) => e.chunks);
    for (let i = 0; i < chunks.length; i += CHUNKS_PER_COMMIT) {
      const part = chunks.slice(i, i + CHUNKS_PER_COMMIT);
      const op = this.#ctx.kv.atomic();
      if (i === 0) op.set(prewriteKey(this.id), { from, to: from + count });
      await this.#ctx.retry(() => part.reduce((o, c) => o.set(c.key, c.value), op).commit());
    }
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
   * ```ts ignore
   * let page = await view.history({ limit: 50 });
   * while (page.nextBefore !== null) page = await view.history({ before: page.nextBefore, limit: 50 });
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
   * ```ts ignore
   * for await (const m of view.messages()) console.log(m.seq, m.role);
   * ```
   */
  messages(): AsyncGenerator<MessageEntry> {
    const r = this.#current.record;
    return readMessages(this.#ctx, this.id, { from: r.firstSeq, to: r.nextSeq });
  }

  /**
   * Changes title, model, backend or system prompt.
   *
   * @example
   * ```ts ignore
   * await view.update({ title: "Auth refactor" });
   * ```
   */
  async update(patch: SessionPatch): Promise<SessionRecord> {
    return await this.#mutate((r) => ({ next: applyPatch(r, patch) }), "updated");
  }

  /**
   * Runs a record change under this view's lease (used by the store for
   * names, clear and delete of an open session). Internal.
   */
  mutateRecord(
    change: Parameters<typeof changeRecord>[2],
    kind: "updated" | "cleared",
  ): Promise<SessionRecord> {
    return this.#mutate(change, kind);
  }

  #mutate(
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
   * ```ts ignore
   * await view.close();
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
