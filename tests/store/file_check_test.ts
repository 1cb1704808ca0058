import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  classifyKvFile,
  ForeignKvFileError,
  openMessageStore,
  StoreCorruptedError,
} from "../../lib/store/mod.ts";
import { openAt, tempDir } from "./helpers.ts";

async function snapshot(dir: string) {
  const files: Record<string, { bytes: Uint8Array; mtime: number | undefined }> = {};
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (!e.isFile) continue;
    files[e.name] = {
      bytes: await Deno.readFile(path),
      mtime: (await Deno.stat(path)).mtime?.getTime(),
    };
  }
  return files;
}

async function assertRefusedUntouched(dir: string, pattern: RegExp) {
  const before = await snapshot(dir);
  await assert.rejects(openAt(dir), (e: unknown) => {
    assert.ok(e instanceof ForeignKvFileError || e instanceof StoreCorruptedError, String(e));
    assert.ok(e.message.includes(`${dir}/sessions.kv`), "names the path");
    assert.match(e.message, /left untouched/);
    assert.match(e.message, /mv /, "says what to do");
    assert.match(e.message, pattern);
    return true;
  });
  assert.deepEqual(await snapshot(dir), before, "no file changed, added or removed");
}

Deno.test("a text file at the KV path is refused and left byte-for-byte untouched", async () => {
  await using tmp = await tempDir();
  await Deno.writeTextFile(`${tmp.dir}/sessions.kv`, "my precious notes\n".repeat(500));
  await assertRefusedUntouched(tmp.dir, /text file/);
});

Deno.test("random bytes at the KV path are refused untouched", async () => {
  await using tmp = await tempDir();
  const bytes = new Uint8Array(8192);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  bytes[0] = 0;
  await Deno.writeFile(`${tmp.dir}/sessions.kv`, bytes);
  await assertRefusedUntouched(tmp.dir, /not a SQLite database/);
});

Deno.test("another program's SQLite database is refused untouched (Deno.openKv would add tables to it)", async () => {
  await using tmp = await tempDir();
  const db = new DatabaseSync(`${tmp.dir}/sessions.kv`);
  db.exec(
    "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('keep me')",
  );
  db.close();
  await assertRefusedUntouched(tmp.dir, /another program \(tables: notes\)/);
});

Deno.test("a damaged KV database gets a typed error naming the path, untouched", async () => {
  await using tmp = await tempDir();
  const store = await openAt(tmp.dir);
  const view = await store.sessions.create();
  for (let i = 0; i < 200; i++) {
    await view.append({ role: "user", content: `m${i} ${"x".repeat(500)}` });
  }
  await store.close();
  // Keep the header and schema page, scribble over everything after it.
  const path = `${tmp.dir}/sessions.kv`;
  const bytes = await Deno.readFile(path);
  for (let i = 4096; i < bytes.length; i++) bytes[i] = 0xa5;
  await Deno.writeFile(path, bytes);
  await assertRefusedUntouched(tmp.dir, /could not be read|malformed|not a database/);
});

Deno.test("a directory at the KV path is refused", async () => {
  await using tmp = await tempDir();
  await Deno.mkdir(`${tmp.dir}/sessions.kv`);
  await assert.rejects(
    openAt(tmp.dir),
    (e: unknown) => e instanceof ForeignKvFileError && /directory/.test(e.message),
  );
});

Deno.test("new store: directory 0700, file 0600; empty file and real KV are accepted", async () => {
  await using tmp = await tempDir();
  const dir = `${tmp.dir}/nested/mcpchat`;
  const store = await openMessageStore({
    location: { kind: "local", dir, path: `${dir}/sessions.kv`, source: "XDG_DATA_HOME" },
  });
  await (await store.sessions.create()).append({ role: "user", content: "x" });
  await store.close();
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${dir}/sessions.kv`)).mode! & 0o777, 0o600);
  }
  const again = await openMessageStore({ path: `${dir}/sessions.kv` });
  assert.equal((await again.sessions.list()).sessions.length, 1);
  await again.close();

  const head = await Deno.readFile(`${dir}/sessions.kv`);
  assert.deepEqual(classifyKvFile(head), { ok: true, state: "kv" });
  assert.deepEqual(classifyKvFile(new Uint8Array()), { ok: true, state: "empty" });
});

Deno.test("an existing data directory open to others is not changed but reported in info().warnings", async () => {
  if (Deno.build.os === "windows") return;
  await using tmp = await tempDir();
  const dir = `${tmp.dir}/shared`;
  await Deno.mkdir(dir);
  await Deno.chmod(dir, 0o755);
  const store = await openAt(dir);
  const { warnings } = store.info();
  await store.close();
  assert.equal(
    (await Deno.stat(dir)).mode! & 0o777,
    0o755,
    "an existing directory is left as it is",
  );
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0],
    new RegExp(`${dir} is accessible to other users \\(mode 755\\).*chmod 700`),
  );
  await Deno.chmod(dir, 0o700);
  const again = await openAt(dir);
  assert.deepEqual(again.info().warnings, []);
  await again.close();
});
