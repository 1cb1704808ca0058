/**
 * What the line editor leaves on a real terminal emulator (tmux): an
 * accepted Ctrl-R match stays in the scrollback as the prompt line it sent,
 * the completion menu's columns line up with the highlighted item, and a
 * paste is editable before it is sent.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, PtySession, runCli } from "../_helpers/cli.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

const count = (text: string, pattern: RegExp) =>
  text.split("\n").filter((line) => pattern.test(line)).length;

Deno.test("REPL Ctrl-R: the accepted match stays in the scrollback as '› line', not as the search (tmux)", async () => {
  const { fake, env, config } = await localChat();
  fake.reply(
    { chunks: openaiChunks({ text: ["One."] }) },
    { chunks: openaiChunks({ text: ["Two."] }) },
    { chunks: openaiChunks({ text: ["Three."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config], env, 80, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("alpha gamma", "Enter");
    await tmux.waitFor(/One\./);
    await tmux.type("beta", "Enter");
    await tmux.waitFor(/Two\./);
    await tmux.type("C-r");
    await tmux.type("gam");
    await tmux.waitFor(/reverse-i-search\)'gam': alpha gamma/);
    await tmux.type("Enter");
    await tmux.waitFor(/Three\./);
    const history = await tmux.history();
    assert.equal(count(history, /^› alpha gamma$/), 2, history);
    assert.equal(count(history, /reverse-i-search/), 0, history);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
  const sent = (fake.requests[2].body as { messages: { content: string }[] }).messages.at(-1);
  assert.equal(sent?.content, "alpha gamma");
});

Deno.test("REPL completion menu: the highlighted item is padded like the others, columns line up (tmux)", async () => {
  const { env, config } = await localChat();
  const tmux = await TmuxSession.start(["--config", config], env, 80, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("/mcp s", "Tab");
    let screen = await tmux.waitFor(/subscribe/);
    const row = (s: string) => s.split("\n").find((l) => /servers/.test(l) && /saved/.test(l))!;
    const starts = (line: string) =>
      ["servers", "saved", "subscribe"].map((item) => line.indexOf(item));
    const before = starts(row(screen));
    // Tab again highlights the first item: nothing moves.
    await tmux.type("Tab");
    screen = await tmux.waitFor(/^› \/mcp servers/m);
    assert.deepEqual(starts(row(screen)), before, screen);
    const gaps = before.slice(1).map((at, i) => at - before[i]);
    assert.equal(new Set(gaps).size, 1, `evenly spaced: ${before}\n${screen}`);
    await tmux.type("C-u", "/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL paste: Backspace after [pasted 5 lines] opens it up for editing instead of deleting it (real pty)", async () => {
  const { fake, env, config } = await localChat();
  fake.reply({ chunks: openaiChunks({ text: ["Got the edited paste."] }) });
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("see \x1b[200~line 1\nline 2\nline 3\nline 4\nline 5\x1b[201~");
    mark = await pty.waitFor("see [pasted 5 lines]", mark);
    await pty.type("\x7f");
    mark = await pty.waitFor("line 5", mark);
    // The cursor is at the end of the pasted text: one more Backspace edits its last line.
    await pty.type("\x7f!\r");
    mark = await pty.waitFor("Got the edited paste.", mark);
    await pty.type("/exit\r");
  } finally {
    await pty.close();
  }
  const sent = (fake.requests[0].body as { messages: { content: string }[] }).messages.at(-1);
  assert.equal(sent?.content, "see line 1\nline 2\nline 3\nline 4\nline !");
});

Deno.test("REPL /load Tab: the menu shows each session's date and title, not bare ids (tmux)", async () => {
  const { fake, env, config } = await localChat();
  fake.reply(
    { chunks: openaiChunks({ text: ["About apples."] }) },
    { chunks: openaiChunks({ text: ["About boats."] }) },
  );
  // Two stored sessions, one message each (piped runs save like the chat does).
  for (const question of ["tell me about apples", "tell me about boats"]) {
    const r = await runCli(["--config", config], { env, stdin: `${question}\n` });
    assert.equal(r.code, 0, r.stderr);
  }
  const tmux = await TmuxSession.start(["--config", config], env, 100, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("/load ", "Tab");
    // Both rows (boats, the latest, comes first): a capture may fall between two writes.
    const screen = await tmux.waitFor(/tell me about boats[\s\S]*tell me about apples/);
    assert.match(screen, /^\S+ +\d{4}-\d\d-\d\d \d\d:\d\d {2}tell me about apples$/m);
    assert.match(screen, /^\S+ +\d{4}-\d\d-\d\d \d\d:\d\d {2}tell me about boats$/m);
    // The id alone is inserted.
    await tmux.type("Tab");
    await tmux.waitFor(/^› \/load \S+$/m);
    await tmux.type("C-u", "/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});
