/**
 * Sessions in and out of a store: streamed exports (versioned JSON that
 * re-imports, markdown for people) and a crash-safe import. The formats
 * themselves are `export.ts`; this module reads and writes the store.
 * Reach it as `store.transfer` (see `store.ts`).
 *
 * @module
 */

import { COMMIT_BUDGET, encodeMessage } from "./codec.ts";
import type { StoreContext } from "./context.ts";
import {
  SessionExistsError,
  SessionNameTakenError,
  SessionNotFoundError,
  StoreError,
} from "./errors.ts";
import { exportJson, exportMarkdown, parseSessionExport } from "./export.ts";
import { messageKey, sessionKey, sessionNameKey, sweepKey } from "./keys.ts";
import { acquireLease } from "./lease.ts";
import { readMessages, writeChunksAhead } from "./messages.ts";
import { moveIndex, readRecord } from "./records.ts";
import type { Sessions, StoreLeases } from "./sessions.ts";
import { finishSweep, markSweep } from "./sweeps.ts";
import type { MessageEntry, SessionRecord } from "./types.ts";
import { readValueOrNull, sessionIdValue } from "./values.ts";

/** Options of {@linkcode SessionTransfer.import}. */
export interface ImportOptions {
  /** When the id exists: fail (default), import under a new id, or replace it. */
  onConflict?: "error" | "new-id" | "replace";
}

/** Messages written per commit by an import (and at most {@linkcode COMMIT_BUDGET} bytes). */
const IMPORT_BATCH = 50;

/**
 * Export and import of the sessions of one open store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMessageStore } from "./store.ts";
 * const store = await openMessageStore({ location: { kind: "memory" } });
 * const view = await store.sessions.create({ title: "demo" });
 * await view.append({ role: "user", content: "hello" });
 * let json = "";
 * for await (const piece of store.transfer.exportJson(view.id)) json += piece;
 * const copy = await store.transfer.import(json, { onConflict: "new-id" });
 * assert.notEqual(copy.id, view.id);
 * assert.equal(copy.messageCount, 1);
 * await store.close();
 * ```
 */
export class SessionTransfer {
  #ctx: StoreContext;
  #sessions: Sessions;
  #leases: StoreLeases;

  /** Transfer over `ctx` (deleting through `sessions` on replace). Made by `openMessageStore`. */
  constructor(ctx: StoreContext, sessions: Sessions, leases: StoreLeases) {
    this.#ctx = ctx;
    this.#sessions = sessions;
    this.#leases = leases;
  }

