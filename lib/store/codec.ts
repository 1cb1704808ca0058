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
import { type Message, validateMessage } from "./types.ts";
import { StoreCorruptedError, StoreValidationError } from "./errors.ts";
import { isRecord } from "../util/json.ts";
import { errorMessage } from "../util/errors.ts";

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

/** The header of a message stored in chunks: how many, and their total size. */
export interface ChunkHeader {
  /** Number of chunks. */
  chunks: number;
  /** Total bytes of the message's JSON. */
  bytes: number;
}

/** A message value as stored at `["message", id, seq]`. */
export type StoredMessage = { m: Message } | ChunkHeader;

/** A value read from `["message", id, seq]`: the inline message (still to check) or a header. */
export type StoredEntry = { m: unknown } | ChunkHeader;

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
 * Checks a value read from a message key: an inline message (`{ m }`) or the
 * header of a chunked one. Throws {@linkcode StoreCorruptedError} (naming
 * the store at `location`) when it is neither.
 *
 * @example
 * ```ts
 * import { storedEntry } from "./codec.ts";
 * storedEntry({ chunks: 2, bytes: 70_000 }, "store"); // { chunks: 2, bytes: 70000 }
 * ```
 */
export function storedEntry(value: unknown, location: string): StoredEntry {
  if (isRecord(value)) {
    if ("m" in value) return { m: value.m };
    const { chunks, bytes } = value;
    if (isCount(chunks) && isCount(bytes)) return { chunks, bytes };
  }
  throw new StoreCorruptedError(
    location,
    `a message entry is neither a message nor a chunk header (${describeValue(value)})`,
  );
}

/**
 * How many chunks the message entry `value` (`null` when there is none)
 * refers to.
 *
 * @example
 * ```ts
 * import { chunkCount } from "./codec.ts";
 * chunkCount({ chunks: 2, bytes: 70_000 }, "store"); // 2
 * chunkCount(null, "store"); // 0
 * ```
 */
export function chunkCount(value: unknown, location: string): number {
  if (value === null) return 0;
  const stored = storedEntry(value, location);
  return "chunks" in stored ? stored.chunks : 0;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

function describeValue(value: unknown): string {
  if (value === null || typeof value !== "object") return `got ${String(value)}`;
  return `keys: ${Object.keys(value).join(", ") || "none"}`;
}

/** A message read back, checked as an append checks it. */
function checkedMessage(input: unknown, location: string): Message {
  try {
    return validateMessage(input, "message");
  } catch (e) {
    if (!(e instanceof StoreValidationError)) throw e;
    throw new StoreCorruptedError(location, `a stored message is not valid: ${e.message}`, {
      cause: e,
    });
  }
}

/**
 * Decodes the value of a message key; `readChunks` fetches the pieces of a
 * chunked one. The message is checked as an append checks it. Throws
 * {@linkcode StoreCorruptedError} when the value is not a message, pieces
 * are missing, or the pieces are not a message's JSON.
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
  entry: unknown,
  readChunks: (count: number) => Promise<Uint8Array[]>,
  location: string,
): Promise<Message> {
  const value = storedEntry(entry, location);
  if ("m" in value) return checkedMessage(value.m, location);
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new StoreCorruptedError(
      location,
      `a large message is not valid UTF-8 JSON (${errorMessage(e)})`,
      { cause: e },
    );
  }
  return checkedMessage(parsed, location);
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
