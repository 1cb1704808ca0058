/**
 * The REPL's live output on a real terminal emulator (tmux), as a person
 * sees it: Ctrl-C during an answer or a tool call, answers taller than the
 * screen, the waiting spinner, concurrent tool calls, server requests while
 * a tool runs. Bounded waits on what is on screen.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, localChat } from "../_helpers/cli.ts";
import { TmuxSession } from "../_helpers/tmux.ts";
import type { FakeProvider } from "../fixtures/llm/server.ts";

/** Colour on (markdown is rendered only with colour), a local provider. */
async function colourChat(toml = "") {
  const chat = await localChat(toml);
  const { NO_COLOR: _, ...env } = chat.env;
  return { ...chat, env };
}

/**
 * Runs `script` on the REPL in tmux, from its first prompt: colour on, a local
 * provider, `toml` added to the config, `args` after `--config`. Then quits with
 * /exit and waits for the goodbye; tmux and the provider are closed whatever happens.
 */
async function replInTmux(
  setup: { toml?: string; args?: string[]; columns: number; rows: number },
  script: (tmux: TmuxSession, fake: FakeProvider) => Promise<void>,
): Promise<void> {
  const { fake, env, config } = await colourChat(setup.toml);
  const tmux = await TmuxSession.start(
    ["--config", config, ...setup.args ?? []],
    env,
    setup.columns,
    setup.rows,
  );
  try {
    await tmux.waitFor(/^›/m);
    await script(tmux, fake);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
    await fake.close();
  }
}

const count = (text: string, pattern: RegExp) =>
  text.split("\n").filter((line) => pattern.test(line)).length;

Deno.test("REPL Ctrl-C mid-answer: the partial answer is shown once and (cancelled) stays (tmux)", async () => {
  await replInTmux({ columns: 80, rows: 30 }, async (tmux, fake) => {
    const words =
      "then a line that goes on and on, word after word, slow and long enough to wrap at eighty columns and more"
        .split(" ");
    fake.reply({
      chunks: openaiChunks({ text: ["Some **bold** start\n", ...words.map((w) => w + " ")] }),
      intervalMs: 150,
    }, { chunks: openaiChunks({ text: ["Fine."] }) });
    await tmux.type("go", "Enter");
    await tmux.waitFor(/eighty/);
    await tmux.type("C-c");
    let screen = await tmux.waitFor(/\(cancelled\)[\s\S]*^›\s*$/m);
    assert.equal(count(screen, /goes on/), 1, screen);
    assert.equal(count(screen, /Some bold start/), 1, screen);
    await tmux.type("hi", "Enter");
    screen = await tmux.waitFor(/Fine\./);
    assert.equal(count(screen, /\(cancelled\)/), 1, screen);
    assert.equal(count(screen, /goes on/), 1, screen);
  });
});

Deno.test("REPL Ctrl-C while the answer stalls mid-line: the partial answer once, rendered, and (cancelled) stays (tmux)", async () => {
  await replInTmux({ columns: 80, rows: 30 }, async (tmux, fake) => {
    fake.reply({
      chunks: openaiChunks({ text: ["Some **bold** start\n", "then *slow*"] }),
      hangAfter: 3,
    }, { chunks: openaiChunks({ text: ["Fine."] }) });
    await tmux.type("go", "Enter");
    // The stall mark after the half-written line.
    await tmux.waitFor(/waiting for the model \(\d+ s\)/);
    await tmux.type("C-c");
    let screen = await tmux.waitFor(/\(cancelled\)[\s\S]*^›\s*$/m);
    assert.equal(count(screen, /^then slow$/), 1, screen);
    assert.equal(count(screen, /Some bold start/), 1, screen);
    assert.doesNotMatch(screen, /waiting for the model/);
    await tmux.type("hi", "Enter");
    screen = await tmux.waitFor(/Fine\./);
    assert.equal(count(screen, /\(cancelled\)/), 1, screen);
    assert.equal(count(await tmux.history(), /then/), 1, screen);
  });
});

/** The scrollback and screen with the terminal's own wrapping undone (tmux -J). */
async function joinedHistory(tmux: TmuxSession): Promise<string> {
  const { stdout } = await new Deno.Command("tmux", {
    args: ["-L", tmux.socket, "capture-pane", "-p", "-J", "-S", "-", "-t", tmux.name],
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout);
}

/** `count` words `a1 a2 …`, in chunks of ten words. */
function paragraph(count: number): string[] {
  const words = Array.from({ length: count }, (_, i) => `a${i + 1} `);
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 10) chunks.push(words.slice(i, i + 10).join(""));
  return chunks;
}

