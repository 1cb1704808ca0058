// deno-lint-ignore-file no-control-regex -- the tests read what the terminal received
/**
 * The line editor as a person meets it: the real REPL under a pseudo-terminal,
 * talking to the local fake provider and a real MCP server.
 */
import assert from "node:assert/strict";
import type { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { DENO_JSON, everythingToml, localChat, PtySession } from "../_helpers/cli.ts";

/** A local provider and the real server-everything, connected in the background. */
const setup = async () =>
  localChat(`[mcp]\nstartup_mode = "background"\n${await everythingToml()}`);

/** What the model received as the last user message of request `i`. */
function lastUser(fake: FakeProvider, i: number): string {
  const messages = (fake.requests[i].body as { messages: { role: string; content: string }[] })
    .messages.filter((m) => m.role === "user");
  return messages.at(-1)!.content;
}

const text = (t: string) => ({ chunks: openaiChunks({ text: [t] }) });

Deno.test("REPL editor: editing keys change what the model receives; history survives a restart; Ctrl-R finds an old line (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(text("One."), text("Two."), text("Three."));
  let pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    // hello world, Left×3, X, Home, Y, End, Z, Alt-B, Ctrl-W, Enter
    await pty.type("hello world\x1b[D\x1b[D\x1b[DX\x1b[HY\x05Z\r");
    mark = await pty.waitFor("One.", mark);
    await pty.type("the colour is blue\r");
    mark = await pty.waitFor("Two.", mark);
    await pty.type("\x04");
    mark = await pty.waitFor("mcpchat -r", mark);
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  assert.equal(lastUser(fake, 0), "Yhello woXrldZ");
  const stat = await Deno.stat(`${env.XDG_STATE_HOME}/mcpchat/history`);
  assert.equal(stat.mode! & 0o777, 0o600);
  pty = await PtySession.start(["--config", config], { env });
  try {
    const mark = await pty.waitFor("› ");
    // Up twice recalls the first line; Ctrl-R finds "colour"; Ctrl-E and more text edit it.
    await pty.type("\x1b[A\x1b[A");
    await pty.waitFor("Yhello woXrldZ", mark);
    await pty.type("\x15\x12colour");
    await pty.waitFor("reverse-i-search)'colour': the colour is blue", mark);
    await pty.type("\x05 and green\r");
    await pty.waitFor("Three.", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  assert.equal(lastUser(fake, 2), "the colour is blue and green");
});

Deno.test("REPL editor: a 5-line paste is one message; Alt-Enter makes two lines (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(text("Got the paste."), text("Got two lines."));
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("summarise \x1b[200~line 1\nline 2\nline 3\nline 4\nline 5\x1b[201~");
    mark = await pty.waitFor("summarise [pasted 5 lines]", mark);
    await pty.type("\r");
    mark = await pty.waitFor("Got the paste.", mark);
    await pty.type("first\x1b\rsecond\r");
    mark = await pty.waitFor("Got two lines.", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  assert.equal(fake.requests.length, 2, "the paste was one turn");
  assert.equal(lastUser(fake, 0), "summarise line 1\nline 2\nline 3\nline 4\nline 5");
  assert.equal(lastUser(fake, 1), "first\nsecond");
});

Deno.test("REPL editor: Tab completes /al to /alias, a server name, a prompt and its arguments (real pty)", async () => {
  const { env, config } = await setup();
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("/al\t");
    mark = await pty.waitFor("/alias ", mark);
    await pty.type("\x15/mcp tools ev\t");
    mark = await pty.waitFor("/mcp tools everything ", mark);
    await pty.type("\r");
    mark = await pty.waitFor(/everything(?:__| )echo/, mark);
    // A prompt's name, its arguments, and their values from the server (completion/complete).
    await pty.type("/mcp prompt everything compl\t");
    mark = await pty.waitFor("/mcp prompt everything completable-prompt ", mark);
    await pty.type("dep\tEng\t");
    mark = await pty.waitFor("completable-prompt department=Engineering ", mark);
    await pty.type("name=\t");
    mark = await pty.waitFor(/Alice\s+name=Bob\s+name=Charlie/, mark);
    await pty.type("\x15/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});

Deno.test("REPL editor: under deno task chat one Ctrl-C cancels once; at the prompt it says how to quit, twice quits; the first prompt stays on screen (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ text: ["streaming ", "forever"] }), hangAfter: 2 },
    text("Still here."),
  );
  const pty = await PtySession.start(["--config", config], {
    env,
    deno: ["task", "-q", "--config", DENO_JSON, "chat"],
  });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("talk\r");
    mark = await pty.waitFor("streaming", mark);
    await pty.type("\x03");
    mark = await pty.waitFor("(cancelled)", mark);
    await fake.requests[0].cancelled;
    mark = await pty.waitFor("› ", mark);
    await pty.type("again\r");
    mark = await pty.waitFor("Still here.", mark);
    mark = await pty.waitFor("› ", mark);
    assert.equal(pty.output.split("(cancelled)").length - 1, 1, "cancelled once");
    assert.doesNotMatch(pty.output, /press Ctrl-C again/, "the cancel did not reach the prompt");
    await pty.type("\x03");
    mark = await pty.waitFor("press Ctrl-C again to quit", mark);
    await pty.type("\x03");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  assert.equal(fake.requests.length, 2);
  // Workers loaded all along (LLM, MCP), yet Deno's progress bar never drew over the prompt
  // (its mark is ESC [0G), and the task printed no "Task chat …" line.
  assert.equal(pty.output.includes("\x1b[0G"), false, pty.output);
  assert.doesNotMatch(pty.output, /Task chat/);
});

const MARKDOWN = "# Plan\n\nThis is **important** and `code`.\n\n- first\n- second\n\n" +
  "```ts\nconst x = 1;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nDone.";

Deno.test("REPL: answers are rendered as markdown on a terminal, raw with /markdown off (real pty)", async () => {
  const { fake, env, config } = await setup();
  const { NO_COLOR: _, ...colourEnv } = env;
  fake.reply(
    { chunks: openaiChunks({ text: MARKDOWN.match(/[\s\S]{1,5}/g)! }) },
    { chunks: openaiChunks({ text: ["Raw **bold** now."] }) },
  );
  const pty = await PtySession.start(["--config", config], { env: colourEnv });
  let rendered = "";
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("plan it\r");
    mark = await pty.waitFor("Done.", mark);
    mark = await pty.waitFor("› ", mark);
    rendered = pty.output.slice(0, mark);
    await pty.type("/markdown off\r");
    mark = await pty.waitFor("markdown: off", mark);
    await pty.type("again\r");
    mark = await pty.waitFor("Raw **bold** now.", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  // What stays on screen: each raw line is erased ("\r ESC[J") and drawn rendered.
  const finalLines = rendered.split(/\r?\n/).map((l) =>
    l.includes("\x1b[J") ? l.slice(l.lastIndexOf("\x1b[J") + 3) : l
  );
  const screen = finalLines.join("\n").replace(/\x1b\[[\d;?]*[A-Za-z]/g, "");
  assert.match(screen, /This is important and code\./);
  assert.match(screen, /• first/);
  assert.match(screen, /│ a │ b │/);
  assert.match(screen, /┌ ts/);
  assert.match(rendered, /\x1b\[1mimportant\x1b\[22m/, "bold is drawn bold");
});

Deno.test("REPL: answers are raw when stdout is not a terminal", async () => {
  const { fake, env, config } = await setup();
  fake.reply({ chunks: openaiChunks({ text: MARKDOWN.match(/[\s\S]{1,5}/g)! }) });
  const { runCli } = await import("../_helpers/cli.ts");
  const { NO_COLOR: _, ...colourEnv } = env;
  const result = await runCli(["--config", config], { env: colourEnv, stdin: "plan it\n" });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.includes(MARKDOWN), result.stdout);
});

Deno.test("REPL: @path attaches a file and @server:uri a resource; both complete on Tab (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(text("Read both."));
  await Deno.writeTextFile(`${env.HOME}/notes.txt`, "the secret word is heron\n");
  const pty = await PtySession.start(["--config", config], { env, cwd: env.HOME });
  try {
    let mark = await pty.waitFor("› ");
    // The server is up once it lists its resources.
    await pty.type("/mcp resources everything\r");
    mark = await pty.waitFor(/demo:\/\/resource/, mark);
    mark = await pty.waitFor("› ", mark);
    await pty.type("compare @no\t");
    mark = await pty.waitFor("compare @notes.txt ", mark);
    await pty.type("with @everything:demo://resource/static/document/archi\t");
    mark = await pty.waitFor("@everything:demo://resource/static/document/architecture.md ", mark);
    await pty.type("\r");
    mark = await pty.waitFor("Read both.", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  const sent = lastUser(fake, 0);
  assert.match(sent, /^compare @notes\.txt with @everything:demo:\/\/\S+architecture\.md/);
  assert.match(sent, /<attachment source="notes\.txt">\nthe secret word is heron/);
  assert.match(
    sent,
    /<attachment source="everything:demo:\/\/resource\/static\/document\/architecture\.md">\n.+/,
  );
});

Deno.test("REPL: /tui shows a status line under the prompt; /cache watch is live until Ctrl-C; /help groups commands and lists keys (real pty)", async () => {
  const { fake, env, config } = await setup();
  await Deno.writeTextFile(
    config,
    (await Deno.readTextFile(config)) + `[ui]\ncache_refresh_ms = 100\n`,
  );
  fake.reply(text("Hello."));
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    assert.match(pty.output.slice(0, mark), /MCP: everything starting/, "servers in the banner");
    await pty.type("/help\r");
    // Grouped, in order, then the keys (Deno's progress bar may interleave its own codes).
    for (const heading of ["chat\r", "/backend", "session\r", "mcp\r", "keys\r", "Alt-Enter"]) {
      mark = await pty.waitFor(heading, mark);
    }
    await pty.type("/tui\r");
    mark = await pty.waitFor("status line on", mark);
    mark = await pty.waitFor(/local · gpt-4\.1 │ MCP \d\/1 ready │ context 0% │ \$0\.0000/, mark);
    await pty.type("hi\r");
    mark = await pty.waitFor("Hello.", mark);
    mark = await pty.waitFor(/MCP 1\/1 ready │ context \d+%/, mark);
    await pty.type("/mcp resource everything demo://resource/static/document/architecture.md\r");
    mark = await pty.waitFor(/› /, mark + 10);
    await pty.type("/cache watch entries\r");
    mark = await pty.waitFor(/refreshing every 100 ms · Ctrl-C stops/, mark);
    // Drawn again in place: it moves up and clears before each new copy.
    mark = await pty.waitFor(
      /\x1b\[\d+A\r\x1b\[J1\/\d+ entries[^\n]*\n\s+everything demo:\/\/resource/,
      mark,
    );
    await pty.type("\x03");
    mark = await pty.waitFor("› ", mark);
    await pty.type("/tui off\r");
    mark = await pty.waitFor("status line off", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});
