import assert from "node:assert/strict";
import {
  activeIndexKey,
  AmbiguousSessionError,
  chunkPrefix,
  openMessageStore,
  runMigrations,
  SCHEMA_VERSION,
  SCHEMA_VERSION_KEY,
  SESSION_PREFIX,
  SessionDeletedError,
  SessionExistsError,
  SessionNameTakenError,
  SessionNotFoundError,
  SessionReadOnlyError,
  StoreValidationError,
  StoreVersionError,
  storeWorkerPermissions,
  sweepKey,
} from "../../lib/store/mod.ts";
import { fakeClock, openAt, seededRandom, tempDir } from "./helpers.ts";

Deno.test("append commits message and counters together; paging walks the whole history", async () => {
  await using tmp = await tempDir();
  const clock = fakeClock();
  const store = await openAt(tmp.dir, { clock, pageSize: 10 });
  const view = await store.sessions.create({ backend: "anthropic", model: "claude" });
  for (let i = 0; i < 95; i++) {
    await clock.tick(1000);
    await view.append({
      role: i % 2 === 0 ? "user" : "assistant",
      content: `m${i}`,
      usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 1 },
      cost: 0.001,
    });
  }
  const r = await store.sessions.get(view.id);
  assert.equal(r.messageCount, 95);
  assert.equal(r.nextSeq, 95);
  assert.deepEqual(r.tokens, { input: 950, output: 475, cachedInput: 95 });
  assert.equal(r.cost, 0.095);
  assert.equal(r.title, "m0");
  assert.equal(r.lastActive, clock.now());
  assert.equal(view.recentSize, 10, "only a page is held in memory");
  assert.deepEqual(view.recent.map((m) => m.seq), [85, 86, 87, 88, 89, 90, 91, 92, 93, 94]);

  // Page backwards with a cursor: every message exactly once, in order.
  const seen: number[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await view.history({ before, limit: 7 });
    seen.unshift(...page.messages.map((m) => m.seq));
    assert.ok(page.messages.every((m, i, a) => i === 0 || a[i - 1].seq + 1 === m.seq));
    if (page.nextBefore === null) break;
    before = page.nextBefore;
  }
  assert.deepEqual(seen, Array.from({ length: 95 }, (_, i) => i));
  const oldest = await view.history({ before: 3, limit: 50 });
  assert.deepEqual(oldest.messages.map((m) => m.content), ["m0", "m1", "m2"]);
  assert.equal(oldest.nextBefore, null);

  // A read-only view in another store instance sees the same history from KV.
  const other = await openAt(tmp.dir, { clock });
  const ro = await other.sessions.open(view.id, { readOnly: true });
  assert.ok(ro.readOnly);
  assert.deepEqual((await ro.history({ limit: 3 })).messages.map((m) => m.seq), [92, 93, 94]);
  await assert.rejects(ro.append({ role: "user", content: "x" }), SessionReadOnlyError);
  await other.close();
  await store.close();
});

Deno.test("tool calls and 100 KB+ tool results round-trip (chunked past the 64 KiB value limit)", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const view = await store.sessions.create();
  const huge = "ü".repeat(150_000) + "end"; // 300 KB of UTF-8
  const blocks = [{ type: "text", text: "x".repeat(90_000) }, {
    type: "image",
    data: "aGVsbG8=",
    mimeType: "image/png",
  }];
  await view.append({
    role: "assistant",
    content: [
      { type: "text", text: "calling" },
      { type: "tool-call", id: "c1", name: "fs__read", arguments: { path: "/a", n: 1 } },
      { type: "tool-call", id: "c2", name: "fs__big", arguments: {} },
    ],
  });
  await view.append({
    role: "tool",
    content: [
      { type: "tool-result", id: "c1", content: huge },
      { type: "tool-result", id: "c2", content: blocks, isError: true },
    ],
  });
  // A 2.5 MB message takes the pre-written chunk path (more than one commit's budget).
  const giant = "g".repeat(2_500_000);
  await view.append({ role: "tool", content: [{ type: "tool-result", id: "c3", content: giant }] });

  const other = await openAt(tmp.dir);
  const page = await (await other.sessions.open(view.id, { readOnly: true })).history();
  assert.equal(page.messages.length, 3);
  const [call, result, big] = page.messages;
  assert.deepEqual(call.content, [
    { type: "text", text: "calling" },
    { type: "tool-call", id: "c1", name: "fs__read", arguments: { path: "/a", n: 1 } },
    { type: "tool-call", id: "c2", name: "fs__big", arguments: {} },
  ]);
  assert.deepEqual(result.content, [
    { type: "tool-result", id: "c1", content: huge },
    { type: "tool-result", id: "c2", content: blocks, isError: true },
  ]);
  assert.deepEqual(big.content, [{ type: "tool-result", id: "c3", content: giant }]);
  await other.close();
  await store.close();
});