/** Each word of {@linkcode paragraph} is in `text` exactly once. */
function assertEachOnce(text: string, count: number): void {
  if ([...text.matchAll(/\ba(\d+)\b/g)].length !== count) console.log(text);
  const seen = [...text.matchAll(/\ba(\d+)\b/g)].map((m) => Number(m[1]));
  assert.equal(seen.length, count, `${seen.length} words shown for ${count} streamed`);
  assert.equal(new Set(seen).size, count);
}

Deno.test("REPL a streamed paragraph taller than the screen is shown once (tmux 80x20)", async () => {
  await replInTmux({ columns: 80, rows: 20 }, async (tmux, fake) => {
    fake.reply({
      chunks: openaiChunks({ text: ["**Start.** ", ...paragraph(500), "\n\nEND.\n"] }),
      intervalMs: 5,
    });
    await tmux.type("long", "Enter");
    await tmux.waitFor(/^END\.\n+›\s*$/m);
    assertEachOnce(await joinedHistory(tmux), 500);
  });
});

Deno.test("REPL narrowed while a long paragraph streams: it is shown once (tmux 80x40 → 50)", async () => {
  await replInTmux({ columns: 80, rows: 40 }, async (tmux, fake) => {
    fake.reply({
      chunks: openaiChunks({ text: ["**Start.** ", ...paragraph(500), "\n\nEND.\n"] }),
      intervalMs: 60,
    });
    await tmux.type("long", "Enter");
    await tmux.waitFor(/a200 /);
    await tmux.resize(50, 40);
    await tmux.waitFor(/^END\.\n+›\s*$/m);
    assertEachOnce(await joinedHistory(tmux), 500);
  });
});

Deno.test("REPL before the first word a spinner says the model is being waited for (tmux)", async () => {
  await replInTmux({ columns: 80, rows: 20 }, async (tmux, fake) => {
    // The stream starts (its first chunk says who answers), then nothing.
    fake.reply({ chunks: openaiChunks({ text: ["Late."] }), hangAfter: 1 });
    await tmux.type("hello", "Enter");
    await tmux.waitFor(/waiting for the model · \d+ s\nCtrl-C to cancel/);
    await tmux.type("C-c");
    const screen = await tmux.waitFor(/\(cancelled\)\n›\s*$/m);
    assert.doesNotMatch(screen, /waiting for the model/);
  });
});

Deno.test("REPL a server that never answers: a spinner says MCP servers are connecting, Ctrl-C gives up (tmux)", async () => {
  await replInTmux({
    toml: `[mcp]\nstartup_mode = "lazy"\n[mcp.servers.mute]\ncommand = "sleep"\nargs = ["300"]\n`,
    columns: 80,
    rows: 20,
  }, async (tmux, fake) => {
    await tmux.type("hello", "Enter");
    await tmux.waitFor(/connecting to MCP servers · \d+ s\nCtrl-C to cancel/);
    await tmux.type("C-c");
    const screen = await tmux.waitFor(/\(cancelled\)\n›\s*$/m);
    assert.doesNotMatch(screen, /connecting to MCP servers/);
    assert.equal(fake.requests.length, 0);
  });
});

/** A model reply that calls server-everything's tools, `[tool, args]` each. */
const calls = (...list: [string, Record<string, unknown>][]) => ({
  chunks: openaiChunks({
    toolCalls: list.map(([tool, args], i) => ({ id: `c${i}`, name: `everything__${tool}`, args })),
  }),
});

Deno.test("REPL Ctrl-C during a running tool: its block says cancelled, no live line is left behind (tmux)", async () => {
  await replInTmux({
    toml: `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
    columns: 80,
    rows: 30,
  }, async (tmux, fake) => {
    fake.reply(calls(["trigger-long-running-operation", { duration: 20, steps: 10 }]), {
      chunks: openaiChunks({ text: ["Fine."] }),
    });
    await tmux.type("run it", "Enter");
    await tmux.waitFor(/^\? run everything trigger-long-running-operation/m);
    await tmux.type("a");
    await tmux.waitFor(/\d+% trigger-long-running-operation[^\n]*\nCtrl-C to cancel/);
    await tmux.type("C-c");
    let screen = await tmux.waitFor(
      /⎿ ✗ cancelled · trigger-long-running-operation[\s\S]*\(cancelled\)\n›\s*$/m,
    );
    assert.doesNotMatch(screen, /Ctrl-C to cancel/);
    await tmux.type("hi", "Enter");
    screen = await tmux.waitFor(/Fine\./);
    assert.equal(count(screen, /\(cancelled\)/), 1, screen);
    const history = await tmux.history();
    assert.equal(count(history, /Ctrl-C to cancel|^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /), 0, history);
  });
});

Deno.test("REPL concurrent tool calls at 40 columns: each result as its call ends, told apart (tmux)", async () => {
  await replInTmux({
    toml: `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
    args: ["--yes"],
    columns: 40,
    rows: 30,
  }, async (tmux, fake) => {
    fake.reply(
      calls(
        ["trigger-long-running-operation", { duration: 1, steps: 2 }],
        ["trigger-long-running-operation", { duration: 30, steps: 30 }],
      ),
      { chunks: openaiChunks({ text: ["Both done."] }) },
    );
    await tmux.type("run both", "Enter");
    // The quick one's result while the slow one still runs, on its own live line.
    let screen = await tmux.waitFor(/⎿ ✓ [\d.]+ m?s · [^\n]*duration=1 /);
    assert.equal(count(screen, /^⠋|^⠙|^⠹|^⠸|^⠼|^⠴|^⠦|^⠧|^⠇|^⠏/), 1, screen);
    assert.match(screen, /Ctrl-C to cancel/);
    await tmux.type("C-c");
    screen = await tmux.waitFor(/\(cancelled\)\n›\s*$/m);
    const results = screen.split("\n").filter((l) => l.includes("⎿"));
    assert.equal(results.length, 2, screen);
    assert.match(results[1], /✗ cancelled · [^\n]*duration=30/);
  });
});

