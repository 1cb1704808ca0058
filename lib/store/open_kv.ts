/**
 * Getting a Deno KV handle for a store location: a local directory and file
 * created user-only (a foreign or damaged file refused untouched), a remote
 * KV Connect URL, or `:memory:`; failures mapped to typed errors that say
 * what to do. Internal to `lib/store` (`openMessageStore` uses it).
 *
 * @module
 */

import { StoreCorruptedError, StoreError } from "./errors.ts";
import { errorMessage } from "../util/errors.ts";
import { checkKvFile } from "./file_check.ts";
import type { KvLocation } from "./location.ts";

/**
 * What `Deno.openKv` is given for `location`: the path, the URL, or `:memory:`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kvTarget } from "./open_kv.ts";
 * assert.equal(kvTarget({ kind: "memory" }), ":memory:");
 * ```
 */
export function kvTarget(location: KvLocation): string {
  switch (location.kind) {
    case "local":
      return location.path;
    case "remote":
      return location.url;
    case "memory":
      return ":memory:";
  }
}

async function prepareLocal(path: string, dir: string): Promise<void> {
  let created = false;
  try {
    await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    created = true;
  }
  // mkdir's mode is filtered by the umask; make a directory we created user-only.
  if (created && Deno.build.os !== "windows") await Deno.chmod(dir, 0o700);
  if (await checkKvFile(path) === "missing") {
    try {
      const f = await Deno.open(path, { createNew: true, write: true, mode: 0o600 });
      f.close();
      if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e; // another process created it first
      await checkKvFile(path);
    }
  }
}

/**
 * Warnings when the data directory or KV file is open to other users (the
 * file holds conversations and OAuth tokens). Nothing is changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permissionWarnings } from "./open_kv.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/sessions.kv`, "", { mode: 0o600 });
 * await Deno.chmod(dir, 0o755);
 * const warnings = await permissionWarnings(dir, `${dir}/sessions.kv`);
 * if (Deno.build.os !== "windows") assert.match(warnings[0], /chmod 700/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function permissionWarnings(dir: string, path: string): Promise<string[]> {
  if (Deno.build.os === "windows") return [];
  const out: string[] = [];
  for (const [p, want] of [[dir, 0o700], [path, 0o600]] as const) {
    const mode = (await Deno.stat(p).catch(() => null))?.mode;
    if (mode !== null && mode !== undefined && (mode & 0o077) !== 0) {
      out.push(
        `${p} is accessible to other users (mode ${(mode & 0o777).toString(8)}); it holds your ` +
          `conversations and OAuth tokens: chmod ${want.toString(8)} "${p}"`,
      );
    }
  }
  return out;
}

function isAccessProblem(e: unknown): boolean {
  return e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable ||
    (e instanceof Error &&
      /readonly database|read-only file system|unable to open database/i.test(e.message));
}

/**
 * The SQLite message when `e` says the file is not a readable database, else undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sqliteProblem } from "./open_kv.ts";
 * assert.equal(sqliteProblem(new Error("file is not a database")), "file is not a database");
 * assert.equal(sqliteProblem(new Error("timeout")), undefined);
 * ```
 */
export function sqliteProblem(e: unknown): string | undefined {
  const msg = errorMessage(e);
  return /not a database|malformed|corrupt|disk image|file is encrypted/i.test(msg)
    ? msg
    : undefined;
}

/**
 * Opens the KV database at `location` (preparing a local directory and file
 * first), running the open under `retry` (Deno KV's own schema setup can
 * meet another process's write lock). Throws `STORE_PERMISSION`,
 * {@linkcode StoreCorruptedError} or `STORE_REMOTE` with what to do.
 *
 * @example
 * ```ts
 * import { openKv } from "./open_kv.ts";
 * const kv = await openKv({ kind: "memory" }, (op) => op());
 * kv.close();
 * ```
 */
export async function openKv(
  location: KvLocation,
  retry: <T>(op: () => Promise<T>) => Promise<T>,
): Promise<Deno.Kv> {
  const target = kvTarget(location);
  try {
    if (location.kind === "local") await prepareLocal(location.path, location.dir);
    return await retry(() => Deno.openKv(target));
  } catch (e) {
    if (location.kind === "local" && isAccessProblem(e)) {
      throw new StoreError(
        "STORE_PERMISSION",
        `cannot open the session store ${target}: ${errorMessage(e)}; make sure ` +
          `${location.dir} is yours and writable (and that the store worker may read and write ` +
          `it), or choose another directory with MCPCHAT_DATA_DIR or [session] data_dir`,
        { cause: e },
      );
    }
    const problem = sqliteProblem(e);
    if (location.kind === "local" && problem) {
      throw new StoreCorruptedError(target, problem, { cause: e });
    }
    if (location.kind === "remote") {
      throw new StoreError(
        "STORE_REMOTE",
        `cannot open the remote session store ${target}: ${errorMessage(e)}; check ` +
          `MCPCHAT_KV_URL and DENO_KV_ACCESS_TOKEN`,
        { cause: e },
      );
    }
    throw e;
  }
}
