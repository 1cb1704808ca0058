/**
 * The one-key menus (tool approval, a server's sampling request) on a real
 * terminal emulator (tmux) with the real server-everything: the choices wrap
 * between words at 40 columns, one key answers, and once answered the screen
 * records what was chosen.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, localChat } from "../_helpers/cli.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

const lines = (screen: string) => screen.split("\n").map((l) => l.trimEnd());

Deno.test("REPL approval menu: wraps between choices at 40 columns; the answer stays on screen (tmux, real server)", async () => {
  const { fake, env, config } = await localChat(
    `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
  );
  const echo = (id: string) => ({
    chunks: openaiChunks({
      toolCalls: [{ id, name: "everything__echo", args: { message: "hi" } }],
    }),
  });
  fake.reply(
    echo("c1"),
    { chunks: openaiChunks({ text: ["Echoed once."] }) },
    echo("c2"),
    { chunks: openaiChunks({ text: ["Not echoed."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config], env, 40, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("echo hi", "Enter");
    let screen = await tmux.waitFor(/\[d\]etails/);
    // Each choice whole on its line: none is cut at the edge.
    assert.ok(lines(screen).includes("  [y]es  [n]o  [a]lways this tool"), screen);
    assert.ok(lines(screen).includes("  always this [s]erver  [d]etails"), screen);
    await tmux.type("a");
    screen = await tmux.waitFor(/Echoed once\./);
    assert.match(screen, /^ {2}⎿ allowed \(always this tool\)$/m);
    assert.doesNotMatch(screen, /\[y\]es/);
    // Always allowed now: the next call runs without a question.
    await tmux.type("again", "Enter");
    screen = await tmux.waitFor(/Not echoed\./);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL sampling request: the same one-key menu, one key answers (tmux, real server)", async () => {
  const { fake, env, config } = await localChat(
    `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
  );
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
    { chunks: openaiChunks({ text: ["Sampling worked."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config, "--yes"], env, 100, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("please sample", "Enter");
    await tmux.waitFor(/allow\? \[y\]es {2}\[n\]o/);
    // One key answers: no Enter needed.
    await tmux.type("n");
    const screen = await tmux.waitFor(/Sampling worked\./);
    assert.match(screen, /the user declined the sampling request/);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL approval menu: a server going down while it is shown adds its line above, the question stays once (tmux)", async () => {
  const fixture = new URL("../fixtures/mcp/exit_on_file.mjs", import.meta.url).pathname;
  const { fake, env, config } = await localChat();
  const trigger = `${env.HOME}/go-down`;
  await Deno.writeTextFile(
    config,
    `[mcp]\nstartup_mode = "background"\n` +
      `[mcp.servers.asked]\ncommand = "node"\nargs = ["${fixture}", "${env.HOME}/never"]\n` +
      `[mcp.servers.flaky]\ncommand = "node"\nargs = ["${fixture}", "${trigger}"]\n`,
    { append: true },
  );
  fake.reply(
    { chunks: openaiChunks({ toolCalls: [{ id: "c1", name: "asked__fine", args: {} }] }) },
    { chunks: openaiChunks({ text: ["All fine."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config], env, 100, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("go", "Enter");
    await tmux.waitFor(/\[d\]etails/);
    await Deno.writeTextFile(trigger, "");
    // The server's state changes (reconnecting, then failed) while the menu waits.
    let screen = await tmux.waitFor(/MCP server flaky failed[\s\S]*\[d\]etails/);
    const asked = (s: string) => lines(s).filter((l) => l.startsWith("? run asked fine")).length;
    assert.equal(asked(screen), 1, screen);
    await tmux.type("y");
    screen = await tmux.waitFor(/All fine\./);
    assert.equal(asked(await tmux.history()), 1, await tmux.history());
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
    await fake.close();
  }
});
