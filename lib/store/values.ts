/**
 * The values the store reads back from KV, each checked against what the
 * store writes. KV hands back whatever a key holds (a store shared with
 * another mcpchat version or machine, a damaged file), typed only by the
 * reader's word; here a value of the wrong shape becomes a
 * {@linkcode StoreCorruptedError} naming the key and the field, where it is
 * read, instead of a mis-typed record failing later where it is used.
 *
 * The checks are `(value, path) => T` functions that throw
 * {@linkcode StoreValidationError}; {@linkcode readValue} runs one on an
 * entry and turns its error into the store's.
 *
 * @module
 */

import { StoreCorruptedError, StoreValidationError } from "./errors.ts";
import { keyText } from "./keys.ts";
import type { LeaseValue } from "./lease.ts";
import type { SweepValue } from "./sweeps.ts";
import type { AliasRecord, SessionRecord, TokenTotals } from "./types.ts";
import { isRecord } from "../util/json.ts";

/** Checks a value read from KV at `path`; throws {@linkcode StoreValidationError}. */
export type ValueCheck<T> = (value: unknown, path: string) => T;

/**
 * The value of `entry`, checked by `check`. Throws
 * {@linkcode StoreCorruptedError} for the store at `location` when the value
 * does not pass.
 *
 * @example
 * ```ts
 * import { readValue, sessionIdValue } from "./values.ts";
 * readValue({ key: ["session_name", "work"], value: "k3v9x2" }, "store", sessionIdValue); // "k3v9x2"
 * ```
 */
export function readValue<T>(
  entry: { key: Deno.KvKey; value: unknown },
  location: string,
  check: ValueCheck<T>,
): T {
  try {
    return check(entry.value, "value");
  } catch (error) {
    if (!(error instanceof StoreValidationError)) throw error;
    throw new StoreCorruptedError(
      location,
      `${keyText(entry.key)} holds a value this mcpchat did not write: ${error.message}`,
      { cause: error },
    );
  }
}

/**
 * {@linkcode readValue} of an entry that may be absent (`null` then).
 *
 * @example
 * ```ts
 * import { readValueOrNull, sessionIdValue } from "./values.ts";
 * readValueOrNull({ key: ["session_name", "work"], value: null }, "store", sessionIdValue); // null
 * ```
 */
export function readValueOrNull<T>(
  entry: { key: Deno.KvKey; value: unknown },
  location: string,
  check: ValueCheck<T>,
): T | null {
  return entry.value === null ? null : readValue(entry, location, check);
}

function fail(path: string, expected: string): never {
  throw new StoreValidationError(`${path} must be ${expected}`);
}

function object(v: unknown, path: string): Record<string, unknown> {
  return isRecord(v) ? v : fail(path, "an object");
}

function string(v: unknown, path: string): string {
  return typeof v === "string" ? v : fail(path, "a string");
}

function optionalString(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : string(v, path);
}

function number(v: unknown, path: string): number {
  return typeof v === "number" && Number.isFinite(v) ? v : fail(path, "a number");
}

function count(v: unknown, path: string): number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0
    ? v
    : fail(path, "a whole number >= 0");
}

function tokenTotals(v: unknown, path: string): TokenTotals {
  const t = object(v, path);
  return {
    input: number(t.input, `${path}.input`),
    output: number(t.output, `${path}.output`),
    cachedInput: number(t.cachedInput, `${path}.cachedInput`),
  };
}

/**
 * A {@linkcode SessionRecord} (at `["session", id]` and in the last-active
 * index). Every field it declares is checked; other fields are kept as found.
 *
 * @example
 * ```ts
 * import { sessionRecordValue } from "./values.ts";
 * const r = sessionRecordValue({
 *   id: "k3v9", title: "", createdAt: 0, lastActive: 0, messageCount: 0, firstSeq: 0,
 *   nextSeq: 0, tokens: { input: 0, output: 0, cachedInput: 0 }, cost: 0,
 * }, "value");
 * console.log(r.id); // k3v9
 * ```
 */
