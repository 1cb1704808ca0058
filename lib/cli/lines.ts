/**
 * Reads text lines from a byte stream (stdin), one at a time, without
 * buffering the whole input.
 *
 * @module
 */

/**
 * Yields each line of `stream` without its line ending. A last line without
 * a newline is yielded too.
 *
 * @example
 * ```ts
 * import { readLines } from "./lines.ts";
 * const bytes = new Blob(["a\nb\r\nc"]).stream();
 * for await (const line of readLines(bytes)) console.log(line); // a, b, c
 * ```
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffer = "";
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        yield line.endsWith("\r") ? line.slice(0, -1) : line;
      }
    }
    if (buffer.length > 0) yield buffer;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Reads all of `stream` as text (for `-p -`).
 *
 * @example
 * ```ts
 * import { readAllText } from "./lines.ts";
 * console.log(await readAllText(new Blob(["hi"]).stream())); // "hi"
 * ```
 */
export async function readAllText(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/**
 * Hands typed lines to whoever asked last. The REPL waits for its next
 * command at the bottom; a question asked meanwhile (approve this tool? this
 * server wants input) is answered first, instead of the answer being taken as
 * a chat message.
 *
 * @example
 * ```ts
 * import { LineReader } from "./lines.ts";
 * const reader = new LineReader((async function* () { yield "y"; yield "hello"; })());
 * const command = reader.read(); // waiting at the prompt
 * const answer = reader.read(); // a question asked meanwhile
 * console.log(await answer, await command); // "y" "hello"
 * ```
 */
export class LineReader {
  #source: AsyncIterator<string>;
  #buffered: string[] = [];
  #waiting: ((line: string | null) => void)[] = [];
  #pumping = false;
  #ended = false;

  constructor(source: AsyncIterator<string>) {
    this.#source = source;
  }

  /** The next line for this reader, or `null` at end of input. */
  read(): Promise<string | null> {
    if (this.#buffered.length) return Promise.resolve(this.#buffered.shift()!);
    if (this.#ended) return Promise.resolve(null);
    const line = new Promise<string | null>((resolve) => this.#waiting.push(resolve));
    void this.#pump();
    return line;
  }

  /** The same, as an async iterator (for the REPL loop). */
  iterator(): AsyncIterator<string> {
    return {
      next: async () => {
        const line = await this.read();
        return line === null ? { done: true, value: undefined } : { done: false, value: line };
      },
    };
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiting.length) {
        const next = await this.#source.next();
        if (next.done) {
          this.#ended = true;
          for (const resolve of this.#waiting.splice(0)) resolve(null);
          return;
        }
        // The most recent reader gets the line: a question asked while the prompt waits.
        const resolve = this.#waiting.pop();
        if (resolve) resolve(next.value);
        else this.#buffered.push(next.value);
      }
    } finally {
      this.#pumping = false;
    }
  }
}
