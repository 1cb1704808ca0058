/**
 * The REPL on a real terminal emulator (tmux) as the screen changes under
 * it: a resize re-renders the live answer at the new width and redraws the
 * prompt without debris; Ctrl-Z stops it like a shell program and `fg` brings
 * it back with the typed text.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, localChat } from "../_helpers/cli.ts";
import { commandLine, TmuxSession } from "../_helpers/tmux.ts";

const PARAGRAPH = "The quick brown fox jumps over the lazy dog while the terminal changes its " +
  "width under it, again and again, without losing a word.";
const ITEM = "- a list item that is long enough to wrap at forty columns, so its second row is " +
  "indented";

/** Colour on (markdown is rendered only with colour), a local provider, no servers. */
async function colourChat() {
  const chat = await localChat();
  const { NO_COLOR: _, ...env } = chat.env;
  return { ...chat, env };
}

/** The screen's lines without trailing blanks. */
const lines = (screen: string) => screen.split("\n").map((l) => l.trimEnd());
const count = (text: string, pattern: RegExp) =>
  text.split("\n").filter((line) => pattern.test(line)).length;

Deno.test("REPL resize: the last answer is re-rendered at the new width, the prompt keeps its text, scrollback stays (tmux)", async () => {
  const { fake, env, config } = await colourChat();
  fake.reply(
    { chunks: openaiChunks({ text: ["# Resizing\n", `${PARAGRAPH}\n`, `${ITEM}\n`] }) },
    { chunks: openaiChunks({ text: ["Noted."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config], env, 80, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("tell me about resizing", "Enter");
    await tmux.waitFor(/indented\n+›\s*$/m);
    await tmux.type("draft");
    await tmux.waitFor(/^› draft$/m);
    await tmux.resize(40, 30);
    // Wrapped at word boundaries for 40 columns (the terminal's own reflow would cut
    // "its" / "width" and leave the list item's second row unindented).
    let screen = await tmux.waitFor(/^• a list item that is long enough to\n {2}wrap/m);
    assert.ok(lines(screen).every((l) => l.length <= 40), screen);
    assert.match(screen, /^under it, again and again, without$/m);
    assert.equal(count(screen, /^› draft$/), 1, screen);
    assert.equal(count(screen, /Resizing/), 1, screen);
    // Wider again: the paragraph takes the room.
    await tmux.resize(100, 30);
    screen = await tmux.waitFor(
      /^The quick brown fox jumps over the lazy dog while the terminal changes its width under it, again and$/m,
    );
    assert.equal(count(screen, /^› draft$/), 1, screen);
    // Nothing committed before the answer was touched: the banner and the question are
    // in the scrollback once; the answer's heading once (no stale copy of the old rendering).
    const history = await tmux.history();
    assert.equal(count(history, /Type \/help for commands/), 1, history);
    assert.equal(count(history, /^› tell me about resizing$/), 1, history);
    assert.equal(count(history, /Resizing$/), 1, history);
    // The prompt still edits the same text.
    await tmux.type(" more", "Enter");
    await tmux.waitFor(/Noted\./);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
  const sent = (fake.requests[1].body as { messages: { content: string }[] }).messages.at(-1);
  assert.equal(sent?.content, "draft more");
});

Deno.test("REPL resize: an answer still streaming is re-rendered at the new width and goes on (tmux)", async () => {
  const { fake, env, config } = await colourChat();
  // Three lines, then the model goes silent mid-line.
  fake.reply({
    chunks: openaiChunks({ text: ["# Resizing\n", `${PARAGRAPH}\n`, `${ITEM}\n`, "and then"] }),
    hangAfter: 5,
  });
  const tmux = await TmuxSession.start(["--config", config], env, 80, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("tell me about resizing", "Enter");
    await tmux.waitFor(/^and then/m);
    await tmux.resize(40, 30);
    let screen = await tmux.waitFor(/^• a list item that is long enough to\n {2}wrap/m);
    assert.match(screen, /^under it, again and again, without$/m);
    assert.equal(count(screen, /Resizing/), 1, screen);
    assert.equal(count(screen, /^and then$/), 1, screen);
    // Ctrl-C still cancels it; the prompt comes back below the answer.
    await tmux.type("C-c");
    screen = await tmux.waitFor(/^and then[\s\S]*^›\s*$/m);
    assert.equal(count(screen, /and then/), 1, screen);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL Ctrl-Z: the shell gets the terminal, fg brings the prompt back with what was typed (tmux, bash)", async () => {
  const { fake, env, config } = await colourChat();
  const words = Array.from({ length: 12 }, (_, i) => `word${i + 1} `);
  fake.reply(
    { chunks: openaiChunks({ text: ["Noted."] }) },
    { chunks: openaiChunks({ text: [...words, "END.\n"] }), intervalMs: 150 },
  );
  const tmux = await TmuxSession.shell(env, 80, 30);
  try {
    await tmux.type(commandLine(["--config", config]), "Enter");
    await tmux.waitFor(/^›/m);
    await tmux.type("hello draft");
    await tmux.waitFor(/^› hello draft$/m);
    await tmux.type("C-z");
    // The shell's own prompt, on a terminal in its normal mode (it echoes what is typed).
    await tmux.waitFor(/Stopped[\s\S]*\n\$\s*$/m);
    await tmux.type("echo shell-works", "Enter");
    await tmux.waitFor(/^shell-works$/m);
    await tmux.type("fg", "Enter");
    await tmux.waitFor(/^› hello draft$/m);
    await tmux.type(" again", "Enter");
    await tmux.waitFor(/Noted\./);
    // Mid-answer: stopped while it streams, the rest is shown after fg.
    await tmux.type("count to twelve", "Enter");
    await tmux.waitFor(/word2 /);
    await tmux.type("C-z");
    await tmux.waitFor(/Stopped[\s\S]*\n\$\s*$/m);
    await tmux.type("fg", "Enter");
    await tmux.waitFor(/END\.\n+›\s*$/m);
    const history = await tmux.history();
    for (const word of words) assert.match(history, new RegExp(word.trim()), history);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/(nothing saved|mcpchat -r)[\s\S]*\n\$\s*$/m);
  } finally {
    await tmux.close();
  }
  const sent = (fake.requests[0].body as { messages: { content: string }[] }).messages.at(-1);
  assert.equal(sent?.content, "hello draft again");
});

Deno.test("REPL Ctrl-Z without job control (nothing could continue it): it says so and the prompt stays (tmux)", async () => {
  const { env, config } = await colourChat();
  const tmux = await TmuxSession.start(["--config", config], env, 80, 20);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("kept");
    await tmux.waitFor(/^› kept$/m);
    await tmux.type("C-z");
    // Nothing could resume it (no shell above it): it says so and the prompt is drawn again.
    await tmux.waitFor(/^› kept\^Z\n\(Ctrl-Z: no job control here[^\n]*\n› kept$/m);
    await tmux.type(" still here");
    await tmux.waitFor(/^› kept still here$/m);
    await tmux.type("C-u", "/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL Ctrl-Z under deno task with a real MCP server: the whole job stops, and after fg the server still answers (tmux, bash)", async () => {
  const chat = await localChat(`[mcp]\nstartup_mode = "background"\n${await everythingToml()}`);
  const { NO_COLOR: _, ...env } = chat.env;
  const echo = (id: string, message: string) => ({
    chunks: openaiChunks({ toolCalls: [{ id, name: "everything__echo", args: { message } }] }),
  });
  chat.fake.reply(
    echo("c1", "before-stop"),
    { chunks: openaiChunks({ text: ["First echo back."] }) },
    echo("c2", "after-fg"),
    { chunks: openaiChunks({ text: ["Second echo back."] }) },
  );
  const tmux = await TmuxSession.shell(env, 100, 30);
  try {
    await tmux.type(`deno task -q chat --config '${chat.config}' --yes`, "Enter");
    await tmux.waitFor(/^›/m);
    await tmux.type("echo once", "Enter");
    await tmux.waitFor(/First echo back\.\n+›\s*$/m);
    await tmux.type("typed");
    await tmux.type("C-z");
    // The task runner, mcpchat and the server's process: the shell reports the job stopped.
    await tmux.waitFor(/Stopped +deno task[\s\S]*\n\$\s*$/m);
    await tmux.type("fg", "Enter");
    await tmux.waitFor(/^› typed$/m);
    await tmux.type("C-u", "echo again", "Enter");
    const screen = await tmux.waitFor(/Second echo back\.\n+›\s*$/m);
    assert.match(screen, /Echo: after-fg/);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/(nothing saved|mcpchat -r)[\s\S]*\n\$\s*$/m);
  } finally {
    await tmux.close();
    await chat.fake.close();
  }
});
