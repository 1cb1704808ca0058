import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, localChat, peersConfig, PtySession } from "../_helpers/cli.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

/** A local provider and the real server-everything, connected in the background. */
const setup = async () =>
  localChat(`[mcp]\nstartup_mode = "background"\n${await everythingToml()}`);

const echo = (id: string, message: string) => ({
  chunks: openaiChunks({ toolCalls: [{ id, name: "everything__echo", args: { message } }] }),
});

Deno.test("REPL chat: a tool call is approved, denied, then always allowed (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    echo("c1", "first"),
    { chunks: openaiChunks({ text: ["Echoed first."] }) },
    echo("c2", "second"),
    { chunks: openaiChunks({ text: ["Not allowed, fine."] }) },
    echo("c3", "third"),
    { chunks: openaiChunks({ text: ["Third done."] }) },
    echo("c4", "fourth"),
    { chunks: openaiChunks({ text: ["Fourth without asking."] }) },
  );
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("please echo first\r");
    mark = await pty.waitFor("[y]es", mark);
    assert.match(pty.output, /run everything echo \{"message":"first"\}/);
    await pty.type("y\r");
    mark = await pty.waitFor("Echoed first.", mark);
    await pty.type("echo second\r");
    mark = await pty.waitFor("[y]es", mark);
    await pty.type("n\r");
    mark = await pty.waitFor("Not allowed, fine.", mark);
    await pty.type("echo third\r");
    mark = await pty.waitFor("[y]es", mark);
    await pty.type("a\r");
    mark = await pty.waitFor("Third done.", mark);
    const beforeFourth = mark;
    await pty.type("echo fourth\r");
    mark = await pty.waitFor("Fourth without asking.", mark);
    assert.ok(
      !pty.output.slice(beforeFourth, mark).includes("[y]es"),
      "no question after 'always'",
    );
    await pty.type("/cost\r");
    mark = await pty.waitFor("output tokens", mark);
    await pty.type("/tokens\r");
    mark = await pty.waitFor("last turn:", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  const results = fake.requests.filter((r) => (r.body as { messages: unknown[] }).messages)
    .map((r) => (r.body as { messages: { role: string; content: string }[] }).messages.at(-1)!);
  const toolResults = results.filter((m) => m.role === "tool").map((m) => m.content);
  assert.deepEqual(toolResults, [
    "Echo: first",
    "The user did not approve this tool call.",
    "Echo: third",
    "Echo: fourth",
  ]);
});

Deno.test("REPL: Ctrl-C cancels a streaming answer and the prompt comes back (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ text: ["streaming ", "forever"] }), hangAfter: 2 },
    { chunks: openaiChunks({ text: ["Still here."] }) },
  );
  const pty = await PtySession.start(["--config", config], { env });
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
    await pty.type("\x04");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});

Deno.test("REPL sessions: /save, /history, /export, /new, /load, /clear (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ text: ["Noted: blue."] }) },
    { chunks: openaiChunks({ text: ["Fresh start."] }) },
    { chunks: openaiChunks({ text: ["Blue, as you said."] }) },
  );
  const exported = `${env.HOME}/work.json`;
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("my colour is blue\r");
    mark = await pty.waitFor("Noted: blue.", mark);
    await pty.type("/save work\r");
    mark = await pty.waitFor('as "work"', mark);
    await pty.type("/history\r");
    mark = await pty.waitFor("(start of session)", mark);
    assert.match(pty.output.slice(0, mark), /#0 user: my colour is blue/);
    await pty.type(`/export json ${exported}\r`);
    mark = await pty.waitFor("exported to", mark);
    await pty.type("/new\r");
    mark = await pty.waitFor("new session", mark);
    await pty.type("hello\r");
    mark = await pty.waitFor("Fresh start.", mark);
    await pty.type("/load work\r");
    mark = await pty.waitFor("loaded session", mark);
    await pty.type("what is my colour?\r");
    mark = await pty.waitFor("Blue, as you said.", mark);
    await pty.type("/clear\r");
    mark = await pty.waitFor("cleared", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  // The system message (MCP server instructions) aside, what the model saw:
  const conversation = (i: number) =>
    (fake.requests[i].body as { messages: { role: string; content: string }[] }).messages
      .filter((m) => m.role !== "system").map((m) => m.content);
  assert.deepEqual(conversation(1), ["hello"], "/new starts an empty conversation");
  assert.deepEqual(conversation(2), ["my colour is blue", "Noted: blue.", "what is my colour?"]);
  const data = JSON.parse(await Deno.readTextFile(exported));
  assert.equal(data.messages.length, 2);
});

