/**
 * The status line under the prompt (`/tui`): backend and model, MCP servers
 * ready of configured (and how many are in trouble), how much of the context
 * budget the conversation uses, and the session's cost.
 *
 * @module
 */

import { estimateTokens } from "../../chat/mod.ts";
import type { Palette } from "../../ui/output.ts";
import { sanitizeLine } from "../../ui/sanitize.ts";
import type { ReplState } from "./state.ts";

/**
 * The text of the status line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusBar } from "./status_bar.ts";
 * import { ConfigSchema } from "../../config/schema.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * // The parts of the REPL's state it reads.
 * const state = {
 *   backend: "anthropic",
 *   model: "claude-sonnet-4-5",
 *   config: ConfigSchema.parse({}),
 *   history: [{ role: "user" as const, content: "hi" }],
 *   context: { strategy: "sliding_window" as const, maxTokens: 1_000, reserveTokens: 0 },
 *   totals: { input: 10, output: 5, cost: 0.0012 },
 * };
 * const line = statusBar(state, new Map([["everything", "ready"]]), 2, memoryOutput().errColor);
 * assert.equal(line, "anthropic · claude-sonnet-4-5 │ MCP 1/2 ready │ context 1% │ $0.0012");
 * ```
 */
export function statusBar(
  state: Pick<ReplState, "backend" | "model" | "config" | "history" | "context" | "totals">,
  servers: ReadonlyMap<string, string>,
  configured: number,
  c: Palette,
): string {
  const model = state.model ?? state.config.llm.backends[state.backend]?.model ?? "(default)";
  const ready = [...servers.values()].filter((s) => s === "ready").length;
  const troubled =
    [...servers.values()].filter((s) => s === "failed" || s === "reconnecting" || s === "degraded")
      .length;
  const budget = Math.max(1, state.context.maxTokens - state.context.reserveTokens);
  const used = state.history.reduce((sum, m) => sum + estimateTokens(m), 0);
  const percent = Math.round((100 * used) / budget);
  const cost = state.totals.cost === "unknown" ? "cost ?" : `$${state.totals.cost.toFixed(4)}`;
  const parts = [
    `${sanitizeLine(state.backend)} · ${sanitizeLine(model)}`,
    configured
      ? `MCP ${ready}/${configured} ready` + (troubled ? c.yellow(` (${troubled} degraded)`) : "")
      : "no MCP servers",
    percent >= 80 ? c.yellow(`context ${percent}%`) : `context ${percent}%`,
    cost,
  ];
  return c.dim(parts.join(" │ "));
}
