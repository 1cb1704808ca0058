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
 * A line longer than the limit arrived; the partial line is dropped.
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
  constructor(limit: number) {
    super(`a message from the server exceeded ${limit} characters without a newline; dropped`);
    this.name = "LineTooLongError";
  }
}

/**
 * Incremental splitter: feed it text, get complete lines (without the `\n`
 * or a trailing `\r`). Empty lines are skipped.
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
  readonly #max: number;

  /** Creates it with the given limit. */
  constructor(maxLineChars = DEFAULT_MAX_LINE_CHARS) {
    this.#max = maxLineChars;
  }

  /** Adds a chunk; returns the lines it completed. Throws {@linkcode LineTooLongError}. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf("\n");
    while (nl !== -1) {
      let line = chunk.slice(start, nl);
      if (this.#pendingLength > 0) {
        this.#pending.push(line);
        line = this.#pending.join("");
        this.#pending = [];
        this.#pendingLength = 0;
      }
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.length > this.#max) throw new LineTooLongError(this.#max);
      if (line.length > 0) lines.push(line);
      start = nl + 1;
      nl = chunk.indexOf("\n", start);
    }
    if (start < chunk.length) {
      const rest = chunk.slice(start);
      this.#pendingLength += rest.length;
      if (this.#pendingLength > this.#max) {
        this.#pending = [];
        this.#pendingLength = 0;
        throw new LineTooLongError(this.#max);
      }
      this.#pending.push(rest);
    }
    return lines;
  }

  /** Text received after the last newline (an unterminated line). */
  get remainder(): string {
    return this.#pending.join("");
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