  async #source(
    ref: string,
  ): Promise<{ record: SessionRecord; messages: AsyncGenerator<MessageEntry> }> {
    const id = await this.#sessions.resolve(ref);
    const ctx = this.#ctx;
    ctx.ensureOpen();
    const current = await readRecord(ctx, id);
    if (!current) throw new SessionNotFoundError(ref);
    const r = current.record;
    return { record: r, messages: readMessages(ctx, id, { from: r.firstSeq, to: r.nextSeq }) };
  }

  /**
   * Streams the versioned JSON export of a session (re-importable with
   * {@linkcode SessionTransfer.import}); one KV batch in memory at a time.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create();
   * await view.append({ role: "user", content: "hello" });
   * let text = "";
   * for await (const piece of store.transfer.exportJson(view.id)) text += piece;
   * assert.equal(JSON.parse(text).messages[0].content, "hello");
   * await store.close();
   * ```
   */
  async *exportJson(ref: string): AsyncGenerator<string> {
    const { record, messages } = await this.#source(ref);
    yield* exportJson(record, messages);
  }

  /**
   * Streams a markdown transcript of a session (turns, tool calls, tool results).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const view = await store.sessions.create({ title: "Demo" });
   * await view.append({ role: "user", content: "hello" });
   * let text = "";
   * for await (const piece of store.transfer.exportMarkdown(view.id)) text += piece;
   * assert.match(text, /^# Demo/);
   * assert.match(text, /hello/);
   * await store.close();
   * ```
   */
  async *exportMarkdown(ref: string): AsyncGenerator<string> {
    const { record, messages } = await this.#source(ref);
    yield* exportMarkdown(record, messages);
  }

  /**
   * Imports a JSON export (text or parsed). Everything is validated before
   * anything is written; a crash part-way leaves no half session (it is
   * swept at the next open). Counters are recomputed.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { openMessageStore } from "./store.ts";
   * const store = await openMessageStore({ location: { kind: "memory" } });
   * const data = {
   *   format: "mcpchat-session",
   *   version: 1,
   *   session: { id: "imported1", title: "t", createdAt: 0, lastActive: 0,
   *     tokens: { input: 0, output: 0, cachedInput: 0 }, cost: 0 },
   *   messages: [{ role: "user", content: "hi", createdAt: 0 }],
   * };
   * assert.equal((await store.transfer.import(data)).messageCount, 1);
   * await assert.rejects(store.transfer.import(data), /exists/);
   * await store.transfer.import(data, { onConflict: "replace" });
   * await store.close();
   * ```
   */
  async import(input: unknown, options: ImportOptions = {}): Promise<SessionRecord> {
    const ctx = this.#ctx;
    ctx.ensureOpen();
    const data = parseSessionExport(input);
    let id = data.session.id;
    const existing = await readRecord(ctx, id);
    const onConflict = options.onConflict ?? "error";
    if (existing) {
      if (onConflict === "error") throw new SessionExistsError(id);
      if (onConflict === "new-id") id = ctx.randomId(12);
      else await this.#sessions.delete(id);
    }
    let name = data.session.name;
    if (name !== undefined) {
      const entry = await ctx.retry(() => ctx.kv.get(sessionNameKey(name!)));
      const owner = readValueOrNull(entry, ctx.location, sessionIdValue);
      if (owner && owner !== id) {
        if (onConflict === "new-id") name = undefined;
        else throw new SessionNameTakenError(name, owner);
      }
    }
    const lease = await acquireLease(ctx.kv, id, this.#leases);
    try {
      await finishSweep(ctx, id);
      await ctx.retry(() => markSweep(ctx.kv.atomic(), id, { kind: "import" }).commit());
      // Messages are invisible until the record commit below; batches only bound commit size.
      let batchOp = ctx.kv.atomic();
      let pending = 0;
      let size = 0;
      const flush = async () => {
        if (pending === 0) return;
        const batch = batchOp;
        await ctx.retry(() => batch.commit());
        batchOp = ctx.kv.atomic();
        pending = 0;
        size = 0;
      };
      for (let seq = 0; seq < data.messages.length; seq++) {
        const enc = encodeMessage(id, seq, data.messages[seq]);
        if (enc.size > COMMIT_BUDGET) {
          await writeChunksAhead(ctx, enc.chunks);
          enc.chunks = [];
          enc.size = 256;
        }
        if (pending >= IMPORT_BATCH || size + enc.size > COMMIT_BUDGET) await flush();
        batchOp.set(messageKey(id, seq), enc.value);
        for (const c of enc.chunks) batchOp.set(c.key, c.value);
        pending += 1 + enc.chunks.length;
        size += enc.size;
      }
      await flush();
      const s = data.session;
      const record: SessionRecord = {
        id,
        title: s.title,
        ...(name !== undefined ? { name } : {}),
        ...(s.model !== undefined ? { model: s.model } : {}),
        ...(s.backend !== undefined ? { backend: s.backend } : {}),
        ...(s.systemPrompt !== undefined ? { systemPrompt: s.systemPrompt } : {}),
        createdAt: s.createdAt,
        lastActive: s.lastActive,
        messageCount: data.messages.length,
        firstSeq: 0,
        nextSeq: data.messages.length,
        tokens: s.tokens,
        cost: s.cost,
      };
      const op = ctx.kv.atomic().check({ key: sessionKey(id), versionstamp: null })
        .check({ key: lease.key, versionstamp: lease.versionstamp })
        .set(sessionKey(id), record).delete(sweepKey(id));
      if (name !== undefined) {
        op.check({ key: sessionNameKey(name), versionstamp: null }).set(sessionNameKey(name), id);
      }
      moveIndex(op, null, record);
      const res = await ctx.retry(() => op.commit());
      if (!res.ok) {
        throw new StoreError(
          "STORE_CONFLICT",
          `import of session ${id} raced with another write; try again`,
        );
      }
      ctx.emit({ sessionId: id, change: "imported", session: record });
      return record;
    } finally {
      await lease.release().catch(() => {});
    }
  }
}