Deno.test("invalid messages are rejected with the offending field named and nothing is written", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const view = await store.sessions.create();
  const cases: Array<[unknown, RegExp]> = [
    [{ role: "robot", content: "x" }, /message\.role must be one of system, user, assistant, tool/],
    [{ role: "user" }, /message\.content must be a string or an array/],
    [{ role: "user", content: [{ type: "tool-call", id: "", name: "t" }] }, /content\[0\]\.id/],
    [{ role: "user", content: [{ type: "video" }] }, /content\[0\]\.type must be one of/],
    [
      { role: "user", content: "x", usage: { inputTokens: -1, outputTokens: 0 } },
      /usage\.inputTokens/,
    ],
    [
      { role: "tool", content: [{ type: "tool-result", id: "a", content: { d: new Date() } }] },
      /content\.d must be JSON/,
    ],
    [{ role: "user", content: "x", cost: Number.NaN }, /cost must be a non-negative number/],
  ];
  for (const [message, pattern] of cases) {
    await assert.rejects(view.append(message), (e: unknown) => {
      assert.ok(e instanceof StoreValidationError, String(e));
      assert.equal(e.code, "STORE_INVALID");
      assert.match(e.message, pattern);
      return true;
    });
  }
  // A batch with one bad message writes none of them.
  await assert.rejects(
    view.appendMany([{ role: "user", content: "ok" }, { role: "nope", content: "x" }]),
    /messages\[1\]\.role/,
  );
  assert.equal((await store.sessions.get(view.id)).messageCount, 0);
  await store.close();
});

Deno.test("list is newest-first and paginated; last skips empty sessions; resolve by id, prefix, name", async () => {
  await using tmp = await tempDir();
  const clock = fakeClock();
  const store = await openAt(tmp.dir, { clock, random: seededRandom(7) });
  const ids: string[] = [];
  for (let i = 0; i < 25; i++) {
    await clock.tick(1000);
    const v = await store.sessions.create({ title: `s${i}` });
    if (i % 5 !== 4) await v.append({ role: "user", content: `hi ${i}` });
    ids.push(v.id);
    await v.close();
  }
  // Touch an old session: it moves to the front.
  await clock.tick(1000);
  const old = await store.sessions.open(ids[3]);
  await old.append({ role: "user", content: "again" });
  await old.close();

  const all: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Awaited<ReturnType<typeof store.sessions.list>> = await store.sessions.list({
      limit: 10,
      cursor,
    });
    all.push(...page.sessions.map((s) => s.id));
    cursor = page.cursor;
    pages++;
  } while (cursor);
  assert.equal(pages, 3);
  const expected = [ids[3], ...ids.filter((_, i) => i !== 3).reverse()];
  assert.deepEqual(all, expected);
  const first = (await store.sessions.list({ limit: 1 })).sessions[0];
  assert.equal(first.messageCount, 2);
  assert.equal(first.title, "s3");

  // The newest session (24) is empty: --continue picks the newest with messages.
  assert.equal((await store.sessions.last())?.id, ids[3]);
  assert.equal((await store.sessions.last({ skipEmpty: false }))?.id, ids[3]);
  await clock.tick(1000);
  const fresh = await store.sessions.create();
  await fresh.close();
  assert.equal((await store.sessions.last({ skipEmpty: false }))?.id, fresh.id);
  assert.equal((await store.sessions.last())?.id, ids[3]);

  assert.equal(await store.sessions.resolve(ids[5]), ids[5]);
  assert.equal(await store.sessions.resolve(ids[5].slice(0, 8)), ids[5]);
  await store.sessions.save(ids[5], "work");
  assert.equal(await store.sessions.resolve("work"), ids[5]);
  assert.equal((await store.sessions.get("work")).name, "work");
  await assert.rejects(store.sessions.save(ids[6], "work"), SessionNameTakenError);
  await store.sessions.save(ids[5], "work2"); // renaming frees the old name
  await store.sessions.save(ids[6], "work");
  assert.equal(await store.sessions.resolve("work"), ids[6]);
  await assert.rejects(store.sessions.resolve("nope-nope"), SessionNotFoundError);
  await assert.rejects(store.sessions.save(ids[6], "has space"), StoreValidationError);
  // With 26 random ids, some single-character prefix is shared.
  const counts = new Map<string, number>();
  for (const id of [...ids, fresh.id]) counts.set(id[0], (counts.get(id[0]) ?? 0) + 1);
  const shared = [...counts].find(([, n]) => n > 1)![0];
  await assert.rejects(store.sessions.resolve(shared), AmbiguousSessionError);

  const renamed = await store.sessions.update(ids[7], { title: "Renamed", model: "gpt" });
  assert.equal(renamed.title, "Renamed");
  assert.equal(
    (await store.sessions.list({ limit: 100 })).sessions.find((s) => s.id === ids[7])?.title,
    "Renamed",
  );
  await store.close();
});

