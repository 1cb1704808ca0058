/**
 * A message read back from KV is checked as an append checks it: a damaged
 * entry (bad chunk bytes, a message of the wrong shape, a value that is
 * neither a message nor a chunk header) is a StoreCorruptedError naming the
 * store and what is wrong, not a mis-typed message handed to the chat.
 */
import assert from "node:assert/strict";
import {
  chunkKey,
  idOfKey,
  messageKey,
  seqOfKey,
  StoreCorruptedError,
} from "../../lib/store/mod.ts";
import { chunkCount, decodeMessage, storedEntry } from "../../lib/store/codec.ts";
import { openAt, tempDir } from "./helpers.ts";

/** A store with one session holding a small message (seq 0) and a chunked one (seq 1). */
async function storeWithMessages(dir: string): Promise<string> {
  const store = await openAt(dir);
  const view = await store.sessions.create();
  await view.append({ role: "user", content: "hi" });
  await view.append({
    role: "tool",
    content: [{ type: "tool-result", id: "t1", content: "x".repeat(70_000) }],
  });
  const id = view.id;
  await store.close();
  return id;
}

/** The error of opening session `id` and reading its history (opening reads the newest page). */
async function historyError(dir: string, id: string): Promise<StoreCorruptedError> {
  const store = await openAt(dir);
  try {
    const error = await store.sessions.open(id, { readOnly: true })
      .then((view) => view.history())
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof StoreCorruptedError, `expected StoreCorruptedError, got ${error}`);
    assert.match(error.message, /sessions\.kv could not be read/);
    assert.match(error.message, /Move it away/);
    return error;
  } finally {
    await store.close();
  }
}

Deno.test("stored messages read back unchanged, inline and chunked", async () => {
  await using tmp = await tempDir();
  const id = await storeWithMessages(tmp.dir);
  const store = await openAt(tmp.dir);
  const view = await store.sessions.open(id, { readOnly: true });
  const { messages } = await view.history();
  assert.equal(messages[0].content, "hi");
  const [part] = messages[1].content;
  assert.ok(typeof part === "object" && part.type === "tool-result");
  assert.equal(part.content, "x".repeat(70_000));
  await store.close();
});

Deno.test("a chunked message whose bytes are not JSON is a StoreCorruptedError", async () => {
  await using tmp = await tempDir();
  const id = await storeWithMessages(tmp.dir);
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  const first = (await kv.get(chunkKey(id, 1, 0))).value;
  assert.ok(first instanceof Uint8Array);
  const damaged = first.slice();
  damaged[0] = 0x7b; // `{`
  damaged[1] = 0x7b; // a second `{`: no longer JSON, same length
  await kv.set(chunkKey(id, 1, 0), damaged);
  kv.close();
  const error = await historyError(tmp.dir, id);
  assert.match(error.message, /a large message is not valid UTF-8 JSON/);
});

Deno.test("a stored message of the wrong shape names the bad field", async () => {
  await using tmp = await tempDir();
  const id = await storeWithMessages(tmp.dir);
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  await kv.set(messageKey(id, 0), { m: { role: "wizard", content: "hi", createdAt: 0 } });
  kv.close();
  const error = await historyError(tmp.dir, id);
  assert.match(error.message, /a stored message is not valid: message\.role must be one of/);
});

Deno.test("a message entry that is neither a message nor a chunk header", async () => {
  await using tmp = await tempDir();
  const id = await storeWithMessages(tmp.dir);
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  await kv.set(messageKey(id, 0), { chunks: "two" });
  kv.close();
  const error = await historyError(tmp.dir, id);
  assert.match(error.message, /neither a message nor a chunk header \(keys: chunks\)/);
});

Deno.test("entry and key checks: what they accept and what they reject", async () => {
  assert.deepEqual(storedEntry({ chunks: 2, bytes: 7 }, "s"), { chunks: 2, bytes: 7 });
  assert.equal(chunkCount(null, "s"), 0);
  assert.equal(chunkCount({ m: { role: "user" } }, "s"), 0);
  assert.throws(() => storedEntry("text", "s"), /got text/);
  assert.throws(() => storedEntry({ chunks: -1, bytes: 7 }, "s"), StoreCorruptedError);
  await assert.rejects(
    decodeMessage({ m: { role: "user", content: "hi" } }, () => {
      throw new Error("not chunked");
    }, "s"),
    /message\.createdAt must be a number/,
  );
  assert.equal(seqOfKey(messageKey("k3v9", 41), "s"), 41);
  assert.equal(idOfKey(messageKey("k3v9", 41), "s"), "k3v9");
  assert.throws(
    () => seqOfKey(["message", "k3v9", 41], "s"),
    /\["message","k3v9",41\] has no sequence number/,
  );
  assert.throws(() => idOfKey(["sweep", 7], "s"), /\["sweep",7\] has no session id/);
});
