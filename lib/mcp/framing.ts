/**
 * Newline-delimited JSON-RPC framing for stdio servers, without the SDK (the
 * thin transport worker must stay small). Decoding is done on text produced
 * by a `TextDecoderStream`, which carries partial UTF-8 sequences across
 * chunk boundaries, so this splitter only deals with partial lines.
 *
 * @module
 */

/** Default limit of one line (one JSON-RPC message), as in the SDK's `ReadBuffer`. */
export const DEFAULT_MAX_LINE_CHARS = 10 * 1024 * 1024;

/**
 * A line longer than the limit arrived and no request id could be found in
 * it (a notification, or garbage); it was dropped.
 *
 * @example
 * ```ts
 * import { LineTooLongError } from "./framing.ts";
 * console.log(new LineTooLongError(10).code);
 * ```
 */
export class LineTooLongError extends Error {
  /** Stable code. */
  readonly code = "MCP_LINE_TOO_LONG";
  /** Creates it with the given limit. */
  constructor(limit: number, server?: string) {
    super(
      `a message from ${server ?? "the server"} exceeded ${sizeText(limit)} ` +
        `without a newline; dropped`,
    );
    this.name = "LineTooLongError";
  }
}

/** JSON-RPC error code of the reply that stands in for an oversized one. */
export const OVERSIZED_REPLY_CODE = -32001;

function sizeText(chars: number): string {
  return chars >= 1024 * 1024 && chars % (1024 * 1024) === 0
    ? `${chars / (1024 * 1024)} MB`
    : `${chars} characters`;
}

/** How much of each end of an oversized line is kept to find its request id. */
const EDGE = 512;
const ID = String.raw`("(?:[^"\\]|\\.)*"|-?\d+)`;
const ID_AT_START = new RegExp(
  String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*` + ID,
);
const ID_AT_END = new RegExp(String.raw`"id"\s*:\s*` + ID + String.raw`\s*\}\s*$`);

/**
 * The request id of a JSON-RPC message seen only by its two ends (the first
 * and last few hundred characters), or `undefined` when neither shows one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestIdOf } from "./framing.ts";
 * assert.equal(requestIdOf('{"jsonrpc":"2.0","id":3,"result":{"text":"…', '…"}}'), 3);
 * assert.equal(requestIdOf('{"jsonrpc":"2.0","result":{"a":"…', '…"},"id":"q"}'), "q");
 * ```
 */
export function requestIdOf(head: string, tail: string): string | number | undefined {
  const m = ID_AT_START.exec(head) ?? ID_AT_END.exec(tail);
  if (!m) return undefined;
  return JSON.parse(m[1]) as string | number;
}

/**
 * The error reply that stands in for a reply over the limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oversizedReply } from "./framing.ts";
 * const reply = oversizedReply(3, "big", 10 * 1024 * 1024, 12 * 1024 * 1024);
 * assert.equal(reply.error.message, "reply from big exceeded 10 MB (12.0 MB); the request failed");
 * ```
 */
export function oversizedReply(
  id: string | number,
  server: string,
  limit: number,
  length: number,
): { jsonrpc: "2.0"; id: string | number; error: { code: number; message: string } } {
  return {
    jsonrpc: "2.0",
    id,
    error: {
      code: OVERSIZED_REPLY_CODE,
      message: `reply from ${server} exceeded ${sizeText(limit)} ` +
        `(${(length / (1024 * 1024)).toFixed(1)} MB); the request failed`,
    },
  };
}

/** Options of {@linkcode LineSplitter}. */
export interface LineSplitterOptions {
  /** Server name, for the error of an oversized reply. */
  server?: string;
  /** Told about an oversized line that could not be tied to a request. */
  onDropped?(error: LineTooLongError): void;
}

/**
 * Incremental splitter: feed it text, get complete lines (without the `\n`
 * or a trailing `\r`). Empty lines are skipped. A line over the limit is
 * never buffered whole: it is skipped up to its newline, and when its request
 * id can be read at either end, an error reply for that id takes its place
 * ("reply from SERVER exceeded 10 MB"), so the request fails at once instead
 * of waiting for its timeout.
 *
 * @example
 * ```ts
 * import { LineSplitter } from "./framing.ts";
 * const s = new LineSplitter();
 * s.push('{"a":'); // []
 * s.push('1}\n{"b":2}\n'); // ['{"a":1}', '{"b":2}']
 * ```
 */
