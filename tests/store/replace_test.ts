import assert from "node:assert/strict";
import { openAt, tempDir } from "./helpers.ts";

Deno.test("replaceLast rewrites a streamed answer in place: counters move by the difference, small to chunked and back", async () => {
  await using dir = await tempDir();
  const store = await openAt(dir.dir);
  try {
    const view = await store.sessions.create({});
    await view.append({ role: "user", content: "hi" });
    const draft = await view.append({ role: "assistant", content: "He", status: "interrupted" });
    const big = "y".repeat(200_000);
    await view.replaceLast(draft.seq, { role: "assistant", content: big, status: "interrupted" });
    await view.replaceLast(draft.seq, {
      role: "assistant",
      content: "Hello",
      status: "complete",
      usage: { inputTokens: 10, outputTokens: 2 },
      cost: 0.5,
    });
    await view.close();
    const again = await store.sessions.open(view.id, { readOnly: true });
    const record = again.record;
    assert.equal(record.messageCount, 2);
    assert.deepEqual(record.tokens, { input: 10, output: 2, cachedInput: 0 });
    assert.equal(record.cost, 0.5);
    const page = await again.history();
    assert.equal(page.messages[1].content, "Hello");
    assert.equal(page.messages[1].status, "complete");
    await again.close();
    const writer = await store.sessions.open(view.id);
    await assert.rejects(
      () => writer.replaceLast(0, { role: "user", content: "x" }),
      /only the newest can be rewritten/,
    );
    await writer.close();
  } finally {
    await store.close();
  }
  // No chunk of the 200 KB version is left behind.
  const kv = await Deno.openKv(`${dir.dir}/sessions.kv`);
  let chunks = 0;
  for await (const _ of kv.list({ prefix: ["chunk"] })) chunks++;
  kv.close();
  assert.equal(chunks, 0);
});
