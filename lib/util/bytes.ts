/**
 * Byte helpers shared by the areas that read capped streams and files.
 *
 * @module
 */

/**
 * The chunks joined into one array, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatBytes } from "./bytes.ts";
 * const joined = concatBytes([new TextEncoder().encode("he"), new TextEncoder().encode("llo")]);
 * assert.equal(new TextDecoder().decode(joined), "hello");
 * assert.equal(concatBytes([]).length, 0);
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const chunk of chunks) size += chunk.byteLength;
  const all = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.byteLength;
  }
  return all;
}
