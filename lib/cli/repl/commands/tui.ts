/**
 * `/tui [on|off]`: the status line under the prompt.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/tui`. */
export const tuiCommand: ReplCommand = {
  name: "tui",
  summary: "show or hide the status line under the prompt (model, servers, context, cost)",
  usage: "/tui [on|off]",
  group: "status",
  complete: (_s, words) => words.length === 0 ? ["on", "off"] : [],
  run: (s, [value]) => {
    if (!s.setStatusLine) return void s.io.err("the status line needs a terminal\n");
    const on = value === "on" ? true : value === "off" ? false : !s.statusLine;
    if (value && value !== "on" && value !== "off") {
      return void s.io.err("usage: /tui [on|off]\n");
    }
    s.setStatusLine(on);
    s.io.err(`status line ${on ? "on" : "off"}\n`);
  },
};
