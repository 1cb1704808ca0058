/**
 * Maps the store's plain messages to the prompt of the provider interface
 * (`LanguageModelV4Prompt` of `@ai-sdk/provider`), the format every
 * `@ai-sdk/*` provider library turns into its own wire format.
 *
 * @module
 */

import type {
  LanguageModelV4Message,
  LanguageModelV4Prompt,
  LanguageModelV4ToolResultOutput,
} from "@ai-sdk/provider";
import type { JsonValue, LlmMessage } from "./types.ts";

type AssistantPart = Extract<LanguageModelV4Message, { role: "assistant" }>["content"][number];
type ToolResultPart = Extract<LanguageModelV4Message, { role: "tool" }>["content"][number];

/**
 * Converts a conversation. System messages (and `system`) become one system
 * message at the start; consecutive tool results merge into one tool
 * message, as the providers expect them right after the assistant turn that
 * asked. The same mapping the AI SDK's `streamText` applies before it calls
 * a provider.
 *
 * @example
 * ```ts
 * import { toProviderPrompt } from "./messages.ts";
 * const p = toProviderPrompt([{ role: "user", content: "hi" }], "be brief");
 * console.log(p[0]); // { role: "system", content: "be brief" }
 * console.log(p[1]); // { role: "user", content: [{ type: "text", text: "hi" }] }
 * ```
 */
export function toProviderPrompt(messages: LlmMessage[], system?: string): LanguageModelV4Prompt {
  const instructions: string[] = [];
  const out: LanguageModelV4Prompt = [];
  for (const m of messages) {
    switch (m.role) {
      case "system":
        instructions.push(m.content);
        break;
      case "user":
        out.push({ role: "user", content: [{ type: "text", text: m.content }] });
        break;
      case "assistant": {
        if (!m.toolCalls?.length) {
          out.push({ role: "assistant", content: [{ type: "text", text: m.content }] });
          break;
        }
        const parts: AssistantPart[] = [];
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
        const part: ToolResultPart = {
          type: "tool-result",
          toolCallId: m.toolCallId,
          toolName: m.name,
          output: toolOutput(m.content, m.isError ?? false),
        };
        const last = out[out.length - 1];
        if (last?.role === "tool") last.content.push(part);
        else out.push({ role: "tool", content: [part] });
        break;
      }
    }
  }
  if (system) instructions.push(system);
  return instructions.length
    ? [{ role: "system", content: instructions.join("\n\n") }, ...out]
    : out;
}

function toolOutput(
  content: string | JsonValue,
  isError: boolean,
): LanguageModelV4ToolResultOutput {
  if (typeof content === "string") {
    return isError ? { type: "error-text", value: content } : { type: "text", value: content };
  }
  return isError ? { type: "error-json", value: content } : { type: "json", value: content };
}
