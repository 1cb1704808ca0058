/** The LLM worker's warm start: the record, its key, and the CLI using or replacing it. */
import assert from "node:assert/strict";
import {
  readWarmRecord,
  samePermissions,
  WARM_RECORDS,
  warmKey,
  warmRecordPath,
  writeWarmRecord,
} from "../../lib/cli/llm_warm.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, runCli } from "../_helpers/cli.ts";

Deno.test("warm record: stored owner-only, read back; anything else reads as none", async () => {
  const dir = await Deno.makeTempDir();
  const path = warmRecordPath({ HOME: dir });
  assert.ok(path.startsWith(`${dir}/.cache/mcpchat/`));
  const record = {
    for: "",
    key: "k",
    files: [`${dir}/config.toml`],
    permissions: { net: ["127.0.0.1:1"], env: ["X_KEY"] },
    kinds: ["openai-compatible" as const],
  };
  await writeWarmRecord(path, record);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.deepEqual(await readWarmRecord(path), record);
  // One record per --config argument, the most recent ones kept.
  const other = { ...record, for: "/etc/other.toml", key: "o" };
  await writeWarmRecord(path, other);
  assert.deepEqual(await readWarmRecord(path, "/etc/other.toml"), other);
  assert.deepEqual(await readWarmRecord(path), record);
  for (let i = 0; i < WARM_RECORDS; i++) await writeWarmRecord(path, { ...record, for: `/c${i}` });
  assert.equal(await readWarmRecord(path), undefined, "the oldest record made way");
  await Deno.writeTextFile(
    path,
    JSON.stringify({ records: [{ ...record, kinds: ["not-a-kind"] }] }),
  );
  assert.equal(await readWarmRecord(path), undefined);
  await Deno.writeTextFile(path, "{");
  assert.equal(await readWarmRecord(path), undefined);
  assert.equal(await readWarmRecord(`${dir}/missing.json`), undefined);
});

Deno.test("warm key: changes with a config file's content, a variable's value, the arguments", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/config.toml`;
  await Deno.writeTextFile(file, "a = 1\n");
  const env = { OPENAI_API_KEY: "one", MY_KEY: "x" };
  const key = () => warmKey([file], ["MY_KEY"], env, [""]);
  const first = await key();
  assert.equal(await key(), first, "same inputs, same key");
  await Deno.writeTextFile(file, "a = 22\n");
  const edited = await key();
  assert.notEqual(edited, first);
  assert.notEqual(await warmKey([file], ["MY_KEY"], { ...env, MY_KEY: "y" }, [""]), edited);
  // A loader variable counts even when the record does not list it.
  assert.notEqual(await warmKey([file], [], { ...env, OPENAI_API_KEY: "two" }, [""]), edited);
  assert.notEqual(await warmKey([file], ["MY_KEY"], env, ["/other.toml"]), edited);
  await Deno.remove(file);
  assert.notEqual(await key(), edited, "a removed file counts");
  // The key holds no value: only a digest.
  assert.match(first, /^[0-9a-f]{64}$/);
});

Deno.test("samePermissions: every kind compared as a set", () => {
  assert.ok(samePermissions({ net: ["a:1", "b:2"], env: [] }, { net: ["b:2", "a:1"] }));
  assert.ok(!samePermissions({ net: ["a:1"] }, { net: ["a:1", "b:2"] }));
  assert.ok(!samePermissions({ net: ["a:1"] }, { net: ["a:1"], sys: ["hostname"] }));
  assert.ok(!samePermissions({ env: ["K"] }, { env: ["L"] }));
});

/**
 * Runs `-p` with the start-up profile on and no config snapshot; returns stdout and the
 * profile's phases.
 */
async function oneShot(chat: Awaited<ReturnType<typeof localChat>>, extraEnv = {}) {
  // The warm start is for a run that reads its config: one with a current config snapshot
  // (lib/cli/config_snapshot.ts) starts the worker from that config instead.
  await Deno.remove(`${chat.env.XDG_CACHE_HOME}/mcpchat/config-snapshots`, { recursive: true })
    .catch(() => {});
  chat.fake.reply({ chunks: openaiChunks({ text: ["hi ", "there"] }) });
  const r = await runCli(["--config", chat.config, "-p", "say hi", "--no-save"], {
    env: { ...chat.env, MCPCHAT_STARTUP_PROFILING: "1", ...extraEnv },
  });
  assert.equal(r.code, 0, r.stderr);
  return { stdout: r.stdout, profile: r.stderr };
}

Deno.test("one-shot: the second run starts the LLM worker early from the first run's record", async () => {
  const chat = await localChat();
  try {
    const first = await oneShot(chat);
    assert.equal(first.stdout, "hi there\n");
    assert.doesNotMatch(first.profile, /warm start/);
    const record = await readWarmRecord(warmRecordPath(chat.env), chat.config);
    assert.ok(record, "the first run left a record");
    assert.deepEqual(record.kinds, ["openai-compatible"]);
    assert.deepEqual(record.files, [chat.config]);
    assert.deepEqual(record.permissions.net, [new URL(chat.fake.url).host]);

    const second = await oneShot(chat);
    assert.equal(second.stdout, "hi there\n");
    assert.match(second.profile, /llm warm start used/);

    // Another value of a variable the config may use: no warm start, and a new record.
    const third = await oneShot(chat, { OPENAI_API_KEY: "sk-new" });
    assert.equal(third.stdout, "hi there\n");
    assert.doesNotMatch(third.profile, /warm start/);
    assert.notEqual((await readWarmRecord(warmRecordPath(chat.env), chat.config))?.key, record.key);
  } finally {
    await chat.fake.close();
  }
});

Deno.test("one-shot: a record granting more than the config is never used, and is replaced", async () => {
  const chat = await localChat();
  try {
    await oneShot(chat);
    const path = warmRecordPath(chat.env);
    const record = await readWarmRecord(path, chat.config);
    assert.ok(record);
    // Same key (so the warm start is tried), wider network than the config gives.
    await writeWarmRecord(path, {
      ...record,
      permissions: { ...record.permissions, net: [...record.permissions.net, "evil.example:443"] },
    });
    const run = await oneShot(chat);
    assert.equal(run.stdout, "hi there\n");
    assert.match(run.profile, /llm warm start replaced/);
    assert.doesNotMatch(run.profile, /llm warm start used/);
    // The request went to the provider once, from the worker started from the config.
    assert.equal(chat.fake.requests.length, 2);
    assert.deepEqual((await readWarmRecord(path, chat.config))?.permissions, record.permissions);
  } finally {
    await chat.fake.close();
  }
});
