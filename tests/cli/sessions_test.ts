import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, runCli, spawnCli } from "../_helpers/cli.ts";

async function setup() {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
      `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n`,
  );
  const cli = (args: string[], stdin?: string) =>
    runCli(["--config", config, ...args], { env, stdin });
  return { fake, env, config, cli };
}

Deno.test("one-shot runs are stored; -c continues the last session with its history", async () => {
  const { fake, env, cli } = await setup();
  fake.reply({ chunks: openaiChunks({ text: ["Hello Ada."] }) });
  const first = await cli(["-p", "I am Ada", "--output-format", "json"]);
  assert.equal(first.code, 0, first.stderr);
  const id = JSON.parse(first.stdout).session_id;
  assert.match(id, /^[\w.-]+$/);
  fake.reply({ chunks: openaiChunks({ text: ["You are Ada."] }) });
  const second = await cli(["-c", "-p", "who am I?", "--output-format", "json"]);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).session_id, id);
  const sent =
    (fake.requests[1].body as { messages: { role: string; content: string }[] }).messages;
  assert.deepEqual(sent.map((m) => [m.role, m.content]), [
    ["user", "I am Ada"],
    ["assistant", "Hello Ada."],
    ["user", "who am I?"],
  ]);
  // The data directory follows XDG and is private to the user.
  const dir = `${env.XDG_DATA_HOME}/mcpchat`;
  assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o700);
});

Deno.test("-r resumes a given session; --no-save stores nothing; -l and sessions list show them", async () => {
  const { fake, cli } = await setup();
  fake.reply({ chunks: openaiChunks({ text: ["one"] }) }, {
    chunks: openaiChunks({ text: ["two"] }),
  });
  const a =
    JSON.parse((await cli(["-p", "first topic", "--output-format", "json"])).stdout).session_id;
  await cli(["-p", "second topic", "--output-format", "json"]);
  fake.reply({ chunks: openaiChunks({ text: ["unsaved"] }) });
  const unsaved = JSON.parse(
    (await cli(["-p", "nothing", "--no-save", "--output-format", "json"])).stdout,
  );
  assert.equal(unsaved.session_id, null);
  const list = await cli(["-l"]);
  assert.equal(list.code, 0, list.stderr);
  const lines = list.stdout.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0], /second topic/, "newest first");
  assert.match(lines[1], /first topic/);
  const json = JSON.parse((await cli(["sessions", "list", "--json"])).stdout);
  assert.deepEqual(json.sessions.map((s: { messageCount: number }) => s.messageCount), [2, 2]);
  fake.reply({ chunks: openaiChunks({ text: ["back to one"] }) });
  const resumed = await cli(["-r", a, "-p", "and now?", "--output-format", "json"]);
  assert.equal(JSON.parse(resumed.stdout).session_id, a);
  const sent = (fake.requests.at(-1)!.body as { messages: { content: string }[] }).messages;
  assert.equal(sent[0].content, "first topic");
  const missing = await cli(["-r", "no-such-session", "-p", "x"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no session matches "no-such-session"/);
});

Deno.test("sessions export (markdown, json), import round trip, show and delete", async () => {
  const { fake, env, cli } = await setup();
  fake.reply({ chunks: openaiChunks({ text: ["**bold** answer"] }) });
  const id =
    JSON.parse((await cli(["-p", "question?", "--output-format", "json"])).stdout).session_id;
  const md = await cli(["sessions", "export", id, "--format", "markdown"]);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /question\?/);
  assert.match(md.stdout, /\*\*bold\*\* answer/);
  const file = `${env.HOME}/export.json`;
  const exported = await cli(["sessions", "export", id, "--format", "json", "-o", file]);
  assert.equal(exported.code, 0, exported.stderr);
  const data = JSON.parse(await Deno.readTextFile(file));
  assert.equal(data.messages.length, 2);
  const deleted = await cli(["sessions", "delete", id]);
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.match(deleted.stderr, /deleted session .* \(2 messages\)/);
  const gone = await cli(["sessions", "show", id]);
  assert.equal(gone.code, 2);
  const imported = await cli(["sessions", "import", file, "--json"]);
  assert.equal(imported.code, 0, imported.stderr);
  const session = JSON.parse(imported.stdout).session;
  const again = await cli(["sessions", "export", session.id, "--format", "json"]);
  const round = JSON.parse(again.stdout);
  assert.deepEqual(round.messages, data.messages);
  const bad = await cli(["sessions", "export", session.id, "--format", "html"]);
  assert.equal(bad.code, 2);
});

Deno.test("a session open in another mcpchat is refused with a clear message", async () => {
  const { fake, env, config, cli } = await setup();
  fake.reply({ chunks: openaiChunks({ text: ["hi"] }) });
  const id = JSON.parse((await cli(["-p", "start", "--output-format", "json"])).stdout).session_id;
  // The first process holds the session while its model call hangs.
  fake.reply({ chunks: openaiChunks({ text: ["never", "ends"] }), hangAfter: 2 });
  const holder = spawnCli(["--config", config, "-r", id, "-p", "hold"], env);
  const reader = holder.stdout.getReader();
  await reader.read(); // the first streamed text: the session is open and leased
  const second = await cli(["-r", id, "-p", "me too"]);
  holder.kill("SIGINT");
  reader.releaseLock();
  await holder.stdout.cancel();
  await holder.stderr.cancel();
  await holder.status;
  assert.equal(second.code, 1);
  assert.match(second.stderr, /is open in another mcpchat/);
});

Deno.test("after mcpchat is killed (SIGKILL), -c takes its session back at once", async () => {
  const { fake, env, config, cli } = await setup();
  fake.reply({ chunks: openaiChunks({ text: ["never", "ends"] }), hangAfter: 2 });
  const victim = spawnCli(["--config", config, "-p", "remember this"], env);
  const reader = victim.stdout.getReader();
  await reader.read(); // streaming: the session is open and leased
  victim.kill("SIGKILL"); // no chance to release the lease
  reader.releaseLock();
  await Promise.all([victim.status, victim.stdout.cancel(), victim.stderr.cancel()]);
  fake.reply({ chunks: openaiChunks({ text: ["back"] }) });
  const resumed = await cli(["-c", "-p", "where were we?", "--output-format", "json"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.equal(JSON.parse(resumed.stdout).answer, "back");
  const sent = (fake.requests.at(-1)!.body as { messages: { content: string }[] }).messages;
  assert.equal(sent[0].content, "remember this", "the killed run's message was committed");
});

Deno.test("sessions import of a missing or foreign file: exit 2, the file named, what to give instead", async () => {
  const env = await isolatedEnv();
  const missing = await runCli(["sessions", "import", `${env.HOME}/nope.json`], { env });
  assert.equal(missing.code, 2, missing.stderr);
  assert.equal(
    missing.stderr,
    `error: ${env.HOME}/nope.json: no such file (expected a JSON export: ` +
      "mcpchat sessions export ID --format json -o FILE)\n",
  );
  const foreign = `${env.HOME}/foreign.json`;
  await Deno.writeTextFile(foreign, JSON.stringify({ messages: [] }));
  const r = await runCli(["sessions", "import", foreign], { env });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    `error: ${foreign}: not an mcpchat session export (expected "format": "mcpchat-session")\n`,
  );
});
