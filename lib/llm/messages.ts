/**
 * Maps the store's plain messages to the AI SDK's `ModelMessage` list.
 *
 * @module
 */

import type { ModelMessage } from "ai";
import type { JsonValue, LlmMessage } from "./types.ts";

/** The AI SDK prompt: system instructions apart, conversation as `ModelMessage`s. */
export interface ModelPrompt {
  instructions?: string;
  messages: ModelMessage[];
}

/**
 * Converts a conversation. System messages (and `system`) become the
 * instructions; consecutive tool results merge into one tool message, as the
 * providers expect them right after the assistant turn that asked.
 *
 * @example
 * ```ts
 * import { toModelPrompt } from "./messages.ts";
 * const p = toModelPrompt([{ role: "user", content: "hi" }], "be brief");
 * console.log(p.instructions, p.messages.length); // "be brief" 1
 * ```
 */
export function toModelPrompt(messages: LlmMessage[], system?: string): ModelPrompt {
  const instructions: string[] = [];
  const out: ModelMessage[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
        instructions.push(m.content);
        break;
      case "user":
        out.push({ role: "user", content: m.content });
        break;
      case "assistant": {
        if (!m.toolCalls?.length) {
          out.push({ role: "assistant", content: m.content });
          break;
        }
        const parts: Exclude<Extract<ModelMessage, { role: "assistant" }>["content"], string> = [];
        if (m.content) parts.push({ type: "text", text: m.content });
        for (const call of m.toolCalls) {
          parts.push({
            type: "tool-call",
            toolCallId: call.id,
            toolName: call.name,
            input: call.arguments,
          });
        }
        out.push({ role: "assistant", content: parts });
        break;
      }
      case "tool": {
        const output = toolOutput(m.content, m.isError ?? false);
        const part = {
          type: "tool-result" as const,
          toolCallId: m.toolCallId,
          toolName: m.name,
          output,
        };
        const last = out[out.length - 1];
        if (last?.role === "tool") last.content.push(part);
        else out.push({ role: "tool", content: [part] });
        break;
      }
    }
  }
  if (system) instructions.push(system);
  return {
    instructions: instructions.length ? instructions.join("\n\n") : undefined,
    messages: out,
  };
}

function toolOutput(content: string | JsonValue, isError: boolean) {
  if (typeof content === "string") {
    return isError
      ? { type: "error-text" as const, value: content }
      : { type: "text" as const, value: content };
  }
  return isError
    ? { type: "error-json" as const, value: content }
    : { type: "json" as const, value: content };
}
