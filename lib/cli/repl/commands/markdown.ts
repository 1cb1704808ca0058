/**
 * `/markdown [on|off]`: render answers as markdown, or show them raw.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/markdown`. */
export const markdownCommand: ReplCommand = {
  name: "markdown",
  summary: "render answers as markdown (on) or show them raw (off)",
  usage: "/markdown [on|off]",
  group: "chat",
  complete: (_s, words) => words.length === 0 ? ["on", "off"] : [],
  run: (s, [value]) => {
    if (value === "on") s.markdown = true;
    else if (value === "off") s.markdown = false;
    else if (value) return void s.io.err("usage: /markdown [on|off]\n");
    s.io.err(`markdown: ${s.markdown ? "on" : "off"}\n`);
  },
};
