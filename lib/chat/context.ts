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

/** The smallest share a tool result is cut to, in tokens. */
const MIN_TOOL_SHARE = 256;

function contentText(content: LlmMessage["content"]): string {
  return typeof content === "string" ? content : JSON.stringify(content);
}

/**
 * A tool result cut to about `maxTokens`, with a visible marker saying how
 * much was cut; the message itself is not changed (the session keeps the
 * whole result).
 *
 * @example
 * ```ts
 * import { cutToolResult } from "./context.ts";
 * const cut = cutToolResult({ role: "tool", toolCallId: "1", name: "fs__read", content: "x".repeat(10_000) }, 500);
 * (cut.content as string).includes("cut 8,"); // true
 * ```
 */
export function cutToolResult(message: LlmMessage, maxTokens: number): LlmMessage {
  if (message.role !== "tool" || estimateTokens(message) <= maxTokens) return message;
  const text = contentText(message.content);
  const keep = Math.max(0, (maxTokens - 4) * 4 - 200);
  const cut = text.length - keep;
  const note = `\n\n[mcpchat cut ${cut.toLocaleString("en-US")} of ${
    text.length.toLocaleString("en-US")
  } characters of this tool result to fit the context; the full result is in the session]`;
  return { ...message, content: text.slice(0, keep) + note };
}

/**
 * The messages that fit the budget, as a new list (the input is never
 * changed). Tool results larger than a quarter of the budget are cut (with a
 * marker); system messages always stay; the latest user turn always stays,
 * whole (its tool results cut further if they must be); `sliding_window`
 * keeps the most recent turns before it; `smart` also keeps the first user
 * message (the task) when there is room. What is kept starts at a user turn,
 * so no tool result loses the call it answers.
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
export function fitContext(
  history: readonly LlmMessage[],
  options: ContextOptions,
): LlmMessage[] {
  const budget = Math.max(0, options.maxTokens - options.reserveTokens);
  const share = Math.max(MIN_TOOL_SHARE, Math.floor(budget / 4));
  let messages = history.map((m) => cutToolResult(m, share));
  let cost = messages.map(estimateTokens);
  const total = cost.reduce((a, b) => a + b, 0);
  if (total <= budget) return messages;
  const pinned = new Set<number>();
  messages.forEach((m, i) => m.role === "system" && pinned.add(i));
  // The turn being answered is never dropped: from the latest user message on.
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const mustKeep = lastUser >= 0 ? lastUser : messages.length - 1;
  const current = messages.slice(mustKeep).filter((m) => m.role !== "system");
  const currentCost = current.reduce((sum, m) => sum + estimateTokens(m), 0);
  const room = budget - [...pinned].reduce((sum, i) => sum + cost[i], 0);
  if (currentCost > room) {
    // Still too big: the current turn's tool results share what its other messages leave.
    const results = current.filter((m) => m.role === "tool").length;
    const others = current.filter((m) => m.role !== "tool")
      .reduce((sum, m) => sum + estimateTokens(m), 0);
    if (results > 0) {
      const each = Math.max(MIN_TOOL_SHARE, Math.floor((room - others) / results));
      messages = messages.map((m, i) => i >= mustKeep ? cutToolResult(m, each) : m);
      cost = messages.map(estimateTokens);
    }
  }
  let used = [...pinned].reduce((sum, i) => sum + cost[i], 0);
  // Walk back from the newest message while it fits (the current turn always does).
  let start = messages.length;
  while (start > 0) {
    const i = start - 1;
    if (pinned.has(i)) {
      start--;
      continue;
    }
    if (used + cost[i] > budget && i < mustKeep) break;
    used += cost[i];
    start--;
  }
  // Start at a user turn: a tool result or a tool call without its partner is rejected by providers.
  while (start < mustKeep && messages[start].role !== "user") {
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

/** What a tool call that never got its result is answered with, towards the model. */
const NO_RESULT = "[no result: this tool call did not finish (the turn was interrupted)]";

/**
 * The conversation as the model is sent it, built fresh from `history`
 * (which is not changed): an interrupted answer carries a note saying so; a
 * tool call left without a result gets one saying it did not finish; a tool
 * result without its call is left out; two user turns in a row get a note
 * between them that the answer was lost; then, with `context`, the budget
 * ({@linkcode fitContext}).
 *
 * @example
 * ```ts
 * import { modelView } from "./context.ts";
 * const view = modelView([
 *   { role: "user", content: "hi" },
 *   { role: "assistant", content: "Hel", interrupted: "cancelled by Ctrl-C" },
 *   { role: "user", content: "go on" },
 * ]);
 * console.log(view[1].content); // "Hel\n\n[this answer was interrupted: cancelled by Ctrl-C]"
 * ```
 */
export function modelView(
  history: readonly LlmMessage[],
  context?: ContextOptions,
): LlmMessage[] {
  const out: LlmMessage[] = [];
  /** Calls of the latest assistant message still waiting for their results. */
  let waiting = new Map<string, string>();
  const closeCalls = () => {
    for (const [id, name] of waiting) {
      out.push({ role: "tool", toolCallId: id, name, content: NO_RESULT, isError: true });
    }
    waiting = new Map();
  };
  for (const [i, m] of history.entries()) {
    // An empty interrupted draft followed by the answer itself (stored after it) is left out.
    if (
      m.role === "assistant" && m.interrupted !== undefined && !m.content &&
      history[i + 1]?.role === "assistant"
    ) continue;
    if (m.role === "tool") {
      if (!waiting.delete(m.toolCallId)) continue;
      out.push(m);
      continue;
    }
    closeCalls();
    if (m.role === "assistant") {
      if (m.interrupted !== undefined) {
        const { interrupted, toolCalls: _calls, ...rest } = m;
        const note = `[this answer was interrupted: ${interrupted}]`;
        out.push({ ...rest, content: rest.content ? `${rest.content}\n\n${note}` : note });
        continue;
      }
      for (const call of m.toolCalls ?? []) waiting.set(call.id, call.name);
      out.push(m);
      continue;
    }
    if (m.role === "user" && out.at(-1)?.role === "user") {
      out.push({ role: "assistant", content: "[no answer was stored for this turn: interrupted]" });
    }
    out.push(m);
  }
  closeCalls();
  return context ? fitContext(out, context) : out;
}