/**
 * Waits until server-everything lists its capability-dependent tools. `/mcp tools` waits
 * for the server to connect, and the server registers those tools on `initialized`, before
 * it answers the first `tools/list`: the first listing has them. A listing without them is
 * asked again once it has ended (its end, the prompt, is the signal), never after a delay.
 */
async function waitForTool(pty: PtySession, tool: string, from: number): Promise<number> {
  let mark = from;
  for (let i = 0; i < 20; i++) {
    await pty.type("/mcp tools everything\r");
    mark = await pty.waitFor(
      // deno-lint-ignore no-control-regex -- the editor's cursor codes follow the prompt
      /everything(?:__| )[\w-]+[^\n]*\n(?:[^\n]*\n)*?[^\n]*› (?:\r|\x1b\[[\d;?]*[A-Za-z])*$/,
      mark,
    );
    if (pty.output.slice(mark).includes(tool)) return pty.output.length;
    mark = pty.output.length;
  }
  throw new Error(`${tool} never appeared:\n${pty.output}`);
}

/**
 * The fields of server-everything's `trigger-elicitation-request` form after "name" and
 * "check", in order, by the words of their prompts.
 */
const LATER_FIELDS = [
  "Favorite first line of a story",
  "Your email address",
  "Portfolio / personal website",
  "Your date of birth",
  "Your favorite integer",
  "Favorite number",
  "Choose your favorite friend",
  "Choose your favorite instruments",
  "Choose your favorite hero",
  "Choose your favorite types of fish",
  "Choose your favorite type of pet",
];

Deno.test("REPL: a server's sampling request is approved and answered by the model; elicitation fills a form (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    {
      chunks: openaiChunks({
        toolCalls: [{
          id: "s1",
          name: "everything__trigger-sampling-request",
          args: { prompt: "Say hi", maxTokens: 20 },
        }],
      }),
    },
    { chunks: openaiChunks({ text: ["Hi from the sampled model"] }) },
    { chunks: openaiChunks({ text: ["Sampling worked."] }) },
    {
      chunks: openaiChunks({
        toolCalls: [{ id: "e1", name: "everything__trigger-elicitation-request", args: {} }],
      }),
    },
    { chunks: openaiChunks({ text: ["Thanks, Ada."] }) },
  );
  const pty = await PtySession.start(["--config", config, "--yes"], { env });
  try {
    let mark = await pty.waitFor("› ");
    mark = await waitForTool(pty, "trigger-elicitation-request", mark);
    await pty.type("please sample\r");
    mark = await pty.waitFor(/allow\? .*\[n\]o/, mark);
    assert.match(
      pty.output.slice(0, mark + 40),
      /everything asks the model \(up to 20 tokens\): ".*Say hi"/,
    );
    await pty.type("y\r");
    mark = await pty.waitFor("Sampling worked.", mark);
    await pty.type("now ask me\r");
    mark = await pty.waitFor("asks for input", mark);
    mark = await pty.waitFor("Your full, legal name", mark);
    await pty.type("Ada Lovelace\r");
    mark = await pty.waitFor("terms and conditions", mark);
    await pty.type("y\r");
    // Every other field: take the default or skip it (optional), one Enter per field, each
    // typed once that field's own prompt is on screen. The prompt is drawn when its question
    // starts reading; a key typed between two questions is kept for the chat's next prompt,
    // never given to a question (lib/ui/editor.ts), so an Enter sent on an older prompt
    // (say, the one just answered, redrawn) would be lost and leave the form waiting.
    for (const field of LATER_FIELDS) {
      mark = await pty.waitFor(field, mark);
      mark += field.length;
      await pty.type("\r");
    }
    mark = await pty.waitFor("Thanks, Ada.", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  // The sampling call reached the model without tools, carrying the server's prompt.
  const samplingCall = fake.requests[1].body as {
    messages: { content: string }[];
    tools?: unknown;
  };
  assert.equal(samplingCall.tools, undefined);
  assert.match(JSON.stringify(samplingCall.messages), /Say hi/);
  const toolResults = fake.requests.map((r) =>
    (r.body as { messages: { role: string; content: string }[] }).messages
  )
    .flat().filter((m) => m.role === "tool").map((m) => m.content);
  assert.ok(
    toolResults.some((t) => /Hi from the sampled model/.test(t)),
    JSON.stringify(toolResults),
  );
  assert.ok(toolResults.some((t) => /Ada Lovelace/.test(t)), JSON.stringify(toolResults));
});

