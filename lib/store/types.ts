/**
 * Data types of the store: messages, their content parts, session records.
 * All are plain, structured-clonable and JSON-compatible, so they cross a
 * worker boundary and an export/import round trip unchanged.
 *
 * @module
 */

import { isRecord, type JsonValue } from "../util/json.ts";
import { StoreValidationError } from "./errors.ts";

export type { JsonValue };
/** Who wrote a message. */
export type Role = "system" | "user" | "assistant" | "tool";

/** The roles, in a form code can iterate. */
export const ROLES: readonly Role[] = ["system", "user", "assistant", "tool"];

/** A piece of text. */
export interface TextPart {
  /** Discriminator. */
  type: "text";
  /** The text. */
  text: string;
}

/** The model asking for a tool to run. */
export interface ToolCallPart {
  /** Discriminator. */
  type: "tool-call";
  /** Call id, echoed by the matching result. */
  id: string;
  /** Namespaced tool name (`server__tool`). */
  name: string;
  /** Arguments as the model sent them. */
  arguments: JsonValue;
}

/** The outcome of a tool call. */
export interface ToolResultPart {
  /** Discriminator. */
  type: "tool-result";
  /** Id of the call this answers. */
  id: string;
  /** Result content (text or MCP content blocks); may be 100 KB+. */
  content: JsonValue;
  /** True when the tool reported an error. */
  isError?: boolean;
}

/** A structured content part. */
export type ContentPart = TextPart | ToolCallPart | ToolResultPart;

/** Token usage of one model call. */
export interface Usage {
  /** Prompt tokens. */
  inputTokens: number;
  /** Completion tokens. */
  outputTokens: number;
  /** Prompt tokens served from the provider's cache. */
  cachedInputTokens?: number;
}

/** A message as the chat produces it. */
export interface Message {
  /** Author. */
  role: Role;
  /** Plain text, or structured parts (text, tool calls, tool results). */
  content: string | ContentPart[];
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Model that produced it (assistant messages). */
  model?: string;
  /** Token usage of the call that produced it. */
  usage?: Usage;
  /** Cost in USD of the call that produced it. */
  cost?: number;
  /**
   * An assistant answer committed while it streamed: `interrupted` until it
   * ends well (then `complete`). Absent on other messages and on answers
   * stored before streaming was checkpointed (complete).
   */
  status?: MessageStatus;
  /** Why an `interrupted` answer stopped (Ctrl-C, SIGTERM, a stream error…). */
  interruption?: string;
}

/** Whether a streamed answer ended well. */
export type MessageStatus = "complete" | "interrupted";

/** A stored message with its position in the session. */
export interface MessageEntry extends Message {
  /** Sequence number, increasing per session, never reused. */
  seq: number;
}

/** Token totals of a session. */
export interface TokenTotals {
  /** Sum of input tokens. */
  input: number;
  /** Sum of output tokens. */
  output: number;
  /** Sum of cached input tokens. */
  cachedInput: number;
}

/** A session's metadata, counters and stats (one KV value). */
export interface SessionRecord {
  /** Session id. */
  id: string;
  /** Human title (first user line by default, or set by rename). */
  title: string;
  /** Unique saved name (`/save NAME`), if any. */
  name?: string;
  /** Model in use. */
  model?: string;
  /** LLM backend in use. */
  backend?: string;
  /** System prompt of the session. */
  systemPrompt?: string;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Time of the last change, ms since the epoch. */
  lastActive: number;
  /** Number of stored messages. */
  messageCount: number;
  /** Lowest sequence number still stored (raised by clear). */
  firstSeq: number;
  /** Sequence number of the next message. */
  nextSeq: number;
  /** Token totals (not reset by clear: spent is spent). */
  tokens: TokenTotals;
  /** Total cost in USD (not reset by clear). */
  cost: number;
}

/** Fields a caller may change on an existing session. */
export interface SessionPatch {
  /** New title. */
  title?: string;
  /** New model. */
  model?: string;
  /** New backend. */
  backend?: string;
  /** New system prompt. */
  systemPrompt?: string;
}

/** Fields a caller may set when creating a session: the same as those it may change later. */
export type SessionInit = SessionPatch;

/** A command alias. */
export interface AliasRecord {
  /** Alias name (without the slash). */
  name: string;
  /** The commands it expands to (one per line; `$1`, `$*` arguments). */
  commands: string[];
  /** When it was last set, ms since the epoch. */
  updatedAt: number;
}

/** A page of history. */
export interface HistoryPage {
  /** Messages in conversation order (oldest first). */
  messages: MessageEntry[];
  /** Pass as `before` to get the page before this one; null at the start. */
  nextBefore: number | null;
}

/** A page of sessions, newest first. */
export interface SessionPage {
  /** Session records, most recently active first. */
  sessions: SessionRecord[];
  /** Pass as `cursor` to get the next page; null at the end. */
  cursor: string | null;
}

function fail(path: string, expected: string): never {
  throw new StoreValidationError(`${path} must be ${expected}`);
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/**
 * Checks that `v` is a JSON value (no functions, dates, class instances,
 * cycles, non-finite numbers), so it survives export/import unchanged.
 *
 * @example
 * ```ts
 * import { assertJsonValue } from "./types.ts";
 * assertJsonValue({ a: [1, "x", null] }, "arguments");
 * ```
 */
export function assertJsonValue(v: unknown, path: string, depth = 0): asserts v is JsonValue {
  if (depth > 64) fail(path, "nested at most 64 levels deep");
  if (v === null || typeof v === "string" || typeof v === "boolean") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) fail(path, "a finite number");
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => assertJsonValue(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isRecord(v) && Object.getPrototypeOf(v) === Object.prototype) {
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) continue;
      assertJsonValue(item, `${path}.${k}`, depth + 1);
    }
    return;
  }
  fail(path, "JSON data (string, number, boolean, null, array or plain object)");
}

