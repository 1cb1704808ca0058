/**
 * Context management: keep a conversation within the model's context budget
 * (and the process's memory flat in a long session) by dropping the oldest
 * turns.
 *
 * @module
 */

import type { LlmMessage } from "../llm/types.ts";

/** How to choose what stays. */
export type ContextStrategy = "sliding_window" | "smart";

/** The context budget. */
export interface ContextOptions {
  strategy: ContextStrategy;
  /** The model's context, in tokens. */
  maxTokens: number;
  /** Tokens left free for the answer. */
  reserveTokens: number;
}

/**
 * A cheap token estimate (about four characters a token, plus a few per
 * message for its framing): good enough to keep within a budget, with no
 * tokenizer to load.
 *
 * @example
 * ```ts
 * import { estimateTokens } from "./context.ts";
 * estimateTokens({ role: "user", content: "hello world!" }); // 7
 * ```
 */
export function estimateTokens(message: LlmMessage): number {
  let chars = 0;
  if (typeof message.content === "string") chars += message.content.length;
  else chars += JSON.stringify(message.content).length;
  if (message.role === "assistant" && message.toolCalls) {
    for (const call of message.toolCalls) {
      chars += call.name.length + JSON.stringify(call.arguments).length;
    }
  }
  return Math.ceil(chars / 4) + 4;
}

/**
 * The messages that fit the budget. System messages always stay;
 * `sliding_window` keeps the most recent turns; `smart` also keeps the first
 * user message (the task) when there is room. What is kept always starts at a
 * user turn, so no tool result loses the call it answers.
 *
 * @example
 * ```ts
 * import { fitContext } from "./context.ts";
 * const long = "x".repeat(400);
 * const kept = fitContext(
 *   [{ role: "user", content: long }, { role: "assistant", content: long }, { role: "user", content: "now?" }],
 *   { strategy: "sliding_window", maxTokens: 120, reserveTokens: 0 },
 * );
 * console.log(kept); // [{ role: "user", content: "now?" }]
 * ```
 */
export function fitContext(messages: readonly LlmMessage[], options: ContextOptions): LlmMessage[] {
  const budget = Math.max(0, options.maxTokens - options.reserveTokens);
  const cost = messages.map(estimateTokens);
  const total = cost.reduce((a, b) => a + b, 0);
  if (total <= budget) return [...messages];
  const pinned = new Set<number>();
  messages.forEach((m, i) => m.role === "system" && pinned.add(i));
  let used = [...pinned].reduce((sum, i) => sum + cost[i], 0);
  // Walk back from the newest message while it fits.
  let start = messages.length;
  while (start > 0) {
    const i = start - 1;
    if (pinned.has(i)) {
      start--;
      continue;
    }
    if (used + cost[i] > budget && start < messages.length) break;
    used += cost[i];
    start--;
  }
  // Start at a user turn: a tool result or a tool call without its partner is rejected by providers.
  while (start < messages.length && messages[start].role !== "user") {
    if (!pinned.has(start)) used -= cost[start];
    start++;
  }
  if (options.strategy === "smart") {
    const first = messages.findIndex((m) => m.role === "user");
    if (first >= 0 && first < start && used + cost[first] <= budget) {
      // The task statement, alone: its answer and tools are what the window dropped.
      pinned.add(first);
    }
  }
  return messages.filter((_, i) => i >= start || pinned.has(i));
}
