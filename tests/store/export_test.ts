import assert from "node:assert/strict";
import {
  EXPORT_FORMAT,
  type MessageStore,
  parseSessionExport,
  SessionExistsError,
  SessionNameTakenError,
  StoreValidationError,
} from "../../lib/store/mod.ts";
import { fakeClock, openAt, tempDir } from "./helpers.ts";

async function collect(gen: AsyncGenerator<string>): Promise<string> {
  let s = "";
  for await (const piece of gen) s += piece;
  return s;
}

async function seed(store: MessageStore) {
  const view = await store.sessions.create({
    backend: "anthropic",
    model: "claude-x",
    systemPrompt: "Be terse.",
  });
  await view.append({ role: "system", content: "Be terse." });
  await view.append({ role: "user", content: "List the files in /tmp and read ``notes.md``" });
  await view.append({
    role: "assistant",
    model: "claude-x",
    content: [
      { type: "text", text: "Let me look." },
      { type: "tool-call", id: "call_1", name: "fs__list_directory", arguments: { path: "/tmp" } },
    ],
    usage: { inputTokens: 120, outputTokens: 30, cachedInputTokens: 100 },
    cost: 0.0012,
  });
  await view.append({
    role: "tool",
    content: [{
      type: "tool-result",
      id: "call_1",
      content: [{ type: "text", text: "notes.md\nx.txt" }],
    }],
  });
  await view.append({
    role: "tool",
    content: [{ type: "tool-result", id: "call_2", content: "```\nENOENT\n```", isError: true }],
  });
  await view.append({
    role: "tool",
    content: [{ type: "tool-result", id: "call_3", content: "big ".repeat(40_000) }],
  });
  await view.append({
    role: "assistant",
    content: "Done: 2 files.",
    usage: { inputTokens: 200, outputTokens: 8 },
    cost: 0.002,
  });
  await store.sessions.save(view.id, "files-demo");
  await view.close();
  return view.id;
}

Deno.test("JSON export re-imports into another store and exports byte-identical", async () => {
  await using a = await tempDir();
  await using b = await tempDir();
  const clock = fakeClock();
  const src = await openAt(a.dir, { clock });
  const id = await seed(src);
  const json = await collect(src.transfer.exportJson(id));
  const parsed = JSON.parse(json);
  assert.equal(parsed.format, EXPORT_FORMAT);
  assert.equal(parsed.version, 1);
  assert.equal(parsed.messages.length, 7);
  assert.equal(parsed.session.name, "files-demo");

  const dst = await openAt(b.dir, { clock });
  const imported = await dst.transfer.import(json);
  assert.equal(imported.id, id);
  assert.equal(imported.messageCount, 7);
  const original = await src.sessions.get(id);
  assert.deepEqual(
    { ...imported, firstSeq: 0 },
    { ...original, firstSeq: 0 },
    "record (title, name, model, backend, totals, times) survives",
  );
  assert.equal(await collect(dst.transfer.exportJson(id)), json, "identical after the round trip");
  assert.equal(await dst.sessions.resolve("files-demo"), id);
  assert.equal((await dst.sessions.list()).sessions[0].id, id);

  // Importing again into the same store: refused, or as a new session, or replacing.
  await assert.rejects(dst.transfer.import(json), SessionExistsError);
  const copy = await dst.transfer.import(json, { onConflict: "new-id" });
  assert.notEqual(copy.id, id);
  assert.equal(copy.name, undefined, "the unique name stays with the original");
  assert.equal(copy.messageCount, 7);
  const replaced = await dst.transfer.import(json, { onConflict: "replace" });
  assert.equal(replaced.id, id);
  assert.equal((await dst.sessions.list()).sessions.length, 2);
  await src.close();
  await dst.close();
});

