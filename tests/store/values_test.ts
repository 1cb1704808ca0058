/**
 * Values read back from KV are checked against what the store writes: a
 * record, lease, alias, saved name or schema version of the wrong shape (a
 * store shared with another mcpchat, a damaged file) is a
 * StoreCorruptedError naming the key and the field, where it is read.
 */
import assert from "node:assert/strict";
import {
  aliasKey,
  leaseKey,
  SCHEMA_VERSION_KEY,
  sessionKey,
  sessionNameKey,
  StoreCorruptedError,
} from "../../lib/store/mod.ts";
import { openAt, tempDir } from "./helpers.ts";

/** Creates a session named "work" with one message and an alias, then closes the store. */
async function seed(dir: string): Promise<string> {
  const store = await openAt(dir);
  const view = await store.sessions.create();
  await view.append({ role: "user", content: "hi" });
  await store.sessions.save(view.id, "work");
  await store.aliases.set("gs", ["/tools"]);
  const id = view.id;
  await store.close();
  return id;
}

/** Writes `value` at `key` behind the store's back. */
async function overwrite(dir: string, key: Deno.KvKey, value: unknown): Promise<void> {
  const kv = await Deno.openKv(`${dir}/sessions.kv`);
  await kv.set(key, value);
  kv.close();
}

function corrupted(pattern: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof StoreCorruptedError, `expected StoreCorruptedError, got ${e}`);
    assert.match(e.message, pattern);
    assert.match(e.message, /it was left untouched\. Move it away/);
    return true;
  };
}

Deno.test("well-formed values read back as written, unknown record fields kept", async () => {
  await using tmp = await tempDir();
  const id = await seed(tmp.dir);
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  const stored = (await kv.get(sessionKey(id))).value;
  assert.ok(stored !== null && typeof stored === "object");
  await kv.set(sessionKey(id), { ...stored, addedLater: "by a newer mcpchat" });
  kv.close();
  const store = await openAt(tmp.dir);
  const record = await store.sessions.get("work");
  assert.equal(record.id, id);
  assert.equal(record.name, "work");
  assert.equal(record.messageCount, 1);
  assert.equal(Object.getOwnPropertyDescriptor(record, "addedLater")?.value, "by a newer mcpchat");
  assert.deepEqual((await store.aliases.get("gs"))?.commands, ["/tools"]);
  await store.close();
});

Deno.test("a session record of the wrong shape names the key and the field", async () => {
  await using tmp = await tempDir();
  const id = await seed(tmp.dir);
  const kv = await Deno.openKv(`${tmp.dir}/sessions.kv`);
  const stored = (await kv.get(sessionKey(id))).value;
  assert.ok(stored !== null && typeof stored === "object");
  await kv.set(sessionKey(id), { ...stored, messageCount: "1" });
  kv.close();
  const store = await openAt(tmp.dir);
  await assert.rejects(
    store.sessions.get(id),
    corrupted(
      new RegExp(
        `\\["session","${id}"\\] holds a value this mcpchat did not write: ` +
          "value\\.messageCount must be a whole number >= 0",
      ),
    ),
  );
  await store.close();
});

Deno.test("a saved name that does not hold a session id", async () => {
  await using tmp = await tempDir();
  await seed(tmp.dir);
  await overwrite(tmp.dir, sessionNameKey("work"), 42);
  const store = await openAt(tmp.dir);
  await assert.rejects(
    store.sessions.get("work"),
    corrupted(/\["session_name","work"\] holds .*: value must be a string/),
  );
  await store.close();
});

Deno.test("a lease without an owner stops the open, not the heartbeat later", async () => {
  await using tmp = await tempDir();
  const id = await seed(tmp.dir);
  await overwrite(tmp.dir, leaseKey(id), { pid: 1, host: "h", expiresAt: Date.now() + 60_000 });
  const store = await openAt(tmp.dir);
  await assert.rejects(
    store.sessions.open(id),
    corrupted(new RegExp(`\\["lease","${id}"\\] holds .*: value\\.ownerId must be a string`)),
  );
  await store.close();
});

Deno.test("an alias whose commands are not a list", async () => {
  await using tmp = await tempDir();
  await seed(tmp.dir);
  await overwrite(tmp.dir, aliasKey("gs"), { name: "gs", commands: "/tools", updatedAt: 0 });
  const store = await openAt(tmp.dir);
  await assert.rejects(
    store.aliases.list(),
    corrupted(/\["alias","gs"\] holds .*: value\.commands must be a list of commands/),
  );
  await assert.rejects(store.aliases.get("gs"), StoreCorruptedError);
  await store.close();
});

Deno.test("a schema version that is not a number refuses the open", async () => {
  await using tmp = await tempDir();
  await seed(tmp.dir);
  await overwrite(tmp.dir, SCHEMA_VERSION_KEY, "2");
  await assert.rejects(
    openAt(tmp.dir),
    corrupted(/\["meta","schema_version"\] holds .*: value must be a whole number >= 0/),
  );
});
