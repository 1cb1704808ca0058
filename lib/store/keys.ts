/**
 * The Deno KV key schema of the mcpchat store. Every key the store reads or
 * writes is built here, so the layout is written down in one place (and in
 * `docs/store.md`). Sequence numbers are `bigint` key parts: KV orders them
 * numerically, so a range scan returns messages in conversation order.
 *
 * | key                                   | value                         |
 * |---------------------------------------|-------------------------------|
 * | `["meta", "schema_version"]`          | `number` (current: 2)         |
 * | `["session", id]`                     | {@linkcode SessionRecord}     |
 * | `["session_active", lastActive, id]`  | {@linkcode SessionRecord} copy (v2+) |
 * | `["session_name", name]`              | `id` (unique saved names)     |
 * | `["message", id, seq]`                | stored message (inline or chunk header) |
 * | `["chunk", id, seq, index]`           | `Uint8Array` piece of a large message |
 * | `["lease", id]`                       | writer lease                  |
 * | `["sweep", id]`                       | pending bulk delete (crash-safe) |
 * | `["prewrite", id]`                    | `{ from, to }` seqs whose chunks are being pre-written |
 * | `["alias", name]`                     | alias record                  |
 * | `["oauth_kv", key]`                   | OAuth value of the MCP layer's storage (`mcp-oauth/<server>/<kind>`) |
 *
 * @module
 */

import { StoreCorruptedError } from "./errors.ts";

/** The schema version this code writes. Older stores are migrated at open. */
export const SCHEMA_VERSION = 2;

/** Key of the schema version number. */
export const SCHEMA_VERSION_KEY: Deno.KvKey = ["meta", "schema_version"];

/**
 * Key of a session's record (metadata, counters and stats).
 *
 * @example
 * ```ts
 * import { sessionKey } from "./keys.ts";
 * sessionKey("k3v9x2"); // ["session", "k3v9x2"]
 * ```
 */
export function sessionKey(id: string): Deno.KvKey {
  return ["session", id];
}

/** Prefix of all session records. */
export const SESSION_PREFIX: Deno.KvKey = ["session"];

/**
 * Key of a session's entry in the last-active index. Listing this prefix in
 * reverse gives sessions newest first without reading every session.
 *
 * @example
 * ```ts
 * import { activeIndexKey } from "./keys.ts";
 * activeIndexKey(1_700_000_000_000, "k3v9x2");
 * ```
 */
export function activeIndexKey(lastActive: number, id: string): Deno.KvKey {
  return ["session_active", lastActive, id];
}

/** Prefix of the last-active index. */
export const ACTIVE_INDEX_PREFIX: Deno.KvKey = ["session_active"];

/**
 * Key of a saved session name (unique).
 *
 * @example
 * ```ts
 * import { sessionNameKey } from "./keys.ts";
 * sessionNameKey("refactor-auth");
 * ```
 */
export function sessionNameKey(name: string): Deno.KvKey {
  return ["session_name", name];
}

/**
 * Key of one message of a session.
 *
 * @example
 * ```ts
 * import { messageKey } from "./keys.ts";
 * messageKey("k3v9x2", 41); // ["message", "k3v9x2", 41n]
 * ```
 */
export function messageKey(id: string, seq: number): Deno.KvKey {
  return ["message", id, BigInt(seq)];
}

/**
 * Prefix of every message of a session.
 *
 * @example
 * ```ts
 * import { messagePrefix } from "./keys.ts";
 * messagePrefix("k3v9x2");
 * ```
 */
export function messagePrefix(id: string): Deno.KvKey {
  return ["message", id];
}

/**
 * Key of piece `index` of a message too large for one KV value.
 *
 * @example
 * ```ts
 * import { chunkKey } from "./keys.ts";
 * chunkKey("k3v9x2", 41, 0);
 * ```
 */
export function chunkKey(id: string, seq: number, index: number): Deno.KvKey {
  return ["chunk", id, BigInt(seq), index];
}