Deno.test("clear keeps the session and its totals; delete removes everything including chunks", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir, { pageSize: 5 });
  const view = await store.sessions.create();
  for (let i = 0; i < 30; i++) await view.append({ role: "user", content: `m${i}`, cost: 0.5 });
  await view.append({
    role: "tool",
    content: [{ type: "tool-result", id: "x", content: "z".repeat(200_000) }],
  });
  const cleared = await store.sessions.clear(view.id);
  assert.equal(cleared.messageCount, 0);
  assert.equal(cleared.cost, 15);
  assert.equal(view.recentSize, 0);
  assert.deepEqual((await view.history()).messages, []);
  const next = await view.append({ role: "user", content: "after clear" });
  assert.equal(next.seq, 31, "sequence numbers are not reused");
  assert.deepEqual((await view.history()).messages.map((m) => m.content), ["after clear"]);

  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  const countKeys = async (prefix: Deno.KvKey) => {
    let n = 0;
    for await (const _ of kv.list({ prefix })) n++;
    return n;
  };
  assert.equal(await countKeys(["message", view.id]), 1);
  assert.equal(await countKeys(chunkPrefix(view.id)), 0);

  await view.append({
    role: "tool",
    content: [{ type: "tool-result", id: "y", content: "q".repeat(200_000) }],
  });
  await store.sessions.save(view.id, "doomed");
  const removed = await store.sessions.delete(view.id);
  assert.deepEqual(removed, { id: view.id, messages: 2 });
  assert.ok(view.closed);
  await assert.rejects(store.sessions.get(view.id), SessionNotFoundError);
  await assert.rejects(store.sessions.resolve("doomed"), SessionNotFoundError);
  for (
    const prefix of [
      ["message", view.id],
      chunkPrefix(view.id),
      ["lease", view.id],
      sweepKey(view.id),
    ]
  ) {
    assert.equal(await countKeys(prefix), 0, `nothing left under ${String(prefix)}`);
  }
  assert.equal((await store.sessions.list()).sessions.length, 0);
  kv.close();
  await store.close();
});

Deno.test("a session deleted by another process fails the next append with SessionDeletedError", async () => {
  await using tmp = await tempDir();
  const clock = fakeClock();
  const a = await openAt(tmp.dir, { clock, leaseTtlMs: 1000 });
  const view = await a.sessions.create();
  await view.append({ role: "user", content: "x" });
  // The other process waits out the lease (e.g. this one was suspended), then deletes.
  view.lease!.abandon();
  clock.set(clock.now() + 5000);
  const b = await openAt(tmp.dir, { clock });
  await b.sessions.delete(view.id);
  await assert.rejects(view.append({ role: "user", content: "y" }), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.ok(
      e instanceof SessionDeletedError || (e as { code?: string }).code === "SESSION_LEASE_LOST",
      String(e),
    );
    return true;
  });
  await b.close();
  await a.close();
});

