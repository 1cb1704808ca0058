import assert from "node:assert/strict";
import { History, isSecretLine } from "../../../lib/cli/repl/history.ts";

Deno.test("history file: 0600, survives a reopen, multi-line entries intact, consecutive repeats dropped", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/state/mcpchat/history`;
  const history = await History.open(path);
  for (const line of ["first", "first", "two\nlines", "/mcp tools"]) history.add(line);
  await history.flush();
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  const again = await History.open(path);
  assert.deepEqual(again.entries, ["first", "two\nlines", "/mcp tools"]);
});

Deno.test("history file: bounded to its limit, rewritten when it doubles", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history`;
  const history = await History.open(path, { limit: 3 });
  for (let i = 0; i < 10; i++) history.add(`line ${i}`);
  await history.flush();
  assert.deepEqual(history.entries, ["line 7", "line 8", "line 9"]);
  const lines = (await Deno.readTextFile(path)).trim().split("\n");
  assert.ok(lines.length <= 6, `${lines.length} lines on disk`);
  assert.deepEqual((await History.open(path, { limit: 3 })).entries, [
    "line 7",
    "line 8",
    "line 9",
  ]);
});

Deno.test("history file: lines that look like secrets are never written", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history`;
  const history = await History.open(path);
  const secrets = [
    "/login sk-ant-api03-abcdefghijklmnop",
    "my key is sk-proj-abcdefghijklmnopqrstuv please",
    "export OPENAI_API_KEY=whatever",
    "token: ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "password=hunter2",
    "AKIAABCDEFGHIJKLMNOP",
  ];
  for (const line of [...secrets, "what is the capital of France?"]) history.add(line);
  await history.flush();
  const text = await Deno.readTextFile(path);
  assert.equal(text, JSON.stringify("what is the capital of France?") + "\n");
  for (const s of secrets) assert.ok(isSecretLine(s), s);
  assert.equal(isSecretLine("tell me about tokens and passwords in general"), false);
});