Deno.test("markdown export shows the turns, tool calls with arguments, and tool results", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir, { clock: fakeClock() });
  const id = await seed(store);
  const md = await collect(store.transfer.exportMarkdown(id));
  assert.match(md, /^# List the files in \/tmp and read ``notes\.md``\n/);
  assert.match(md, /- Session: `[0-9a-z]{12}`/);
  assert.match(md, /- Name: files-demo/);
  assert.match(md, /- Model: anthropic \/ claude-x/);
  assert.match(md, /- Tokens: 320 in, 38 out/);
  assert.match(md, /- Cost: \$0\.0032/);
  assert.match(md, /## System prompt\n\nBe terse\./);
  assert.match(md, /## User · 2026-01-01T00:00:00\.000Z\n\nList the files/);
  assert.match(
    md,
    /## Assistant \(claude-x\) · .*\n\nLet me look\.\n\n\*\*Tool call\*\* `fs__list_directory` \(id `call_1`\)\n\n```json\n\{\n {2}"path": "\/tmp"\n\}\n```/,
  );
  assert.match(md, /\*\*Tool result\*\* for `call_1`\n\n```\nnotes\.md\nx\.txt\n```/);
  // Content with backtick fences gets a longer fence, and errors are marked.
  assert.match(md, /\*\*Tool result\*\* for `call_2` \(error\)\n\n````\n```\nENOENT\n```\n````/);
  assert.match(md, /_120 in \/ 30 out tokens, \$0\.0012_/);
  assert.match(md, /## Assistant · .*\n\nDone: 2 files\./);
  assert.ok(
    md.includes("big ".repeat(40_000).trimEnd()),
    "large (chunked) tool results are exported whole",
  );
  await store.close();
});

Deno.test("bad import files get actionable errors and write nothing", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const good = {
    format: "mcpchat-session",
    version: 1,
    session: {
      id: "imp1",
      title: "t",
      createdAt: 1,
      lastActive: 2,
      tokens: { input: 0, output: 0, cachedInput: 0 },
      cost: 0,
    },
    messages: [{ role: "user", content: "hi", createdAt: 1 }],
  };
  const cases: Array<[unknown, RegExp]> = [
    ["{not json", /not valid JSON.*sessions export ID --format json/],
    [{ ...good, format: "other" }, /not an mcpchat session export/],
    [{ ...good, version: 99 }, /version 99 is not supported.*upgrade mcpchat/],
    [{ ...good, session: { ...good.session, id: "../../etc" } }, /session\.id must be/],
    [
      { ...good, messages: [good.messages[0], { role: "user", content: 5, createdAt: 1 }] },
      /messages\[1\]\.content must be/,
    ],
    [
      { ...good, messages: [{ role: "user", content: "x" }] },
      /messages\[0\]\.createdAt is missing/,
    ],
    [
      { ...good, session: { ...good.session, cost: -1 } },
      /session\.cost must be a non-negative number/,
    ],
  ];
  for (const [input, pattern] of cases) {
    await assert.rejects(store.transfer.import(input), (e: unknown) => {
      assert.ok(e instanceof StoreValidationError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  }
  assert.equal((await store.sessions.list()).sessions.length, 0);
  assert.equal(parseSessionExport(good).messages.length, 1);

  // A name already used by another session is refused unless importing as a new id.
  const other = await store.sessions.create();
  await store.sessions.save(other.id, "taken");
  await assert.rejects(
    store.transfer.import({ ...good, session: { ...good.session, name: "taken" } }),
    SessionNameTakenError,
  );
  assert.equal((await store.sessions.list()).sessions.length, 1);
  await store.close();
});

Deno.test("an import interrupted by a crash leaves no half session after reopen", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  await store.close();
  // State right after a crash mid-import: sweep marker and some messages, no record.
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  await kv.set(["sweep", "half"], { kind: "import" });
  for (let i = 0; i < 30; i++) {
    await kv.set(["message", "half", BigInt(i)], {
      m: { role: "user", content: "x", createdAt: 0 },
    });
  }
  kv.close();
  const reopened = await openAt(tmp.dir);
  assert.equal(reopened.info().recoveredSweeps, 1);
  await reopened.close();
  const kv2 = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  let left = 0;
  for await (const _ of kv2.list({ prefix: ["message", "half"] })) left++;
  assert.equal(left, 0);
  kv2.close();
});