Deno.test("an interrupted delete or clear (crash mid-sweep) is finished at the next open", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const a = await store.sessions.create();
  const b = await store.sessions.create();
  for (let i = 0; i < 20; i++) {
    await a.append({ role: "user", content: `a${i}` });
    await b.append({ role: "user", content: `b${i}` });
  }
  await a.close();
  await b.close();
  await store.close();
  // Simulate crashes right after the record commit of a delete (a) and a clear (b).
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  const rec = (await kv.get<{ lastActive: number }>(["session", a.id])).value!;
  await kv.atomic().delete(["session", a.id]).delete(["session_active", rec.lastActive, a.id])
    .set(sweepKey(a.id), { kind: "delete" }).commit();
  const recB = (await kv.get<Record<string, unknown>>(["session", b.id])).value!;
  const clearedB = { ...recB, firstSeq: 20, messageCount: 0 };
  await kv.atomic().set(["session", b.id], clearedB).set([
    "session_active",
    recB.lastActive as number,
    b.id,
  ], clearedB)
    .set(sweepKey(b.id), { kind: "clear", before: 20 }).commit();
  kv.close();

  const reopened = await openAt(tmp.dir);
  assert.equal(reopened.info().recoveredSweeps, 2);
  const kv2 = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  for (const prefix of [["message", a.id], ["message", b.id], ["sweep"]]) {
    let n = 0;
    for await (const _ of kv2.list({ prefix })) n++;
    assert.equal(n, 0, String(prefix));
  }
  kv2.close();
  assert.equal((await reopened.sessions.get(b.id)).messageCount, 0);
  await reopened.close();
});

Deno.test("migration v1 -> v2 builds the last-active index; a newer store is refused", async () => {
  await using tmp = await tempDir();
  const path = `${tmp.dir}/sessions.kv`;
  // A version-1 store: session records, messages, no last-active index.
  const kv = await Deno.openKv(path);
  await kv.set(["meta", "schema_version"], 1);
  const records = Array.from({ length: 450 }, (_, i) => ({
    id: `old${String(i).padStart(3, "0")}`,
    title: `old ${i}`,
    createdAt: 1000 + i,
    lastActive: 5000 + ((i * 7919) % 450),
    messageCount: 1,
    firstSeq: 0,
    nextSeq: 1,
    tokens: { input: 0, output: 0, cachedInput: 0 },
    cost: 0,
  }));
  for (const r of records) {
    await kv.atomic().set(["session", r.id], r).set(["message", r.id, 0n], {
      m: { role: "user", content: r.title, createdAt: r.createdAt },
    }).commit();
  }
  kv.close();

  const store = await openAt(tmp.dir);
  assert.deepEqual(store.info().migrations, {
    from: 1,
    to: 2,
    applied: ["add the last-active session index"],
  });
  const listed = (await store.sessions.list({ limit: 1000 })).sessions.map((s) => s.id);
  const expected = [...records].sort((x, y) =>
    y.lastActive - x.lastActive || (y.id < x.id ? -1 : 1)
  ).map((r) => r.id);
  assert.deepEqual(listed, expected);
  const view = await store.sessions.open("old007", { readOnly: true });
  assert.equal((await view.history()).messages[0].content, "old 7");
  await store.close();

  // Re-opening does not migrate again.
  const again = await openAt(tmp.dir);
  assert.deepEqual(again.info().migrations, { from: 2, to: 2, applied: [] });
  await again.close();

  // A store written by a newer mcpchat is refused with an actionable error, untouched.
  const kv3 = await Deno.openKv(path);
  await kv3.set(["meta", "schema_version"], 9);
  kv3.close();
  await assert.rejects(openAt(tmp.dir), (e: unknown) => {
    assert.ok(e instanceof StoreVersionError);
    assert.match(e.message, /schema version 9.*supports up to 2.*upgrade mcpchat/);
    return true;
  });
  const kv4 = await Deno.openKv(path);
  assert.equal((await kv4.get(["meta", "schema_version"])).value, 9);
  let sessions = 0;
  for await (const _ of kv4.list({ prefix: SESSION_PREFIX })) sessions++;
  assert.equal(sessions, 450);
  kv4.close();
});

Deno.test("two stores migrating the same old store at once migrate it exactly once", async () => {
  await using tmp = await tempDir();
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  await kv.set(["meta", "schema_version"], 1);
  await kv.set(["session", "s1"], {
    id: "s1",
    title: "t",
    createdAt: 1,
    lastActive: 2,
    messageCount: 0,
    firstSeq: 0,
    nextSeq: 0,
    tokens: { input: 0, output: 0, cachedInput: 0 },
    cost: 0,
  });
  kv.close();
  const [a, b] = await Promise.all([openAt(tmp.dir), openAt(tmp.dir)]);
  const applied = a.info().migrations.applied.length + b.info().migrations.applied.length;
  assert.ok(applied >= 1 && applied <= 2);
  assert.equal(a.info().schemaVersion, 2);
  assert.equal(b.info().schemaVersion, 2);
  assert.deepEqual((await a.sessions.list()).sessions.map((s) => s.id), ["s1"]);
  await a.close();
  await b.close();
});

