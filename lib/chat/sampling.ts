/**
 * Sampling: an MCP server asks the client's model for a completion
 * (`sampling/createMessage`). mcpchat shows the request, the user approves,
 * and the configured model answers.
 *
 * @module
 */

import type {
  CreateMessageRequestParams,
  CreateMessageResult,
  SamplingMessage,
} from "../util/mcp_types.ts";
import type { ChatRequest, LlmEvent, LlmMessage } from "../llm/types.ts";

/** Text of a sampling message's content (non-text parts are summarised). */
function contentText(content: SamplingMessage["content"]): string {
  const parts = Array.isArray(content) ? content : [content];
  return parts.map((part) => {
    if (part.type === "text") return part.text;
    const mimeType = "mimeType" in part ? part.mimeType : "";
    return `[${part.type}${mimeType ? ` ${mimeType}` : ""}]`;
  }).join("\n");
}

/**
 * The model request for a sampling request: its messages, system prompt,
 * token limit and temperature. No tools are offered.
 *
 * @example
 * ```ts
 * import { samplingRequest } from "./sampling.ts";
 * const r = samplingRequest({ messages: [{ role: "user", content: { type: "text", text: "hi" } }], maxTokens: 20 });
 * console.log(r.messages); // [{ role: "user", content: "hi" }]
 * ```
 */
export function samplingRequest(params: CreateMessageRequestParams): Omit<ChatRequest, "signal"> {
  const messages: LlmMessage[] = params.messages.map((m) => ({
    role: m.role,
    content: contentText(m.content),
  }));
  return {
    system: params.systemPrompt,
    messages,
    maxTokens: params.maxTokens,
    temperature: params.temperature,
  };
}

/**
 * A one-paragraph description of a sampling request, for the approval prompt.
 *
 * @example
 * ```ts
 * import { describeSampling } from "./sampling.ts";
 * describeSampling("everything", { messages: [{ role: "user", content: { type: "text", text: "Say hi" } }], maxTokens: 5 });
 * // 'everything asks the model (up to 5 tokens): "Say hi"'
 * ```
 */
export function describeSampling(server: string, params: CreateMessageRequestParams): string {
  const last = params.messages.at(-1);
  const text = last ? contentText(last.content) : "";
  const short = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return `${server} asks the model (up to ${params.maxTokens} tokens): ${JSON.stringify(short)}`;
}

/**
 * Runs a sampling request through `chat` and builds the MCP result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sample } from "./sampling.ts";
 * import type { LlmEvent } from "../llm/types.ts";
 * // mcpchat passes the llm worker's stream; here a model that always says hi.
 * async function* chat(): AsyncIterable<LlmEvent> {
 *   yield { type: "start", backend: "local", kind: "openai-compatible", model: "tiny" };
 *   yield { type: "text-delta", text: "hi" };
 *   yield { type: "finish", reason: "stop" };
 * }
 * const result = await sample(
 *   { messages: [{ role: "user", content: { type: "text", text: "Say hi" } }], maxTokens: 5 },
 *   chat,
 *   new AbortController().signal,
 * );
 * assert.deepEqual(result.content, { type: "text", text: "hi" });
 * assert.equal(result.model, "tiny");
 * ```
 */
export async function sample(
  params: CreateMessageRequestParams,
  chat: (request: Omit<ChatRequest, "signal">, signal: AbortSignal) => AsyncIterable<LlmEvent>,
  signal: AbortSignal,
  options: { backend?: string; model?: string } = {},
): Promise<CreateMessageResult> {
  let text = "";
  let model = options.model ?? "unknown";
  let reason: string | undefined;
  for await (const event of chat({ ...samplingRequest(params), ...options }, signal)) {
    if (event.type === "text-delta") text += event.text;
    else if (event.type === "start") model = event.model;
    else if (event.type === "finish") reason = event.reason;
  }
  return {
    role: "assistant",
    content: { type: "text", text },
    model,
    stopReason: reason === "length" ? "maxTokens" : "endTurn",
  };
}
