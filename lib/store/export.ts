/**
 * Session export (markdown for people, versioned JSON for re-import) and
 * parsing of that JSON. Exports are produced as a stream of string pieces
 * so a 100,000-message session is never held in memory at once.
 *
 * @module
 */

import { StoreValidationError } from "./errors.ts";
import { errorMessage } from "../util/errors.ts";
import { isRecord } from "../util/json.ts";
import type { ContentPart, Message, MessageEntry, SessionRecord, TokenTotals } from "./types.ts";
import { validateMessage, validateSessionName } from "./types.ts";

/** `format` field of an exported session. */
export const EXPORT_FORMAT = "mcpchat-session";
/** Version of the export layout this code writes and reads. */
export const EXPORT_VERSION = 1;

/** The session part of an export (the record without store internals). */
export interface ExportedSession {
  /** Session id. */
  id: string;
  /** Title. */
  title: string;
  /** Saved name. */
  name?: string;
  /** Model. */
  model?: string;
  /** Backend. */
  backend?: string;
  /** System prompt. */
  systemPrompt?: string;
  /** Creation time (ms). */
  createdAt: number;
  /** Last activity (ms). */
  lastActive: number;
  /** Token totals. */
  tokens: TokenTotals;
  /** Total cost in USD. */
  cost: number;
}

/** A parsed, validated export. */
export interface SessionExport {
  /** Always {@linkcode EXPORT_FORMAT}. */
  format: typeof EXPORT_FORMAT;
  /** Layout version. */
  version: number;
  /** Session metadata. */
  session: ExportedSession;
  /** Messages in order. */
  messages: Message[];
}

/**
 * The exported view of a record (drops counters that import recomputes).
 *
 * @example
 * ```ts
 * import { exportedSession } from "./export.ts";
 * exportedSession({ id: "a", title: "t", createdAt: 0, lastActive: 0, messageCount: 0,
 *   firstSeq: 0, nextSeq: 0, tokens: { input: 0, output: 0, cachedInput: 0 }, cost: 0 });
 * ```
 */
export function exportedSession(r: SessionRecord): ExportedSession {
  return {
    id: r.id,
    title: r.title,
    ...(r.name !== undefined ? { name: r.name } : {}),
    ...(r.model !== undefined ? { model: r.model } : {}),
    ...(r.backend !== undefined ? { backend: r.backend } : {}),
    ...(r.systemPrompt !== undefined ? { systemPrompt: r.systemPrompt } : {}),
    createdAt: r.createdAt,
    lastActive: r.lastActive,
    tokens: { input: r.tokens.input, output: r.tokens.output, cachedInput: r.tokens.cachedInput },
    cost: r.cost,
  };
}

function stripSeq(m: MessageEntry): Message {
  const { seq: _seq, ...rest } = m;
  return rest;
}

/**
 * Streams the versioned JSON export of a session: a header, one message
 * per line, a footer. Re-importing it and exporting again gives the same text.
 *
 * @example
 * ```ts
 * import { exportJson } from "./export.ts";
 * async function* none() {}
 * let text = "";
 * for await (const piece of exportJson({ id: "a", title: "t", createdAt: 0, lastActive: 0,
 *   messageCount: 0, firstSeq: 0, nextSeq: 0, tokens: { input: 0, output: 0, cachedInput: 0 },
 *   cost: 0 }, none())) text += piece;
 * JSON.parse(text).format; // "mcpchat-session"
 * ```
 */
export async function* exportJson(
  record: SessionRecord,
  messages: AsyncIterable<MessageEntry>,
): AsyncGenerator<string> {
  yield `{\n  "format": ${JSON.stringify(EXPORT_FORMAT)},\n  "version": ${EXPORT_VERSION},\n` +
    `  "session": ${JSON.stringify(exportedSession(record))},\n  "messages": [`;
  let first = true;
  for await (const m of messages) {
    yield `${first ? "\n" : ",\n"}    ${JSON.stringify(stripSeq(m))}`;
    first = false;
  }
  yield first ? "]\n}\n" : "\n  ]\n}\n";
}

function fence(text: string, info = ""): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(Math.max(3, longest + 1));
  return `${ticks}${info}\n${text}${text.endsWith("\n") ? "" : "\n"}${ticks}\n`;
}

function resultText(content: unknown): { text: string; json: boolean } {
  if (typeof content === "string") return { text: content, json: false };
  // MCP content blocks: show text blocks as text, anything else as JSON.
  if (
    Array.isArray(content) &&
    content.every((b) =>
      typeof b === "object" && b !== null && b.type === "text" && typeof b.text === "string"
    )
  ) {
    return { text: content.map((b) => b.text).join("\n"), json: false };
  }
  return { text: JSON.stringify(content, null, 2), json: true };
}

