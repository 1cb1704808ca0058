/**
 * `/context` and `/strategy`: the context budget and how it is kept.
 *
 * @module
 */

import { estimateTokens } from "../../../chat/mod.ts";
import type { ReplCommand } from "../state.ts";

/** `/context`. */
export const contextCommand: ReplCommand = {
  name: "context",
  summary: "how much of the context budget the conversation uses",
  group: "status",
  run: ({ io, history, context }) => {
    const used = history.reduce((sum, m) => sum + estimateTokens(m), 0);
    io.out(
      `${history.length} messages, ~${used} tokens of ${
        context.maxTokens - context.reserveTokens
      }` +
        ` (${context.maxTokens} minus ${context.reserveTokens} reserved) · strategy ${context.strategy}\n`,
    );
  },
};

/** `/strategy`. */
export const strategyCommand: ReplCommand = {
  name: "strategy",
  summary: "show or set the context strategy: sliding_window or smart",
  usage: "/strategy [sliding_window|smart]",
  group: "chat",
  complete: (_s, words) => words.length === 0 ? ["sliding_window", "smart"] : [],
  run: ({ io, context }, [name]) => {
    if (name === "sliding_window" || name === "smart") context.strategy = name;
    else if (name) return void io.err("strategies: sliding_window, smart\n");
    io.out(`strategy: ${context.strategy}\n`);
  },
};