Deno.test("REPL: /health, /stats and /mcp views; /mcp discover and import (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ text: ["ok"] }) },
    { chunks: openaiChunks({ text: ["Answering the simple prompt."] }) },
  );
  // Another MCP client on this machine knows a server we do not.
  await Deno.mkdir(`${env.XDG_CONFIG_HOME}/Claude`, { recursive: true });
  await Deno.writeTextFile(
    `${env.XDG_CONFIG_HOME}/Claude/claude_desktop_config.json`,
    JSON.stringify({
      mcpServers: {
        memory:
          JSON.parse(await Deno.readTextFile(await peersConfig(["memory"]))).mcpServers.memory,
      },
    }),
  );
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("hi\r");
    mark = await pty.waitFor("ok", mark);
    const steps: [string, RegExp][] = [
      ["/mcp servers", /everything\s+stdio\s+ready/],
      ["/mcp resources everything", /demo:\/\/resource/],
      ["/mcp prompts everything", /simple-prompt/],
      ["/mcp prompt everything simple-prompt", /Answering the simple prompt\./],
      ["/mcp capabilities everything", /"tools"/],
      ["/mcp tool everything get-sum a=2 b=3", /5/],
      ["/mcp saved", /everything\s+stdio\s+node/],
      ["/mcp resource everything demo://resource/static/document/architecture.md", /.+/],
      [
        "/mcp resource everything demo://resource/static/document/architecture.md",
        /from the resource cache/,
      ],
      ["/cache entries", /1\/\d+ entries.*hits 1, misses 1[^\n]*\n\s+everything demo:\/\/resource/],
      ["/notification logging off", /logging: off/],
      ["/notification", /seen: /],
      ["/health", /\nllm\s+running\s+0\s+\d+\.\d MB/],
      ["/context", /4 messages, ~\d+ tokens of 95904 .* strategy sliding_window/],
      ["/strategy smart", /strategy: smart/],
      ['/system "answer in French"', /system prompt set/],
      ["/system", /answer in French/],
      ["/stats", /llm: 2 calls \(2 ok/],
      ["/mcp discover", /memory\s+claude-desktop/],
      ["/mcp import memory", /imported memory into[^\n]*\n[^\n]*memory: \w+/],
      ["/mcp saved", /memory\s+stdio\s+node .*server-memory/],
    ];
    for (const [command, expected] of steps) {
      await pty.type(`${command}\r`);
      const at = await pty.waitFor(expected, mark);
      mark = await pty.waitFor("› ", at);
    }
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  assert.match(await Deno.readTextFile(config), /\[mcp\.servers\.memory\]/);
  const promptSent = (fake.requests[1].body as { messages: { role: string; content: string }[] })
    .messages.at(-1);
  assert.equal(promptSent?.role, "user");
  assert.match(promptSent!.content, /This is a simple prompt/);
});