function partMarkdown(part: ContentPart): string {
  switch (part.type) {
    case "text":
      return `${part.text}\n`;
    case "tool-call":
      return `**Tool call** \`${part.name}\` (id \`${part.id}\`)\n\n` +
        fence(JSON.stringify(part.arguments, null, 2), "json");
    case "tool-result": {
      const { text, json } = resultText(part.content);
      return `**Tool result** for \`${part.id}\`${part.isError ? " (error)" : ""}\n\n` +
        fence(text, json ? "json" : "");
    }
  }
}

const ROLE_TITLE: Record<Message["role"], string> = {
  system: "System",
  user: "User",
  assistant: "Assistant",
  tool: "Tool",
};

/**
 * Markdown of one message: a heading with role, model and time, then the text,
 * tool calls (name, id, arguments) and tool results.
 *
 * @example
 * ```ts
 * import { messageMarkdown } from "./export.ts";
 * messageMarkdown({ seq: 0, role: "user", content: "hi", createdAt: 0 });
 * ```
 */
export function messageMarkdown(m: MessageEntry): string {
  const when = new Date(m.createdAt).toISOString();
  const model = m.model ? ` (${m.model})` : "";
  const cut = m.status === "interrupted"
    ? ` · interrupted${m.interruption ? `: ${m.interruption}` : ""}`
    : "";
  const head = `## ${ROLE_TITLE[m.role]}${model} · ${when}${cut}\n\n`;
  const body = typeof m.content === "string"
    ? `${m.content}\n`
    : m.content.map(partMarkdown).join("\n");
  const usage = m.usage
    ? `\n_${m.usage.inputTokens} in / ${m.usage.outputTokens} out tokens` +
      `${m.cost !== undefined ? `, $${m.cost.toFixed(4)}` : ""}_\n`
    : "";
  return `${head}${body}${usage}\n`;
}

/**
 * Streams a markdown transcript of a session.
 *
 * @example
 * ```ts
 * import { exportMarkdown } from "./export.ts";
 * async function* none() {}
 * for await (const piece of exportMarkdown({ id: "a", title: "t", createdAt: 0, lastActive: 0,
 *   messageCount: 0, firstSeq: 0, nextSeq: 0, tokens: { input: 0, output: 0, cachedInput: 0 },
 *   cost: 0 }, none())) console.log(piece);
 * ```
 */
export async function* exportMarkdown(
  r: SessionRecord,
  messages: AsyncIterable<MessageEntry>,
): AsyncGenerator<string> {
  const lines = [
    `# ${r.title || "Untitled session"}`,
    "",
    `- Session: \`${r.id}\``,
    ...(r.name ? [`- Name: ${r.name}`] : []),
    ...(r.backend || r.model
      ? [`- Model: ${[r.backend, r.model].filter(Boolean).join(" / ")}`]
      : []),
    `- Created: ${new Date(r.createdAt).toISOString()}`,
    `- Last active: ${new Date(r.lastActive).toISOString()}`,
    `- Messages: ${r.messageCount}`,
    `- Tokens: ${r.tokens.input} in, ${r.tokens.output} out`,
    `- Cost: $${r.cost.toFixed(4)}`,
    "",
  ];
  if (r.systemPrompt) lines.push("## System prompt", "", r.systemPrompt, "");
  yield `${lines.join("\n")}\n`;
  for await (const m of messages) yield messageMarkdown(m);
}

/**
 * Deepest nesting of objects and arrays accepted in an import file: the
 * export's own structure (about 6 levels) plus the 64 levels the store
 * allows inside a tool call's arguments or result, with room to spare.
 */
export const MAX_IMPORT_DEPTH = 80;
/** Largest import file read: 256 MiB (a 100,000-message session is well under). */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;

/**
 * Checks an import file's nesting in one linear pass before anything parses
 * or copies it: a deeply nested file would otherwise overflow the stack of
 * the structured clone to the store worker (or of a recursive validator).
 *
 * @throws {StoreValidationError} naming the line and column where the
 *   nesting goes too deep.
 * @example
 * ```ts
 * import { checkImportNesting } from "./export.ts";
 * checkImportNesting('{"messages": [[1]]}'); // fine
 * try { checkImportNesting("[".repeat(100)); } catch (e) { console.log((e as Error).message); }
 * ```
 */
