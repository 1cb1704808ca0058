/**
 * The REPL's hold on a real terminal: the line editor with the history file,
 * every write of the session routed through it (so a message arriving while
 * the prompt waits appears above the prompt instead of inside it), and the
 * terminal restored at the end.
 *
 * @module
 */

import { stateDir } from "../../config/paths.ts";
import { joinPath } from "../../util/path.ts";
import type { CommandContext } from "../context.ts";
import {
  type Choice,
  type Completer,
  denoTerminal,
  LineEditor,
  type LiveRegion,
  type ReadResult,
} from "../../ui/editor.ts";
import { History } from "./history.ts";

/** The editor, as the REPL uses it. */
export interface ReplTerminal {
  /** Reads at the main prompt (history, completion). */
  read(prompt: string): Promise<ReadResult>;
  /** Asks a question (no history); `null` at the end of input or on Ctrl-C. */
  ask(question: string, signal?: AbortSignal): Promise<string | null>;
  /** A one-key menu; resolves with the chosen key, `null` at the end of input or on Ctrl-C. */
  choose(
    question: string,
    choices: readonly Choice[],
    signal?: AbortSignal,
  ): Promise<string | null>;
  /** Ctrl-C while something runs. */
  onInterrupt(listener: () => void): () => void;
  /** Sets (or removes) the status line under the prompt. */
  setFooter(footer: (() => string | undefined) | undefined): void;
  /** Draws the prompt again (after something else wrote over it). */
  redraw(): void;
  /** A writer for output that can draw itself again after a resize (the answer). */
  live(region: LiveRegion): (text: string) => void;
  /** Restores the terminal and the output. */
  close(): Promise<void>;
}

/** Lines of history kept. */
const HISTORY_LIMIT = 1000;

/**
 * Opens the editor on the process's terminal, with the history in
 * `$XDG_STATE_HOME/mcpchat/history`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * import { LineEditor } from "../../ui/editor.ts";
 * // `const terminal = await openTerminal(ctx, { complete })` takes the process's terminal;
 * // what it assembles, on an in-memory terminal: the history file and the line editor.
 * const dir = await Deno.makeTempDir();
 * const history = await History.open(`${dir}/history`, { limit: 1000 });
 * const editor = new LineEditor({
 *   input: ReadableStream.from([new TextEncoder().encode("hi\r")]),
 *   setRaw: () => {},
 *   write: () => {},
 *   columns: () => 80,
 * }, { history });
 * editor.start();
 * // terminal.read("› ") is this read:
 * assert.deepEqual(await editor.read({ prompt: "› ", history: true }), { kind: "line", text: "hi" });
 * editor.close(); // terminal.close()
 * await history.flush();
 * assert.equal(await Deno.readTextFile(`${dir}/history`), `"hi"\n`); // one JSON string a line
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openTerminal(
  ctx: CommandContext,
  options: { complete?: Completer },
): Promise<ReplTerminal> {
  const history = await History.open(joinPath(stateDir(ctx.env), "history"), {
    limit: HISTORY_LIMIT,
  });
  const editor = new LineEditor(denoTerminal(), { history });
  // Everything this run writes goes through the editor while it owns the terminal.
  const { out, err } = ctx.io;
  ctx.io.out = (text) => editor.print(text);
  ctx.io.err = (text) => editor.print(text);
  editor.start();
  // However the process ends, the terminal gets its modes back (bracketed paste off).
  const restore = () => editor.close();
  globalThis.addEventListener("unload", restore);
  let footer: (() => string | undefined) | undefined;
  return {
    read: (prompt) =>
      editor.read({ prompt, history: true, complete: options.complete, footer: () => footer?.() }),
    setFooter: (next) => {
      footer = next;
      editor.refresh();
    },
    ask: async (question, signal) => {
      const result = await editor.read({ prompt: question, signal });
      return result.kind === "line" ? result.text.trim() : null;
    },
    choose: async (question, choices, signal) => {
      const result = await editor.read({ prompt: question, choices, signal });
      return result.kind === "line" ? result.text : null;
    },
    onInterrupt: (listener) => editor.onInterrupt(listener),
    redraw: () => editor.redraw(),
    live: (region) => (text) => editor.print(text, region),
    close: async () => {
      globalThis.removeEventListener("unload", restore);
      editor.close();
      ctx.io.out = out;
      ctx.io.err = err;
      await history.flush();
    },
  };
}
