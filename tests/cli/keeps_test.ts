/**
 * What was shown is kept: the answer streaming when mcpchat is killed,
 * terminated, cut off or cancelled is in the session afterwards, marked
 * interrupted with the reason; the next request carries it.
 */
import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, PtySession, runCli, spawnCli } from "../_helpers/cli.ts";

interface Setup {
  fake: FakeProvider;
  env: Record<string, string>;
  config: string;
}

async function setup(): Promise<Setup> {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "local"\n[llm.retry]\nmax_attempts = 1\nbase_ms = 10\nmax_ms = 20\n` +
      `[llm.backends.local]\ntype = "openai-compatible"\nbase_url = "${fake.url}/v1"\n` +
      `model = "gpt-4.1"\n`,
  );
  return { fake, env, config };
}

/** Words of a long answer, one per chunk. */
const WORDS = Array.from({ length: 400 }, (_, i) => `w${i} `);

interface StoredMessage {
  role: string;
  content: string | { type: string; text?: string }[];
  status?: string;
  interruption?: string;
}

async function onlySession(s: Setup): Promise<{ id: string; messages: StoredMessage[] }> {
  const list = await runCli(["--config", s.config, "sessions", "list", "--json"], { env: s.env });
  assert.equal(list.code, 0, list.stderr);
  const sessions = JSON.parse(list.stdout).sessions as { id: string }[];
  assert.equal(sessions.length, 1);
  const shown = await runCli(["--config", s.config, "sessions", "show", sessions[0].id, "--json"], {
    env: s.env,
  });
  assert.equal(shown.code, 0, shown.stderr);
  return { id: sessions[0].id, messages: JSON.parse(shown.stdout).recent };
}

async function readUntil(
  stream: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
): Promise<{ text: string; rest: Promise<string> }> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  const rest = (async () => {
    let more = "";
    while (true) {
      const { value, done: ended } = await reader.read().catch(() => ({
        value: undefined,
        done: true,
      }));
      if (ended) return more;
      more += decoder.decode(value, { stream: true });
    }
  })();
  return { text, rest };
}

Deno.test("SIGKILL at random moments of a streaming answer: the session has what was shown, marked interrupted", async () => {
  // 3 trials per run; MCPCHAT_TEST_KILL_TRIALS=20 for a longer soak.
  const trials = Number(Deno.env.get("MCPCHAT_TEST_KILL_TRIALS") ?? 3);
  for (let trial = 0; trial < trials; trial++) {
    const s = await setup();
    s.fake.reply({ chunks: openaiChunks({ text: WORDS }), intervalMs: 15 });
    const child = spawnCli(["--config", s.config, "-p", "tell me a long story"], s.env);
    // Somewhere between the 20th and the 150th word (the first commit has landed by then).
    const words = 20 + Math.floor(Math.random() * 130);
    const { text, rest } = await readUntil(child.stdout, (t) => t.split(" ").length > words);
    child.kill("SIGKILL");
    await child.status;
    const shown = text + await rest;
    await child.stderr.cancel();
    const { messages } = await onlySession(s);
    assert.equal(messages[0].role, "user");
    const answer = messages[1];
    assert.ok(answer, `trial ${trial}: no answer stored after ${words} words were shown`);
    assert.equal(answer.role, "assistant");
    assert.equal(answer.status, "interrupted");
    assert.equal(answer.interruption, "mcpchat stopped while the answer streamed");
    const stored = answer.content as string;
    assert.ok(stored.length > 0, `trial ${trial}: stored answer is empty`);
    assert.ok(WORDS.join("").startsWith(stored), "the stored text is the answer's beginning");
    assert.ok(shown.startsWith(stored), "nothing stored that was not shown");
    await s.fake.close();
  }
});

Deno.test("SIGKILL while the stream stalls: everything shown was committed (within the checkpoint interval)", async () => {
  const s = await setup();
  s.fake.reply({
    chunks: openaiChunks({ text: ["Part one, ", "part two, ", "part three"] }),
    hangAfter: 4,
  });
  const child = spawnCli(["--config", s.config, "-p", "go"], s.env);
  const { text } = await readUntil(child.stdout, (t) => t.includes("part three"));
  // Poll the store from outside until the shown text is there (bounded), then kill.
  let stored = "";
  for (let i = 0; i < 100 && stored !== text; i++) {
    const list = await runCli(["--config", s.config, "sessions", "list", "--json"], { env: s.env });
    const id = JSON.parse(list.stdout).sessions[0]?.id;
    if (id) {
      const shown = await runCli(["--config", s.config, "sessions", "show", id, "--json"], {
        env: s.env,
      });
      stored = JSON.parse(shown.stdout).recent[1]?.content ?? "";
    }
  }
  child.kill("SIGKILL");
  await child.status;
  await child.stderr.cancel();
  assert.equal(stored, "Part one, part two, part three");
  const { messages } = await onlySession(s);
  assert.equal(messages[1].content, "Part one, part two, part three");
  assert.equal(messages[1].status, "interrupted");
  await s.fake.close();
});

Deno.test("SIGTERM mid-stream: exit 143, the partial answer stored as interrupted by SIGTERM; -c carries it to the model", async () => {
  const s = await setup();
  s.fake.reply({ chunks: openaiChunks({ text: ["Half an ", "answer"] }), hangAfter: 3 });
  const child = spawnCli(["--config", s.config, "-p", "first question"], s.env);
  await readUntil(child.stdout, (t) => t.includes("answer"));
  child.kill("SIGTERM");
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 143);
  const { messages } = await onlySession(s);
  assert.equal(messages[1].content, "Half an answer");
  assert.equal(messages[1].status, "interrupted");
  assert.equal(messages[1].interruption, "mcpchat was stopped (SIGTERM)");
  const md = await runCli(["--config", s.config, "sessions", "show", (await onlySession(s)).id], {
    env: s.env,
  });
  assert.match(
    md.stdout,
    /## Assistant.* · interrupted: mcpchat was stopped \(SIGTERM\)\n\nHalf an answer\n/,
  );

  s.fake.reply({ chunks: openaiChunks({ text: ["Second answer."] }) });
  const next = await runCli(["--config", s.config, "-c", "-p", "second question"], { env: s.env });
  assert.equal(next.code, 0, next.stderr);
  assert.match(
    next.stderr,
    /the last answer was interrupted \(mcpchat was stopped \(SIGTERM\)\); what was shown is kept/,
  );
  const sent =
    (s.fake.requests[1].body as { messages: { role: string; content: string }[] }).messages;
  assert.deepEqual(sent.map((m) => m.role), ["user", "assistant", "user"]);
  assert.equal(
    sent[1].content,
    "Half an answer\n\n[this answer was interrupted: mcpchat was stopped (SIGTERM)]",
  );
  const after = await onlySession(s);
  assert.equal(after.messages.length, 4);
  assert.equal(after.messages[3].status, "complete");
  await s.fake.close();
});

Deno.test("a stream that breaks mid-answer: exit 1, the partial answer stored with the error as its reason", async () => {
  const s = await setup();
  s.fake.reply({ chunks: openaiChunks({ text: ["Broken ", "off"] }), cutAfter: 3 });
  const r = await runCli(["--config", s.config, "-p", "go"], { env: s.env });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "Broken off\n");
  const { messages } = await onlySession(s);
  assert.equal(messages[1].content, "Broken off");
  assert.equal(messages[1].status, "interrupted");
  assert.ok(messages[1].interruption && messages[1].interruption.length > 0);
  await s.fake.close();
});

Deno.test("Ctrl-C in the REPL mid-answer: /history shows it interrupted; the next request has no two user turns in a row", async () => {
  const s = await setup();
  s.fake.reply(
    { chunks: openaiChunks({ text: ["Streaming ", "slowly"] }), hangAfter: 3 },
    { chunks: openaiChunks({ text: ["Fine."] }) },
  );
  const pty = await PtySession.start(["--config", s.config], { env: s.env });
  await pty.waitFor("› ");
  await pty.type("first\r");
  let at = await pty.waitFor("slowly");
  await pty.type("\x03");
  at = await pty.waitFor("(cancelled)", at);
  await pty.type("/history\r");
  at = await pty.waitFor(/assistant.*Streaming slowly.*interrupted: cancelled by Ctrl-C/, at);
  await pty.type("second\r");
  at = await pty.waitFor("Fine.", at);
  await pty.type("\x04");
  await pty.close();
  const sent =
    (s.fake.requests[1].body as { messages: { role: string; content: string }[] }).messages;
  assert.deepEqual(sent.map((m) => m.role), ["user", "assistant", "user"]);
  assert.match(
    sent[1].content,
    /^Streaming slowly\n\n\[this answer was interrupted: cancelled by Ctrl-C\]$/,
  );
  const { messages } = await onlySession(s);
  assert.deepEqual(messages.map((m) => [m.role, m.status]), [
    ["user", undefined],
    ["assistant", "interrupted"],
    ["user", undefined],
    ["assistant", "complete"],
  ]);
  await s.fake.close();
});

Deno.test("one-shot on a terminal: waiting shows elapsed time, a stall mid-answer shows a mark; the idle timeout keeps the partial answer", async () => {
  const s = await setup();
  await Deno.writeTextFile(
    s.config,
    (await Deno.readTextFile(s.config)).replace("[llm]\n", "[llm]\nidle_timeout_seconds = 5\n"),
  );
  // The first chunk after 1.5 s, then two words, then silence until the idle timeout.
  s.fake.reply({
    chunks: openaiChunks({ text: ["Part ", "one"] }),
    intervalMs: 1_500,
    hangAfter: 3,
  });
  const pty = await PtySession.start(["--config", s.config, "-p", "go"], { env: s.env });
  let at = await pty.waitFor("waiting for the model…");
  at = await pty.waitFor("Part one", at);
  at = await pty.waitFor(/… waiting for the model \(\d+ s\)/, at);
  at = await pty.waitFor(/timed out \(no data for 5 s\); the partial answer is kept/, at);
  const status = await pty.close();
  assert.equal(status.code, 1);
  const { messages } = await onlySession(s);
  assert.equal(messages[1].content, "Part one");
  assert.equal(messages[1].status, "interrupted");
  assert.match(messages[1].interruption!, /timed out/);
  await s.fake.close();
});

for (const how of ["throw", "reject"]) {
  Deno.test(`ChatSupervisor: a chat fault (${how}) restarts the chat from the store; the REPL stays`, async () => {
    const s = await setup();
    s.env.MCPCHAT_TEST_CHAT_FAULT = `${how}@1`;
    s.fake.reply(
      { chunks: openaiChunks({ text: ["First answer."] }) },
      { chunks: openaiChunks({ text: ["Second answer."] }) },
    );
    const pty = await PtySession.start(["--config", s.config], { env: s.env });
    await pty.waitFor("› ");
    await pty.type("first\r");
    let at = await pty.waitFor("First answer.");
    at = await pty.waitFor(
      "! the chat crashed (TypeError: test fault injected after turn 1) and was restarted; " +
        "the session was restored from the store (2 messages)",
      at,
    );
    await pty.type("second\r");
    at = await pty.waitFor("Second answer.", at);
    await pty.type("\x04");
    const status = await pty.close();
    assert.equal(status.code, 0);
    assert.equal(pty.output.split("the chat crashed").length, 2, "said once");
    const sent = (s.fake.requests[1].body as { messages: { role: string; content: string }[] })
      .messages;
    assert.deepEqual(sent.map((m) => [m.role, m.content]), [
      ["user", "first"],
      ["assistant", "First answer."],
      ["user", "second"],
    ]);
    await s.fake.close();
  });
}

for (
  const [signal, code, reason] of [
    ["SIGHUP", 129, "mcpchat was stopped (SIGHUP)"],
    ["SIGINT", 130, "cancelled by Ctrl-C"],
  ] as const
) {
  Deno.test(`${signal} mid-stream (one-shot): exit ${code}, the partial answer stored: ${reason}`, async () => {
    const s = await setup();
    s.fake.reply({ chunks: openaiChunks({ text: ["So far ", "so good"] }), hangAfter: 3 });
    const child = spawnCli(["--config", s.config, "-p", "go"], s.env);
    await readUntil(child.stdout, (t) => t.includes("so good"));
    child.kill(signal);
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, code);
    const { messages } = await onlySession(s);
    assert.equal(messages[1].content, "So far so good");
    assert.equal(messages[1].status, "interrupted");
    assert.equal(messages[1].interruption, reason);
    await s.fake.close();
  });
}

Deno.test("an answer larger than one store commit (700 KB) is kept whole; its draft becomes an empty stub", async () => {
  const s = await setup();
  const pieces = Array.from({ length: 70 }, (_, i) => `${i}`.padEnd(10_000, "a"));
  s.fake.reply({ chunks: openaiChunks({ text: pieces }) });
  const r = await runCli(["--config", s.config, "-p", "write a lot"], { env: s.env });
  assert.equal(r.code, 0, r.stderr);
  const { messages } = await onlySession(s);
  assert.deepEqual(messages.map((m) => [m.role, m.status, m.interruption]), [
    ["user", undefined, undefined],
    ["assistant", "interrupted", "superseded by the next message"],
    ["assistant", "complete", undefined],
  ]);
  assert.equal(messages[1].content, "");
  assert.equal(messages[2].content, pieces.join(""));
  await s.fake.close();
});
