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