Deno.test("aliases and OAuth storage persist across reopen", async () => {
  await using tmp = await tempDir();
  const clock = fakeClock();
  const store = await openAt(tmp.dir, { clock });
  await store.aliases.set("gs", ["/mcp tools", "/cost"]);
  await assert.rejects(store.aliases.set("bad name", ["/x"]), StoreValidationError);
  await assert.rejects(store.aliases.set("empty", []), StoreValidationError);
  const tokens = {
    access_token: "at",
    token_type: "Bearer",
    refresh_token: "rt",
    expires_in: 3600,
  };
  await store.oauth.set("mcp-oauth/gh/tokens", tokens);
  await store.oauth.set("mcp-oauth/gh/verifier", "v");
  await store.oauth.set("mcp-oauth/gh/verifier", undefined); // undefined deletes
  await store.close();

  const again = await openAt(tmp.dir, { clock });
  assert.deepEqual((await again.aliases.get("gs"))?.commands, ["/mcp tools", "/cost"]);
  assert.deepEqual((await again.aliases.list()).map((a) => a.name), ["gs"]);
  assert.equal(await again.aliases.delete("gs"), true);
  assert.equal(await again.aliases.get("gs"), null);
  assert.deepEqual(await again.oauth.get("mcp-oauth/gh/tokens"), tokens);
  assert.equal(await again.oauth.get("mcp-oauth/gh/verifier"), undefined);
  await again.oauth.delete("mcp-oauth/gh/tokens");
  assert.equal(await again.oauth.get("mcp-oauth/gh/tokens"), undefined);
  await assert.rejects(again.oauth.get(""), StoreValidationError);
  await assert.rejects(again.oauth.set("k".repeat(513), 1), StoreValidationError);
  await again.close();
});

Deno.test("create with an existing id is refused; events report every change", async () => {
  await using tmp = await tempDir();
  const events: string[] = [];
  const store = await openAt(tmp.dir, {
    onEvent: (e) => events.push(`${e.change}:${e.seqs?.join(",") ?? ""}`),
  });
  const view = await store.sessions.create({ id: "fixed" });
  await view.appendMany([{ role: "user", content: "a" }, { role: "assistant", content: "b" }]);
  await store.sessions.update("fixed", { title: "T" });
  await store.sessions.clear("fixed");
  await view.close();
  await assert.rejects(store.sessions.create({ id: "fixed" }), SessionExistsError);
  await store.sessions.delete("fixed");
  assert.deepEqual(events, ["created:", "appended:0,1", "updated:", "cleared:", "deleted:"]);
  await store.close();
});

Deno.test("big batches are split under KV's per-commit limits (append and import)", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const view = await store.sessions.create();
  // 100 inline messages of ~28 KB with two-byte characters (~56 KB serialized each).
  const messages = Array.from({ length: 100 }, (_, i) => ({
    role: "tool",
    content: [{ type: "tool-result", id: `c${i}`, content: `${i} ${"€".repeat(9_000)}` }],
  }));
  messages.push({
    role: "tool",
    content: [{ type: "tool-result", id: "huge", content: "h".repeat(1_500_000) }],
  });
  const entries = await view.appendMany(messages);
  assert.deepEqual(entries.map((e) => e.seq), Array.from({ length: 101 }, (_, i) => i));
  let json = "";
  for await (const piece of store.transfer.exportJson(view.id)) json += piece;
  await view.close();
  await store.sessions.delete(view.id);
  const imported = await store.transfer.import(json);
  assert.equal(imported.messageCount, 101);
  const again = await store.sessions.open(imported.id, { readOnly: true });
  let n = 0;
  for await (const m of again.messages()) {
    assert.deepEqual(m.content, messages[n].content);
    n++;
  }
  assert.equal(n, 101);
  await store.close();
});