/**
 * Prefix of the chunks of one message, or of every chunk of a session when
 * `seq` is omitted.
 *
 * @example
 * ```ts
 * import { chunkPrefix } from "./keys.ts";
 * chunkPrefix("k3v9x2", 41);
 * ```
 */
export function chunkPrefix(id: string, seq?: number): Deno.KvKey {
  return seq === undefined ? ["chunk", id] : ["chunk", id, BigInt(seq)];
}

/**
 * Key of a session's writer lease.
 *
 * @example
 * ```ts
 * import { leaseKey } from "./keys.ts";
 * leaseKey("k3v9x2");
 * ```
 */
export function leaseKey(id: string): Deno.KvKey {
  return ["lease", id];
}

/**
 * Key of a pending bulk delete (session delete, clear, interrupted import).
 *
 * @example
 * ```ts
 * import { sweepKey } from "./keys.ts";
 * sweepKey("k3v9x2");
 * ```
 */
export function sweepKey(id: string): Deno.KvKey {
  return ["sweep", id];
}

/**
 * Key of the marker of chunks pre-written for messages `[from, to)` whose
 * header commit has not happened yet (cleaned up at open after a crash).
 *
 * @example
 * ```ts
 * import { prewriteKey } from "./keys.ts";
 * prewriteKey("k3v9x2");
 * ```
 */
export function prewriteKey(id: string): Deno.KvKey {
  return ["prewrite", id];
}

/** Prefix of pre-write markers. */
export const PREWRITE_PREFIX: Deno.KvKey = ["prewrite"];

/** Prefix of pending bulk deletes. */
export const SWEEP_PREFIX: Deno.KvKey = ["sweep"];

/**
 * Key of a command alias.
 *
 * @example
 * ```ts
 * import { aliasKey } from "./keys.ts";
 * aliasKey("gs");
 * ```
 */
export function aliasKey(name: string): Deno.KvKey {
  return ["alias", name];
}

/** Prefix of all aliases. */
export const ALIAS_PREFIX: Deno.KvKey = ["alias"];

/**
 * Key of a value of the MCP layer's OAuth storage (its keys look like
 * `mcp-oauth/<server>/<kind>`).
 *
 * @example
 * ```ts
 * import { oauthKvKey } from "./keys.ts";
 * oauthKvKey("mcp-oauth/github/tokens");
 * ```
 */
export function oauthKvKey(key: string): Deno.KvKey {
  return ["oauth_kv", key];
}

/**
 * The session id in a key built above (`["session", id]`, `["sweep", id]`,
 * `["message", id, seq]`…): its second part. Throws
 * {@linkcode StoreCorruptedError} for the store at `location` when that
 * part is not a string (a key this code did not write).
 *
 * @example
 * ```ts
 * import { idOfKey, sweepKey } from "./keys.ts";
 * idOfKey(sweepKey("k3v9x2"), "store"); // "k3v9x2"
 * ```
 */
export function idOfKey(key: Deno.KvKey, location: string): string {
  const id = key[1];
  if (typeof id === "string") return id;
  throw new StoreCorruptedError(location, `the key ${keyText(key)} has no session id`);
}

/**
 * The sequence number in a message key (`["message", id, seq]`). Throws
 * {@linkcode StoreCorruptedError} for the store at `location` when that
 * part is not a `bigint`.
 *
 * @example
 * ```ts
 * import { messageKey, seqOfKey } from "./keys.ts";
 * seqOfKey(messageKey("k3v9x2", 41), "store"); // 41
 * ```
 */
export function seqOfKey(key: Deno.KvKey, location: string): number {
  const seq = key[2];
  if (typeof seq === "bigint") return Number(seq);
  throw new StoreCorruptedError(location, `the key ${keyText(key)} has no sequence number`);
}

/**
 * A key as text for messages: `["session","k3v9x2"]`.
 *
 * @example
 * ```ts
 * import { keyText, messageKey } from "./keys.ts";
 * keyText(messageKey("k3v9x2", 41)); // '["message","k3v9x2",41]'
 * ```
 */
export function keyText(key: Deno.KvKey): string {
  return `[${key.map((part) => typeof part === "string" ? JSON.stringify(part) : String(part))}]`;
}
