/**
 * Conversions between the model's messages (`lib/llm`), the stored messages
 * (`lib/store`) and MCP tool results.
 *
 * @module
 */

import type { JsonValue, LlmMessage } from "../llm/types.ts";
import type { ContentPart, Message } from "../store/types.ts";

/** What a tool call returned, as MCP puts it (the fields mcpchat reads). */
export interface ToolResultLike {
  content?: readonly unknown[];
  structuredContent?: unknown;
  isError?: boolean;
}

/**
 * The text a model sees for an MCP tool result: text blocks joined, other
 * blocks summarised (an image is not pasted into a text prompt).
 *
 * @example
 * ```ts
 * import { toolResultText } from "./convert.ts";
 * toolResultText({ content: [{ type: "text", text: "42" }] }); // "42"
 * ```
 */
export function toolResultText(result: ToolResultLike): string {
  const parts = (result.content ?? []).map((block) => {
    const b = block as {
      type?: string;
      text?: string;
      mimeType?: string;
      uri?: string;
      resource?: { uri?: string; text?: string };
    };
    switch (b.type) {
      case "text":
        return b.text ?? "";
      case "resource":
        return b.resource?.text ?? `[resource ${b.resource?.uri ?? ""}]`;
      case "resource_link":
        return `[resource link ${b.uri ?? ""}]`;
      case "image":
      case "audio":
        return `[${b.type} ${b.mimeType ?? ""}]`;
      default:
        return JSON.stringify(block);
    }
  });
  if (parts.length === 0 && result.structuredContent !== undefined) {
    return JSON.stringify(result.structuredContent);
  }
  return parts.join("\n");
}

/**
 * A model message as the store keeps it.
 *
 * @example
 * ```ts
 * import { toStoredMessage } from "./convert.ts";
 * toStoredMessage({ role: "user", content: "hi" }, 1).content; // "hi"
 * ```
 */
export function toStoredMessage(
  message: LlmMessage,
  createdAt: number,
  extra: Pick<Message, "model" | "usage" | "cost"> = {},
): Message {
  switch (message.role) {
    case "system":
    case "user":
      return { role: message.role, content: message.content, createdAt, ...extra };
    case "assistant": {
      const status = message.interrupted === undefined
        ? { status: "complete" as const }
        : { status: "interrupted" as const, interruption: message.interrupted };
      if (!message.toolCalls?.length) {
        return { role: "assistant", content: message.content, createdAt, ...extra, ...status };
      }
      const parts: ContentPart[] = [];
      if (message.content) parts.push({ type: "text", text: message.content });
      for (const call of message.toolCalls) {
        parts.push({ type: "tool-call", id: call.id, name: call.name, arguments: call.arguments });
      }
      return { role: "assistant", content: parts, createdAt, ...extra, ...status };
    }
    case "tool":
      return {
        role: "tool",
        content: [{
          type: "tool-result",
          id: message.toolCallId,
          content: { name: message.name, result: message.content } as JsonValue,
          isError: message.isError,
        }],
        createdAt,
        ...extra,
      };
  }
}

/**
 * A stored message back as model messages (a stored tool message may hold
 * several results).
 *
 * @example
 * ```ts
 * import { fromStoredMessage } from "./convert.ts";
 * fromStoredMessage({ role: "user", content: "hi", createdAt: 1 }); // [{ role: "user", content: "hi" }]
 * ```
 */
export function fromStoredMessage(message: Message): LlmMessage[] {
  const parts = typeof message.content === "string"
    ? [{ type: "text", text: message.content } as ContentPart]
    : message.content;
  const text = parts.filter((p) => p.type === "text").map((p) => (p as { text: string }).text)
    .join("");
  switch (message.role) {
    case "system":
    case "user":
      return [{ role: message.role, content: text }];
    case "assistant": {
      const toolCalls = parts.filter((p) => p.type === "tool-call").map((p) => {
        const call = p as Extract<ContentPart, { type: "tool-call" }>;
        return { id: call.id, name: call.name, arguments: call.arguments };
      });
      return [{
        role: "assistant",
        content: text,
        ...(toolCalls.length ? { toolCalls } : {}),
        ...(message.status === "interrupted"
          ? { interrupted: message.interruption ?? "interrupted" }
          : {}),
      }];
    }
    case "tool":
      return parts.filter((p) => p.type === "tool-result").map((p) => {
        const result = p as Extract<ContentPart, { type: "tool-result" }>;
        const body = result.content as { name?: string; result?: JsonValue } | JsonValue;
        const named = typeof body === "object" && body !== null && !Array.isArray(body) &&
          "result" in body;
        return {
          role: "tool" as const,
          toolCallId: result.id,
          name: named ? String((body as { name?: string }).name ?? "") : "",
          content: named ? (body as { result: JsonValue }).result : body as JsonValue,
          isError: result.isError,
        };
      });
  }
}