function validatePart(part: unknown, path: string): ContentPart {
  if (!isRecord(part)) fail(path, "an object with a type");
  switch (part.type) {
    case "text":
      if (typeof part.text !== "string") fail(`${path}.text`, "a string");
      return { type: "text", text: part.text };
    case "tool-call": {
      if (typeof part.id !== "string" || part.id === "") fail(`${path}.id`, "a non-empty string");
      if (typeof part.name !== "string" || part.name === "") {
        fail(`${path}.name`, "a non-empty string");
      }
      const args = part.arguments ?? {};
      assertJsonValue(args, `${path}.arguments`);
      return { type: "tool-call", id: part.id, name: part.name, arguments: args };
    }
    case "tool-result": {
      if (typeof part.id !== "string" || part.id === "") fail(`${path}.id`, "a non-empty string");
      const content = part.content ?? null;
      assertJsonValue(content, `${path}.content`);
      const out: ToolResultPart = { type: "tool-result", id: part.id, content };
      if (part.isError !== undefined) {
        if (typeof part.isError !== "boolean") fail(`${path}.isError`, "a boolean");
        out.isError = part.isError;
      }
      return out;
    }
    default:
      fail(
        `${path}.type`,
        `one of "text", "tool-call", "tool-result" (got ${JSON.stringify(part.type)})`,
      );
  }
}

function validateUsage(u: unknown, path: string): Usage {
  if (!isRecord(u)) fail(path, "an object with inputTokens and outputTokens");
  if (!isFiniteNumber(u.inputTokens) || u.inputTokens < 0) {
    fail(`${path}.inputTokens`, "a non-negative number");
  }
  if (!isFiniteNumber(u.outputTokens) || u.outputTokens < 0) {
    fail(`${path}.outputTokens`, "a non-negative number");
  }
  const out: Usage = { inputTokens: u.inputTokens, outputTokens: u.outputTokens };
  if (u.cachedInputTokens !== undefined) {
    if (!isFiniteNumber(u.cachedInputTokens) || u.cachedInputTokens < 0) {
      fail(`${path}.cachedInputTokens`, "a non-negative number");
    }
    out.cachedInputTokens = u.cachedInputTokens;
  }
  return out;
}

/**
 * Validates and normalizes a message (drops unknown fields, fills
 * `createdAt` from `now` when missing; without `now`, a missing `createdAt`
 * is an error). Throws {@linkcode StoreValidationError} naming the offending
 * field.
 *
 * @example
 * ```ts
 * import { validateMessage } from "./types.ts";
 * const m = validateMessage({ role: "user", content: "hi" }, "message", 0);
 * ```
 */
export function validateMessage(input: unknown, path: string, now?: number): Message {
  if (!isRecord(input)) fail(path, "an object with role and content");
  const role = ROLES.find((r) => r === input.role);
  if (role === undefined) {
    fail(`${path}.role`, `one of ${ROLES.join(", ")} (got ${JSON.stringify(input.role)})`);
  }
  let content: string | ContentPart[];
  if (typeof input.content === "string") content = input.content;
  else if (Array.isArray(input.content)) {
    content = input.content.map((p, i) => validatePart(p, `${path}.content[${i}]`));
  } else fail(`${path}.content`, "a string or an array of content parts");
  const createdAt = input.createdAt ?? now;
  if (!isFiniteNumber(createdAt)) fail(`${path}.createdAt`, "a number (ms since the epoch)");
  const out: Message = { role, content, createdAt };
  if (input.model !== undefined) {
    if (typeof input.model !== "string") fail(`${path}.model`, "a string");
    out.model = input.model;
  }
  if (input.usage !== undefined) out.usage = validateUsage(input.usage, `${path}.usage`);
  if (input.cost !== undefined) {
    if (!isFiniteNumber(input.cost) || input.cost < 0) {
      fail(`${path}.cost`, "a non-negative number");
    }
    out.cost = input.cost;
  }
  if (input.status !== undefined) {
    if (input.status !== "complete" && input.status !== "interrupted") {
      fail(`${path}.status`, '"complete" or "interrupted"');
    }
    out.status = input.status;
  }
  if (input.interruption !== undefined) {
    if (typeof input.interruption !== "string") fail(`${path}.interruption`, "a string");
    out.interruption = input.interruption;
  }
  return out;
}

/**
 * Validates a saved session name: 1–64 characters, letters, digits, `.`, `_`, `-`.
 *
 * @example
 * ```ts
 * import { validateSessionName } from "./types.ts";
 * validateSessionName("refactor-auth");
 * ```
 */
export function validateSessionName(name: unknown): string {
  if (typeof name !== "string" || !/^[\p{L}\p{N}._-]{1,64}$/u.test(name)) {
    fail("session name", "1-64 letters, digits, '.', '_' or '-' (no spaces)");
  }
  return name;
}

/**
 * A title derived from the first user message: its first non-empty line,
 * cut to 60 characters.
 *
 * @example
 * ```ts
 * import { titleFromMessage } from "./types.ts";
 * titleFromMessage({ role: "user", content: "Fix the bug\nin auth", createdAt: 0 }); // "Fix the bug"
 * ```
 */
export function titleFromMessage(m: Message): string {
  const text = typeof m.content === "string"
    ? m.content
    : m.content.filter((p): p is TextPart => p.type === "text").map((p) => p.text).join("\n");
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? "";
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