Deno.test("an in-memory store (autosave off, --no-save) has the same API and needs no permissions", async () => {
  assert.deepEqual(storeWorkerPermissions({ kind: "memory" }), {});
  const store = await openMessageStore({ location: { kind: "memory" } });
  assert.equal(store.info().location, ":memory:");
  const view = await store.sessions.create();
  await view.append({ role: "user", content: "not saved" });
  assert.equal((await store.sessions.last())?.messageCount, 1);
  await store.close();
});

Deno.test("watch reports another store instance's changes to a session", async () => {
  await using tmp = await tempDir();
  const writer = await openAt(tmp.dir);
  const watcher = await openAt(tmp.dir);
  const view = await writer.sessions.create();
  const controller = new AbortController();
  const seen: number[] = [];
  const watching = (async () => {
    for await (const [record] of watcher.sessions.watch([view.id], controller.signal)) {
      seen.push(record?.messageCount ?? -1);
      if ((record?.messageCount ?? 0) >= 3) break;
    }
  })();
  for (let i = 0; i < 3; i++) {
    await view.append({ role: "user", content: `m${i}` });
    await new Promise((r) => setTimeout(r, 20)); // let the watch stream deliver in between
  }
  await watching;
  controller.abort();
  assert.equal(seen.at(-1), 3);
  assert.ok(seen.every((n, i) => i === 0 || n >= seen[i - 1]), `counts only grow: ${seen}`);
  await writer.close();
  await watcher.close();
});

Deno.test("chunks a crash left behind without a message header are removed at the next open", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const view = await store.sessions.create();
  await view.append({
    role: "tool",
    content: [{ type: "tool-result", id: "a", content: "a".repeat(100_000) }],
  });
  await view.close();
  await store.close();
  // A crash while pre-writing the chunks of seq 1 (2 MB): chunks and marker, no header.
  // Seq 0 (2 chunks, committed) also has a stale extra chunk from an earlier attempt.
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  await kv.set(["prewrite", view.id], { from: 0, to: 2 });
  for (let i = 0; i < 10; i++) await kv.set(["chunk", view.id, 1n, i], new Uint8Array(1000));
  await kv.set(["chunk", view.id, 0n, 7], new Uint8Array(10));
  kv.close();

  const reopened = await openAt(tmp.dir);
  assert.equal(reopened.info().recoveredSweeps, 1);
  const kv2 = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  const keys: string[] = [];
  for await (const e of kv2.list({ prefix: ["chunk", view.id] })) keys.push(String(e.key.slice(2)));
  assert.deepEqual(keys, ["0,0", "0,1"], "only the committed message's chunks remain");
  assert.equal((await kv2.get(["prewrite", view.id])).versionstamp, null);
  kv2.close();
  const again = await reopened.sessions.open(view.id);
  assert.equal(
    ((await again.history()).messages[0].content as Array<{ content: string }>)[0].content.length,
    100_000,
  );
  const next = await again.append({
    role: "tool",
    content: [{ type: "tool-result", id: "b", content: "b".repeat(2_000_000) }],
  });
  assert.equal(next.seq, 1);
  await reopened.close();
  const kv3 = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  assert.equal(
    (await kv3.get(["prewrite", view.id])).versionstamp,
    null,
    "the header commit removes the marker",
  );
  kv3.close();
});

Deno.test("a store another process stamped between our read and our look is not migrated again", async () => {
  // The race seen with three writers opening one new store: one process read "no version",
  // another stamped the store and wrote a session, the first found data, took it for the
  // first layout, and rebuilt the index under the other's writes (a session listed twice).
  const kv = await Deno.openKv(":memory:");
  await kv.set(SCHEMA_VERSION_KEY, SCHEMA_VERSION);
  await kv.set(activeIndexKey(7, "live"), { id: "live" });
  let reads = 0;
  const racing = new Proxy(kv, {
    get(target, prop) {
      if (prop === "get") {
        return (key: Deno.KvKey) =>
          key.join("/") === SCHEMA_VERSION_KEY.join("/") && reads++ === 0
            ? Promise.resolve({ key, value: null, versionstamp: null }) // read before the stamp
            : target.get(key);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const report = await runMigrations(racing, { location: ":memory:", retry: (op) => op() });
  assert.deepEqual(report.applied, [], "no migration ran on a stamped store");
  assert.equal(report.to, SCHEMA_VERSION);
  const index = [];
  for await (const e of kv.list({ prefix: ["session_active"] })) index.push(e.key);
  assert.deepEqual(index, [activeIndexKey(7, "live")], "the live index is untouched");
  kv.close();
});
