/**
 * Whether and how the REPL renders answers as markdown: on a terminal with
 * colour, unless `--no-markdown`, `[ui] markdown = false` or `/markdown off`.
 * The renderer (and its libraries) is loaded on the first answer only.
 *
 * @module
 */

import type { Output } from "../../ui/output.ts";
import type { LiveRegion } from "../../ui/editor.ts";

/** An Output for one turn whose answer text is rendered; `end()` renders what is left. */
export interface RenderedOutput {
  output: Output;
  end(): void;
}

/**
 * Wraps `io` for one turn: stdout text goes through the markdown renderer;
 * stderr (tool calls, status) is written as is, after the renderer lets go
 * of a half-shown line. With `live` (the line editor's), the answer is the
 * screen's live region: drawn again at the new width after a resize.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markdownOutput } from "./render.ts";
 * import { TurnView } from "../turn_view.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * const io = memoryOutput();
 * const rendered = await markdownOutput(io);
 * const view = new TurnView(rendered.output, { statusEnabled: false });
 * view.show({ type: "text-delta", text: "# Plan\n\nUse **one** helper.\n" });
 * view.finish();
 * rendered.end();
 * assert.ok(!io.stdout().includes("**")); // rendered, not the markdown source
 * assert.match(io.stdout(), /Plan/);
 * ```
 */
export async function markdownOutput(
  io: Output,
  live?: (region: LiveRegion) => (text: string) => void,
): Promise<RenderedOutput> {
  const { MarkdownStream } = await import("../../ui/markdown.ts");
  const size = () => {
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 80, rows: 24 };
    }
  };
  let write = (text: string) => io.out(text);
  const stream = new MarkdownStream({
    write: (text) => write(text),
    columns: () => size().columns || 80,
    rows: () => size().rows || 24,
  });
  if (live) write = live(stream);
  return {
    output: {
      ...io,
      out: (text) => stream.push(text),
      err: (text) => {
        if (text.includes("\n")) stream.interrupted();
        io.err(text);
      },
    },
    end: () => stream.end(),
  };
}

/**
 * Whether answers are rendered: stdout a terminal, colour on, not switched off.
 *
 * @example
 * ```ts
 * import { markdownWanted } from "./render.ts";
 * markdownWanted({ terminal: true, color: true, configured: true, flag: false }); // true
 * ```
 */
export function markdownWanted(
  o: { terminal: boolean; color: boolean; configured: boolean; flag: boolean },
): boolean {
  return o.terminal && o.color && o.configured && !o.flag;
}