Deno.test("REPL a server asks for input during a tool call: no spinner lines while the form is typed (tmux)", async () => {
  await replInTmux({
    toml: `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
    args: ["--yes"],
    columns: 80,
    rows: 30,
  }, async (tmux, fake) => {
    fake.reply(calls(["trigger-elicitation-request", {}]), {
      chunks: openaiChunks({ text: ["Thanks, Ada."] }),
    });
    await tmux.type("ask me", "Enter");
    await tmux.waitFor(/Your full, legal name/);
    // Time for a spinner to tick many times, were it drawn.
    await new Promise((r) => setTimeout(r, 1500));
    await tmux.type("Ada Lovelace", "Enter");
    await tmux.waitFor(/terms and conditions/);
    await tmux.type("y", "Enter");
    for (let i = 0; i < 14; i++) {
      const screen = await tmux.screen();
      if (/Thanks, Ada\./.test(screen)) break;
      await tmux.type("Enter");
      await new Promise((r) => setTimeout(r, 300));
    }
    await tmux.waitFor(/Thanks, Ada\./);
    const history = await tmux.history();
    assert.equal(count(history, /Ctrl-C to cancel/), 0, history);
    assert.equal(count(history, /^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /), 0, history);
  });
});

Deno.test("REPL markdown at 40 columns: bold across lines rendered, wrapped code keeps its gutter, table cells wrap (tmux)", async () => {
  await replInTmux({ columns: 40, rows: 40 }, async (tmux, fake) => {
    fake.reply({
      chunks: openaiChunks({
        text: [
          "**bold across\n",
          "lines** done\n\n",
          "```\n",
          `${"x".repeat(50)}\n`,
          "```\n\n",
          "| name | description |\n|---|---|\n",
          "| ada | a description long enough to wrap in its cell |\n\nEND.\n",
        ],
      }),
      intervalMs: 20,
    });
    await tmux.type("show", "Enter");
    const screen = await tmux.waitFor(/^END\.\n+›\s*$/m);
    assert.doesNotMatch(screen, /\*\*|…/);
    assert.match(screen, /^bold across\nlines done$/m);
    assert.match(screen, /^│ x{38}\n│ x{12}$/m);
    assert.match(
      screen,
      /^│ ada {2}│ a description long enough to +│\n│ {6}│ wrap in its cell +│$/m,
    );
    const answer = screen.slice(screen.indexOf("› show"));
    for (const line of answer.split("\n")) assert.ok(!/^ \S/.test(line), line);
  });
});

Deno.test("REPL a server's sampling request during a tool call: asked on a quiet screen, the spinner comes back after (tmux)", async () => {
  await replInTmux({
    toml: `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
    args: ["--yes"],
    columns: 80,
    rows: 30,
  }, async (tmux, fake) => {
    fake.reply(
      calls(["trigger-sampling-request", { prompt: "Say hi", maxTokens: 20 }]),
      { chunks: openaiChunks({ text: ["Hi from the sampled model"] }) },
      { chunks: openaiChunks({ text: ["Sampling worked."] }) },
    );
    await tmux.type("please sample", "Enter");
    await tmux.waitFor(/allow\? \[y\]es\s+\[n\]o/);
    // Time for a spinner to tick many times, were it drawn.
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(await tmux.screen(), /Ctrl-C to cancel/);
    await tmux.type("y", "Enter");
    await tmux.waitFor(/Sampling worked\.\n+›\s*$/m);
    const history = await tmux.history();
    assert.equal(count(history, /Ctrl-C to cancel|^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /), 0, history);
    assert.match(history, /⎿ ✓ [^\n]*trigger-sampling-request/);
  });
});
