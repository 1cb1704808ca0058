/**
 * How a message is laid out in KV. Small messages are stored inline as a
 * structured value. A message whose JSON exceeds {@linkcode INLINE_LIMIT}
 * bytes (tool results of 100 KB+ are common) is stored as UTF-8 JSON split
 * into {@linkcode CHUNK_SIZE}-byte pieces under `["chunk", id, seq, i]`, with
 * a small header at the message key; KV caps a value at 64 KiB.
 *
 * @module
 */

import { chunkKey } from "./keys.ts";
import type { Message } from "./types.ts";
import { StoreCorruptedError } from "./errors.ts";

/**
 * Largest JSON size (UTF-8 bytes) stored inline. V8 serialization uses at
 * most two bytes per UTF-16 unit, and a unit is at most one UTF-8 byte here,
 * so an inline value stays under 64 KiB.
 */
export const INLINE_LIMIT = 30_000;
/** Size of one chunk of a large message. */
export const CHUNK_SIZE = 60_000;
/** Bytes per atomic commit, under KV's 800 KiB total mutation size. */
export const COMMIT_BUDGET = 600_000;

/** A message value as stored at `["message", id, seq]`. */
export type StoredMessage =
  | { m: Message }
  | { chunks: number; bytes: number };

/** The KV writes that store one message. */
export interface EncodedMessage {
  /** Value for the message key. */
  value: StoredMessage;
  /** Chunk writes (empty for inline messages). */
  chunks: Array<{ key: Deno.KvKey; value: Uint8Array }>;
  /** Approximate bytes written, for batching under the 800 KiB commit limit. */
  size: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Encodes `message` for session `id` at `seq`.
 *
 * @example
 * ```ts
 * import { encodeMessage } from "./codec.ts";
 * const enc = encodeMessage("k3v9", 0, { role: "user", content: "hi", createdAt: 0 });
 * enc.chunks.length; // 0
 * ```
 */
export function encodeMessage(id: string, seq: number, message: Message): EncodedMessage {
  // Short text messages (the common case) skip serialization entirely.
  if (
    typeof message.content === "string" && message.content.length < INLINE_LIMIT / 4
  ) {
    return { value: { m: message }, chunks: [], size: message.content.length * 2 + 200 };
  }
  const json = encoder.encode(JSON.stringify(message));
  if (json.length <= INLINE_LIMIT) {
    // V8 serialization takes at most two bytes per UTF-8 byte: count the worst case.
    return { value: { m: message }, chunks: [], size: json.length * 2 + 100 };
  }
  const chunks: EncodedMessage["chunks"] = [];
  for (let i = 0, off = 0; off < json.length; i++, off += CHUNK_SIZE) {
    chunks.push({ key: chunkKey(id, seq, i), value: json.slice(off, off + CHUNK_SIZE) });
  }
  return {
    value: { chunks: chunks.length, bytes: json.length },
    chunks,
    size: json.length + chunks.length * 64 + 64,
  };
}

/**
 * Decodes a stored message; `readChunks` fetches the pieces of a chunked one.
 * Throws {@linkcode StoreCorruptedError} when pieces are missing.
 *
 * @example
 * ```ts
 * import { decodeMessage } from "./codec.ts";
 * const m = await decodeMessage({ m: { role: "user", content: "hi", createdAt: 0 } }, () => {
 *   throw new Error("not chunked");
 * }, "store");
 * ```
 */
export async function decodeMessage(
  value: StoredMessage,
  readChunks: (count: number) => Promise<Uint8Array[]>,
  location: string,
): Promise<Message> {
  if ("m" in value) return value.m;
  const parts = await readChunks(value.chunks);
  const total = parts.reduce((n, p) => n + p.length, 0);
  if (parts.length !== value.chunks || total !== value.bytes) {
    throw new StoreCorruptedError(
      location,
      `a large message is missing pieces (${parts.length}/${value.chunks} chunks, ` +
        `${total}/${value.bytes} bytes)`,
    );
  }
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    bytes.set(p, off);
    off += p.length;
  }
  return JSON.parse(decoder.decode(bytes)) as Message;
}

/**
 * Upper bound of the bytes `message` adds to a commit when stored (see
 * {@linkcode encodeMessage}), for splitting batches under {@linkcode COMMIT_BUDGET}.
 *
 * @example
 * ```ts
 * import { estimateSize } from "./codec.ts";
 * estimateSize({ role: "user", content: "hi", createdAt: 0 }); // 204
 * ```
 */
export function estimateSize(message: Message): number {
  return encodeMessage("", 0, message).size;
}