export function sessionRecordValue(value: unknown, path: string): SessionRecord {
  const r = object(value, path);
  const record: SessionRecord = {
    // Fields this version does not know stay (a record is written back after a change).
    ...r,
    id: string(r.id, `${path}.id`),
    title: string(r.title, `${path}.title`),
    createdAt: number(r.createdAt, `${path}.createdAt`),
    lastActive: number(r.lastActive, `${path}.lastActive`),
    messageCount: count(r.messageCount, `${path}.messageCount`),
    firstSeq: count(r.firstSeq, `${path}.firstSeq`),
    nextSeq: count(r.nextSeq, `${path}.nextSeq`),
    tokens: tokenTotals(r.tokens, `${path}.tokens`),
    cost: number(r.cost, `${path}.cost`),
  };
  const name = optionalString(r.name, `${path}.name`);
  const model = optionalString(r.model, `${path}.model`);
  const backend = optionalString(r.backend, `${path}.backend`);
  const systemPrompt = optionalString(r.systemPrompt, `${path}.systemPrompt`);
  if (name !== undefined) record.name = name;
  if (model !== undefined) record.model = model;
  if (backend !== undefined) record.backend = backend;
  if (systemPrompt !== undefined) record.systemPrompt = systemPrompt;
  return record;
}

/**
 * A writer lease (at `["lease", id]`).
 *
 * @example
 * ```ts
 * import { leaseValue } from "./values.ts";
 * const lease = leaseValue({
 *   pid: 42, host: "h", ownerId: "o", acquiredAt: 0, renewedAt: 0, expiresAt: 30_000,
 * }, "value");
 * console.log(lease.expiresAt); // 30000
 * ```
 */
export function leaseValue(value: unknown, path: string): LeaseValue {
  const l = object(value, path);
  return {
    pid: number(l.pid, `${path}.pid`),
    host: string(l.host, `${path}.host`),
    ownerId: string(l.ownerId, `${path}.ownerId`),
    acquiredAt: number(l.acquiredAt, `${path}.acquiredAt`),
    renewedAt: number(l.renewedAt, `${path}.renewedAt`),
    expiresAt: number(l.expiresAt, `${path}.expiresAt`),
  };
}

/**
 * A command alias (at `["alias", name]`).
 *
 * @example
 * ```ts
 * import { aliasValue } from "./values.ts";
 * aliasValue({ name: "gs", commands: ["/tools"], updatedAt: 0 }, "value").commands; // ["/tools"]
 * ```
 */
export function aliasValue(value: unknown, path: string): AliasRecord {
  const a = object(value, path);
  const commands = a.commands;
  if (!Array.isArray(commands)) fail(`${path}.commands`, "a list of commands");
  return {
    name: string(a.name, `${path}.name`),
    commands: commands.map((c, i) => string(c, `${path}.commands[${i}]`)),
    updatedAt: number(a.updatedAt, `${path}.updatedAt`),
  };
}

/**
 * A pending bulk delete (at `["sweep", id]`).
 *
 * @example
 * ```ts
 * import { sweepValue } from "./values.ts";
 * sweepValue({ kind: "clear", before: 7 }, "value"); // { kind: "clear", before: 7 }
 * ```
 */
export function sweepValue(value: unknown, path: string): SweepValue {
  const s = object(value, path);
  switch (s.kind) {
    case "delete":
    case "import":
      return { kind: s.kind };
    case "clear":
      return { kind: "clear", before: count(s.before, `${path}.before`) };
    default:
      return fail(`${path}.kind`, `"delete", "clear" or "import"`);
  }
}

/**
 * The sequence numbers `[from, to)` of pre-written chunks (at `["prewrite", id]`).
 *
 * @example
 * ```ts
 * import { prewriteValue } from "./values.ts";
 * prewriteValue({ from: 3, to: 4 }, "value"); // { from: 3, to: 4 }
 * ```
 */
export function prewriteValue(value: unknown, path: string): { from: number; to: number } {
  const p = object(value, path);
  return { from: count(p.from, `${path}.from`), to: count(p.to, `${path}.to`) };
}

/**
 * A session id (what `["session_name", name]` holds).
 *
 * @example
 * ```ts
 * import { sessionIdValue } from "./values.ts";
 * sessionIdValue("k3v9x2", "value"); // "k3v9x2"
 * ```
 */
export function sessionIdValue(value: unknown, path: string): string {
  return string(value, path);
}

/**
 * The schema version number (at `["meta", "schema_version"]`).
 *
 * @example
 * ```ts
 * import { schemaVersionValue } from "./values.ts";
 * schemaVersionValue(2, "value"); // 2
 * ```
 */
export function schemaVersionValue(value: unknown, path: string): number {
  return count(value, path);
}