export class LineSplitter {
  #pending: string[] = [];
  #pendingLength = 0;
  /** The oversized line being skipped: its first and last characters, its length. */
  #skipping: { head: string; tail: string; length: number } | undefined;
  readonly #max: number;
  readonly #options: LineSplitterOptions;

  /** Creates it with the given limit. */
  constructor(maxLineChars = DEFAULT_MAX_LINE_CHARS, options: LineSplitterOptions = {}) {
    this.#max = maxLineChars;
    this.#options = options;
  }

  /** Adds a chunk; returns the lines it completed. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf("\n");
    while (nl !== -1) {
      const segment = chunk.slice(start, nl);
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
      if (this.#skipping) {
        const s = this.#skipping;
        this.#skipping = undefined;
        this.#oversized(s.head, (s.tail + segment).slice(-EDGE), s.length + segment.length, lines);
        continue;
      }
      let line = segment;
      if (this.#pendingLength > 0) {
        this.#pending.push(line);
        line = this.#pending.join("");
        this.#pending = [];
        this.#pendingLength = 0;
      }
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.length > this.#max) {
        this.#oversized(line.slice(0, EDGE), line.slice(-EDGE), line.length, lines);
      } else if (line.length > 0) lines.push(line);
    }
    if (start < chunk.length) {
      const rest = chunk.slice(start);
      if (this.#skipping) {
        this.#skipping.tail = (this.#skipping.tail + rest).slice(-EDGE);
        this.#skipping.length += rest.length;
      } else {
        this.#pendingLength += rest.length;
        this.#pending.push(rest);
        if (this.#pendingLength > this.#max) {
          const text = this.#pending.join("");
          this.#skipping = {
            head: text.slice(0, EDGE),
            tail: text.slice(-EDGE),
            length: text.length,
          };
          this.#pending = [];
          this.#pendingLength = 0;
        }
      }
    }
    return lines;
  }

  #oversized(head: string, tail: string, length: number, lines: string[]): void {
    const id = requestIdOf(head, tail.replace(/\r$/, ""));
    if (id === undefined) {
      this.#options.onDropped?.(new LineTooLongError(this.#max, this.#options.server));
      return;
    }
    lines.push(
      JSON.stringify(oversizedReply(id, this.#options.server ?? "the server", this.#max, length)),
    );
  }

  /** Text received after the last newline (an unterminated line). */
  get remainder(): string {
    return this.#skipping ? "" : this.#pending.join("");
  }
}

/**
 * Serializes one JSON-RPC message as a stdio frame.
 *
 * @example
 * ```ts
 * import { frameMessage } from "./framing.ts";
 * frameMessage({ jsonrpc: "2.0", method: "ping", id: 1 }); // '{"jsonrpc":"2.0",...}\n'
 * ```
 */
export function frameMessage(message: unknown): string {
  return JSON.stringify(message) + "\n";
}

/**
 * Bounded text buffer keeping the last `maxChars` characters written to it:
 * a server's stderr, kept for error messages without growing forever.
 *
 * @example
 * ```ts
 * import { TailBuffer } from "./framing.ts";
 * const t = new TailBuffer(5);
 * t.write("hello world");
 * t.text(); // "world"
 * ```
 */
export class TailBuffer {
  #chunks: string[] = [];
  #length = 0;
  readonly #max: number;

  /** Creates it with the given limit. */
  constructor(maxChars = 8192) {
    this.#max = maxChars;
  }

  /** Appends text, dropping the oldest beyond the limit. */
  write(text: string): void {
    if (text.length >= this.#max) {
      this.#chunks = [text.slice(text.length - this.#max)];
      this.#length = this.#max;
      return;
    }
    this.#chunks.push(text);
    this.#length += text.length;
    while (this.#length > this.#max && this.#chunks.length > 0) {
      const first = this.#chunks[0];
      const excess = this.#length - this.#max;
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#length -= first.length;
      } else {
        this.#chunks[0] = first.slice(excess);
        this.#length -= excess;
      }
    }
  }

  /** The retained text. */
  text(): string {
    return this.#chunks.join("");
  }

  /** The last `n` non-empty lines, for a one-line error summary. */
  lastLines(n = 3): string {
    return this.text().split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0).slice(-n)
      .join(" | ");
  }
}
