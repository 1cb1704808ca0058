/**
 * Conversions between the model's messages (`lib/llm`), the stored messages
 * (`lib/store`) and MCP tool results.
 *
 * @module
 */

import type { LlmMessage } from "../llm/types.ts";
import type { ContentPart, Message } from "../store/types.ts";
import type { CallToolResult } from "../util/mcp_types.ts";

/**
 * What a tool call returned, as MCP puts it: the fields mcpchat reads of the
 * SDK's `CallToolResult` (the SDK client checks a result against its schema
 * before the MCP worker passes it on).
 */
export type ToolResultLike = Pick<CallToolResult, "content" | "structuredContent" | "isError">;

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
  const parts = result.content.map((block) => {
    switch (block.type) {
      case "text":
        return block.text;
      case "resource":
        return "text" in block.resource ? block.resource.text : `[resource ${block.resource.uri}]`;
      case "resource_link":
        return `[resource link ${block.uri}]`;
      case "image":
      case "audio":
        return `[${block.type} ${block.mimeType}]`;
      default:
        // A block type newer than this SDK's schema: show it as data.
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
          content: { name: message.name, result: message.content },
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
  const parts: ContentPart[] = typeof message.content === "string"
    ? [{ type: "text", text: message.content }]
    : message.content;
  const text = parts.flatMap((p) => p.type === "text" ? [p.text] : []).join("");
  switch (message.role) {
    case "system":
    case "user":
      return [{ role: message.role, content: text }];
    case "assistant": {
      const toolCalls = parts.flatMap((p) =>
        p.type === "tool-call" ? [{ id: p.id, name: p.name, arguments: p.arguments }] : []
      );
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
      return parts.flatMap((p) => {
        if (p.type !== "tool-result") return [];
        // Stored by toStoredMessage as `{ name, result }`; anything else is the result itself.
        const body = p.content;
        const named = typeof body === "object" && body !== null && !Array.isArray(body) &&
            "result" in body
          ? { name: String(body.name ?? ""), content: body.result }
          : { name: "", content: body };
        return [{ role: "tool" as const, toolCallId: p.id, ...named, isError: p.isError }];
      });
  }
}