export function checkImportNesting(text: string, maxDepth = MAX_IMPORT_DEPTH): void {
  let depth = 0;
  let inString = false;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      line++;
      lineStart = i + 1;
    }
    if (inString) {
      if (c === 0x5c) i++; // skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) {
        throw new StoreValidationError(
          `import: the file nests objects and arrays more than ${maxDepth} levels deep ` +
            `(at line ${line}, column ${i - lineStart + 1}); an mcpchat export never does: ` +
            "export a session with `mcpchat sessions export ID --format json`",
        );
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

function num(v: unknown, path: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new StoreValidationError(`import: ${path} must be a non-negative number`);
  }
  return v;
}

function importedName(name: unknown): string {
  try {
    return validateSessionName(name);
  } catch (error) {
    if (!(error instanceof StoreValidationError)) throw error;
    throw new StoreValidationError(`import: session.name: ${error.message}`);
  }
}

function optString(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new StoreValidationError(`import: ${path} must be a string`);
  return v;
}

/**
 * Parses and validates an export (text or already-parsed JSON). Every
 * message is checked before anything is written; errors name the field.
 *
 * @example
 * ```ts
 * import { parseSessionExport } from "./export.ts";
 * const data = parseSessionExport(JSON.stringify({
 *   format: "mcpchat-session", version: 1,
 *   session: { id: "abc", title: "t", createdAt: 0, lastActive: 0,
 *     tokens: { input: 0, output: 0, cachedInput: 0 }, cost: 0 },
 *   messages: [{ role: "user", content: "hi", createdAt: 0 }],
 * }));
 * ```
 */
export function parseSessionExport(input: unknown): SessionExport {
  let data = input;
  if (typeof input === "string") {
    checkImportNesting(input);
    try {
      data = JSON.parse(input);
    } catch (e) {
      throw new StoreValidationError(
        `import: the file is not valid JSON (${errorMessage(e)}); export a session with ` +
          "`mcpchat sessions export ID --format json`",
      );
    }
  }
  if (!isRecord(data) || data.format !== EXPORT_FORMAT) {
    throw new StoreValidationError(
      `import: not an mcpchat session export (expected "format": "${EXPORT_FORMAT}")`,
    );
  }
  if (data.version === undefined) {
    throw new StoreValidationError(
      `import: the export has no "version" (expected "version": ${EXPORT_VERSION}); ` +
        "export a session with `mcpchat sessions export ID --format json`",
    );
  }
  if (data.version !== EXPORT_VERSION) {
    throw new StoreValidationError(
      `import: export version ${
        JSON.stringify(data.version)
      } is not supported (this mcpchat reads ` +
        `version ${EXPORT_VERSION}); upgrade mcpchat`,
    );
  }
  const s = data.session;
  if (!isRecord(s)) throw new StoreValidationError("import: session must be an object");
  if (typeof s.id !== "string" || !/^[\w.-]{1,64}$/.test(s.id)) {
    throw new StoreValidationError(
      "import: session.id must be 1-64 letters, digits, '.', '_' or '-'",
    );
  }
  if (typeof s.title !== "string") {
    throw new StoreValidationError("import: session.title must be a string");
  }
  const tokens = s.tokens;
  if (!isRecord(tokens)) throw new StoreValidationError("import: session.tokens must be an object");
  const name = s.name === undefined ? undefined : importedName(s.name);
  const model = optString(s.model, "session.model");
  const backend = optString(s.backend, "session.backend");
  const systemPrompt = optString(s.systemPrompt, "session.systemPrompt");
  const session: ExportedSession = {
    id: s.id,
    title: s.title,
    ...(name !== undefined ? { name } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(backend !== undefined ? { backend } : {}),
    ...(systemPrompt !== undefined ? { systemPrompt } : {}),
    createdAt: num(s.createdAt, "session.createdAt"),
    lastActive: num(s.lastActive, "session.lastActive"),
    tokens: {
      input: num(tokens.input, "session.tokens.input"),
      output: num(tokens.output, "session.tokens.output"),
      cachedInput: num(tokens.cachedInput ?? 0, "session.tokens.cachedInput"),
    },
    cost: num(s.cost, "session.cost"),
  };
  if (!Array.isArray(data.messages)) {
    throw new StoreValidationError("import: messages must be an array");
  }
  const messages = data.messages.map((m, i) => {
    if (isRecord(m) && m.createdAt === undefined) {
      throw new StoreValidationError(`import: messages[${i}].createdAt is missing`);
    }
    return validateMessage(m, `import: messages[${i}]`, 0);
  });
  return { format: EXPORT_FORMAT, version: EXPORT_VERSION, session, messages };
}