Deno.test("REPL: a long tool call is a block with live progress; at 40 columns no stale line stays on screen (tmux)", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    {
      chunks: openaiChunks({
        toolCalls: [{
          id: "l1",
          name: "everything__trigger-long-running-operation",
          args: { duration: 2, steps: 4 },
        }],
      }),
    },
    { chunks: openaiChunks({ text: ["Long operation done."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config, "--yes"], env, 40, 20);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("run the long operation", "Enter");
    // Live: a progress line per call, with the elapsed time and how to cancel.
    await tmux.waitFor(/\d+ s · \d+% trigger-long[^\n]*\nCtrl-C to cancel/);
    const done = await tmux.waitFor(/Long operation done\.[\s\S]*\n›/);
    // The block stays; nothing of the live lines does (at 40 columns they would wrap).
    assert.match(done, /⏺ trigger-long-running-operation/);
    assert.match(done, /⎿ ✓ [\d.]+ m?s · trigger-long/);
    assert.match(done, /"duration": 2/);
    assert.doesNotMatch(done, /\d+%|Ctrl-C to cancel|⠋|⠙|⠹|⠸|⠼|⠴|⠦|⠧|⠇|⠏/);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/mcpchat -r|nothing saved/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL: a background server that cannot start is shown as failed, the prompt stays usable (real pty)", async () => {
  const { env, config } = await setup();
  await Deno.writeTextFile(
    config,
    (await Deno.readTextFile(config)) +
      `[mcp.servers.ghost]\ncommand = "definitely-not-installed-xyz"\n`,
  );
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    mark = await pty.waitFor(
      /! MCP server ghost failed: command not found: definitely-not-installed-xyz/,
      mark,
    );
    // The other server is unaffected: it comes up as usual.
    for (let i = 0; i < 40 && !/everything\s+stdio\s+ready/.test(pty.output.slice(mark)); i++) {
      await pty.type("/mcp servers\r");
      mark = await pty.waitFor(/ghost\s+stdio\s+failed[^\n]*\n/, mark);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(pty.output, /everything\s+stdio\s+ready/);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});

Deno.test("REPL aliases: arguments, several commands, loops refused, kept across restarts (real pty)", async () => {
  const { fake, env, config } = await setup();
  fake.reply({ chunks: openaiChunks({ text: ["Summary of a b.txt."] }) });
  let pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    const steps: [string, RegExp][] = [
      [
        `/alias add sum "/mcp tool everything get-sum a=$1 b=$2; summarise $*"`,
        /\/sum → \/mcp tool everything get-sum a=\$1 b=\$2 ; summarise \$\*/,
      ],
      ["/sum 2 40", /The sum of 2 and 40 is 42[\s\S]*Summary of a b\.txt\./],
      [`/alias add ping "/pong"`, /\/ping → \/pong/],
      [`/alias add pong "/ping"`, /\/pong → \/ping/],
      ["/ping", /alias loop: \/ping → \/pong → \/ping/],
      [`/alias add help "x"`, /\/help is a command; pick another name/],
    ];
    for (const [command, expected] of steps) {
      await pty.type(`${command}\r`);
      const at = await pty.waitFor(expected, mark);
      mark = await pty.waitFor("› ", at);
    }
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
  const summarise = (fake.requests[0].body as { messages: { role: string; content: string }[] })
    .messages.at(-1);
  assert.equal(summarise?.content, "summarise 2 40");
  // Stored: a new mcpchat knows them; remove works.
  pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("/alias\r");
    mark = await pty.waitFor(/\/sum\s+\/mcp tool everything get-sum/, mark);
    await pty.type("/alias remove sum\r");
    mark = await pty.waitFor("removed /sum", mark);
    await pty.type("/sum 1 2\r");
    mark = await pty.waitFor("unknown command /sum", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});
