/**
 * `/cost` and `/tokens`: what this session has used.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/cost`. */
export const costCommand: ReplCommand = {
  name: "cost",
  summary: "tokens and cost of this session",
  group: "status",
  run: ({ io, totals }) => {
    const cost = totals.cost === "unknown"
      ? "unknown (model not in the pricing table)"
      : `$${totals.cost.toFixed(4)}`;
    io.out(`${totals.input} input, ${totals.output} output tokens · ${cost}\n`);
  },
};

/** `/tokens`. */
export const tokensCommand: ReplCommand = {
  name: "tokens",
  summary: "tokens used in this session, and by the last turn",
  group: "status",
  run: ({ io, totals }) => {
    io.out(
      `session: ${totals.input} input + ${totals.output} output tokens` +
        (totals.last ? ` · last turn: ${totals.last.input} + ${totals.last.output}` : "") +
        "\n",
    );
  },
};
