/**
 * Plain-data types of the LLM layer: messages, tools, requests and the
 * events a chat stream yields. Everything here is structured-clonable so it
 * crosses the worker boundary unchanged.
 *
 * @module
 */

import type { JsonValue } from "../util/json.ts";
export type { JsonValue };

/** Every backend kind, in the order `/backend` lists them. */
export const BACKEND_KINDS = [
  "anthropic",
  "openai",
  "openai-compatible",
  "ollama",
  "gemini",
  "bedrock",
] as const;

/** The provider families mcpchat speaks. */
export type BackendKind = (typeof BACKEND_KINDS)[number];

/** One tool call requested by the model. */
export interface LlmToolCall {
  /** Provider-assigned id; the tool result must quote it. */
  id: string;
  /** Tool name as offered to the model (e.g. `server__tool`). */
  name: string;
  /** Parsed arguments (a JSON object for well-behaved models). */
  arguments: JsonValue;
}

/** System instructions. Lifted out of the list and sent as the system prompt. */
export interface LlmSystemMessage {
  role: "system";
  content: string;
}

/** A user turn. */
export interface LlmUserMessage {
  role: "user";
  content: string;
}

/** A model turn: text and/or tool calls. */
export interface LlmAssistantMessage {
  role: "assistant";
  content: string;
  toolCalls?: LlmToolCall[];
  /**
   * Set when the answer stopped early (Ctrl-C, a stream error, mcpchat
   * stopped): why. `content` is then what had streamed. Not sent as such:
   * the chat's model view turns it into a note.
   */
  interrupted?: string;
}

/** The result of one tool call, sent back to the model. */
export interface LlmToolMessage {
  role: "tool";
  /** Id of the {@linkcode LlmToolCall} this answers. */
  toolCallId: string;
  /** Name of the tool that ran. */
  name: string;
  /** Result text (MCP text content joined) or a JSON value. */
  content: string | JsonValue;
  /** True when the tool failed; the model sees it as an error result. */
  isError?: boolean;
}

/** A message in a conversation, as the store keeps it. */
export type LlmMessage =
  | LlmSystemMessage
  | LlmUserMessage
  | LlmAssistantMessage
  | LlmToolMessage;

/** A tool offered to the model. `inputSchema` is passed to the provider unchanged. */
export interface LlmToolSpec {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an MCP tool's `inputSchema`). */
  inputSchema: { [key: string]: JsonValue };
}

/** One chat completion request. */
export interface ChatRequest {
  /** Backend name (a key of `llm.backends`, or a kind); default: `llm.default`. */
  backend?: string;
  /** Model id; default: the backend's configured model. */
  model?: string;
  /** System prompt (joined after any `system` messages in `messages`). */
  system?: string;
  messages: LlmMessage[];
  tools?: LlmToolSpec[];
  temperature?: number;
  maxTokens?: number;
  /** Cancels the call; the HTTP stream is aborted at once. Not sent over RPC. */
  signal?: AbortSignal;
}

/** Why the model stopped. */
export type FinishReason =
  | "stop"
  | "length"
  | "tool-calls"
  | "content-filter"
  | "error"
  | "other";

/** Token counts of one model call. */
export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache, where reported. */
  cachedInputTokens?: number;
}

/** Cost in USD, or `"unknown"` when the model is not in the pricing table. */
export type Cost = number | "unknown";

/** The call started (after any retries); names what is actually used. */
export interface StartEvent {
  type: "start";
  backend: string;
  kind: BackendKind;
  model: string;
}

/** A piece of answer text. */
export interface TextDeltaEvent {
  type: "text-delta";
  text: string;
}

/** A piece of reasoning the model exposed (shown dimmed, not stored as answer). */
export interface ReasoningDeltaEvent {
  type: "reasoning-delta";
  text: string;
}

/** The model asks for a tool call; several may arrive in one turn. */
export interface ToolCallEvent extends LlmToolCall {
  type: "tool-call";
  /**
   * Set when the call is unusable: arguments that are not valid JSON, or a
   * tool that was not offered. Send this text back as an error tool result
   * so the model can correct itself.
   */
  error?: string;
}

/** Token usage and cost of the call. */
export interface UsageEvent extends LlmUsage {
  type: "usage";
  cost: Cost;
}

/** The last event of a successful call. */
export interface FinishEvent {
  type: "finish";
  reason: FinishReason;
}

/** A failed attempt that will be retried after `delayMs` (nothing was streamed yet). */
export interface RetryEvent {
  type: "retry";
  /** 1-based number of the attempt that failed. */
  attempt: number;
  delayMs: number;
  /** Human-readable cause, e.g. `anthropic: 429 Too Many Requests`. */
  reason: string;
  /** Error code of the failure (see `LlmError.code`). */
  code: string;
}

/** What {@linkcode ChatRequest} streams back. */
export type LlmEvent =
  | StartEvent
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ToolCallEvent
  | UsageEvent
  | FinishEvent
  | RetryEvent;
