/**
 * Refuses to open anything at the KV path that is not a Deno KV database.
 * `Deno.openKv` happily adds its tables to any SQLite file (another
 * program's database would be silently modified) and fails late on others,
 * so the file is inspected read-only first.
 *
 * @module
 */

import { ForeignKvFileError } from "./errors.ts";

const SQLITE_MAGIC = "SQLite format 3\0";
/** A statement of the Deno KV SQLite schema (denokv `sqlite` backend). */
const KV_SCHEMA_MARKER = "CREATE TABLE kv (";
const HEAD_BYTES = 64 * 1024;
const WAL_BYTES = 1024 * 1024;

/** Result of {@linkcode classifyKvFile}. */
export type KvFileVerdict =
  | { ok: true; state: "empty" | "kv" | "empty-sqlite" }
  | { ok: false; reason: string };

const latin1 = new TextDecoder("latin1");

function looksLikeText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 512);
  let printable = 0;
  for (const b of sample) {
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 128) printable++;
  }
  return sample.length > 0 && printable / sample.length > 0.95;
}

/**
 * Classifies the first bytes of a KV file (and of its `-wal` file, which
 * holds the schema of a store that was never checkpointed). Pure.
 *
 * @example
 * ```ts
 * import { classifyKvFile } from "./file_check.ts";
 * classifyKvFile(new TextEncoder().encode("hello")); // { ok: false, reason: "..." }
 * ```
 */
export function classifyKvFile(head: Uint8Array, wal?: Uint8Array): KvFileVerdict {
  if (head.length === 0) return { ok: true, state: "empty" };
  const magic = latin1.decode(head.subarray(0, 16));
  if (magic !== SQLITE_MAGIC) {
    return {
      ok: false,
      reason: looksLikeText(head)
        ? "it is a text file, not a SQLite database"
        : "it is not a SQLite database",
    };
  }
  const text = latin1.decode(head);
  if (text.includes(KV_SCHEMA_MARKER)) return { ok: true, state: "kv" };
  if (wal && latin1.decode(wal).includes(KV_SCHEMA_MARKER)) return { ok: true, state: "kv" };
  // Page 1 holds the schema table; its b-tree header follows the 100-byte file header.
  const pageType = head[100];
  const cells = head.length > 104 ? (head[103] << 8) | head[104] : 0;
  if (pageType === 0x0d && cells === 0) return { ok: true, state: "empty-sqlite" };
  const tables = [...text.matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?["`[]?([\w$]+)/gi)]
    .map((m) => m[1]);
  return {
    ok: false,
    reason: tables.length > 0
      ? `it is a SQLite database of another program (tables: ${tables.slice(0, 5).join(", ")})`
      : "it is a SQLite database without the Deno KV tables",
  };
}

async function readHead(path: string, max: number): Promise<Uint8Array | undefined> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  try {
    const buf = new Uint8Array(max);
    let filled = 0;
    while (filled < max) {
      const n = await file.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
    }
    return buf.subarray(0, filled);
  } finally {
    file.close();
  }
}

/**
 * Checks the file at `path` read-only. Resolves `"missing"` when there is no
 * file, `"ok"` when it is (or may become) a Deno KV database, and throws
 * {@linkcode ForeignKvFileError} otherwise. Needs only `read` of the path.
 *
 * @example
 * ```ts
 * import { checkKvFile } from "./file_check.ts";
 * await checkKvFile("/tmp/does-not-exist.kv"); // "missing"
 * ```
 */
export async function checkKvFile(path: string): Promise<"missing" | "ok"> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "missing";
    throw e;
  }
  if (!info.isFile) {
    throw new ForeignKvFileError(
      path,
      info.isDirectory ? "it is a directory" : "it is not a regular file",
    );
  }
  const head = await readHead(path, HEAD_BYTES) ?? new Uint8Array();
  let verdict = classifyKvFile(head);
  if (!verdict.ok && head.length > 0 && latin1.decode(head.subarray(0, 16)) === SQLITE_MAGIC) {
    const wal = await readHead(`${path}-wal`, WAL_BYTES);
    if (wal) verdict = classifyKvFile(head, wal);
  }
  if (!verdict.ok) throw new ForeignKvFileError(path, verdict.reason);
  return "ok";
}
