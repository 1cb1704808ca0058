/**
 * The banner and `/help` on narrow terminals (tmux): lines wrap between
 * words at the terminal's width, so every word on screen is a whole word
 * of what a wide terminal shows.
 */
import assert from "node:assert/strict";
import { isolatedEnv } from "../_helpers/cli.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

/** The words of the banner and of /help, on a terminal `columns` wide. */
async function wordsAt(env: Record<string, string>, columns: number): Promise<string[]> {
  const tmux = await TmuxSession.start([], env, columns, 60);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("/help", "Enter");
    await tmux.waitFor(/explains a\s+command\.\n›/);
    const screen = await tmux.history();
    const lines = screen.split("\n").map((l) => l.trimEnd());
    assert.ok(lines.every((l) => [...l].length <= columns), screen);
    await tmux.type("/exit", "Enter");
    return screen.split(/\s+/).filter((w) => w && w !== "›");
  } finally {
    await tmux.close();
  }
}

Deno.test("REPL banner and /help wrap between words at 40 and 100 columns, never mid-word (tmux)", async () => {
  // No model configured: the banner's longest line (what to set) is there too.
  const env = await isolatedEnv();
  const wide = new Set(await wordsAt(env, 200));
  assert.ok(wide.has("ANTHROPIC_API_KEY"), [...wide].join(" "));
  assert.ok(wide.has("Ctrl-L"), [...wide].join(" "));
  for (const columns of [100, 40]) {
    const narrow = await wordsAt(env, columns);
    const cut = narrow.filter((w) => !wide.has(w));
    assert.deepEqual(cut, [], `words cut at ${columns} columns`);
  }
});
