/**
 * The LLM worker's warm start: what the last run learnt from the config (the
 * worker's permissions and the provider it used), kept so the next run can
 * spawn the worker and import its provider library while the config is
 * still being read.
 *
 * The record is only a guess. It is keyed by the config files the last run
 * read (path, size, mtime) and the variables the loader and the worker read
 * (hashed, never stored), so an edit or a changed variable skips the warm
 * start; and the runtime compares the guessed permissions with the ones the
 * loaded config gives before the worker gets its config or any request,
 * replacing the worker when they differ. A worker started from it never runs
 * a request with more than the config grants.
 *
 * Stored as `$XDG_CACHE_HOME/mcpchat/llm-worker.json`, mode 0600: one record
 * per `--config` argument (the default config's is `""`), the last
 * {@linkcode WARM_RECORDS} used.
 *
 * @module
 */

import { joinPath as join } from "../util/path.ts";
import { readCacheJson, sha256Hex, writePrivateJson } from "./cache_file.ts";
import { isRecord, isStringArray } from "../util/json.ts";
import { cacheDir, type Env } from "../config/paths.ts";
import { configEnvNames } from "../config/env_names.ts";
import type { LlmWorkerPermissions } from "../llm/permissions.ts";
import type { PluginPermissions } from "../plugin/permissions.ts";
import { BACKEND_KINDS, type BackendKind } from "../llm/types.ts";

/** How many configs' records the file keeps (the most recently used). */
export const WARM_RECORDS = 8;

/** What the last run's config gave the LLM worker. */
export interface LlmWarmRecord {
  /** The `--config` argument of that run (`""`: the default config). */
  for: string;
  /** {@linkcode warmKey} of the inputs below, as they were then. */
  key: string;
  /** The config files the last run read. */
  files: string[];
  /** The worker's permissions then. */
  permissions: LlmWorkerPermissions;
  /** The provider libraries the run used (imported early). */
  kinds: BackendKind[];
}

/** The record's file. */
export function warmRecordPath(env: Env): string {
  return join(cacheDir(env), "llm-worker.json");
}

/**
 * A digest of what the permissions derive from: each file's path, size and
 * mtime (a missing one counts as missing), the values of the variables the
 * config loader and the worker read, and `extra` (the `--config`
 * argument). Values are hashed, never kept.
 *
 * @example
 * ```ts
 * import { warmKey } from "./llm_warm.ts";
 * const a = await warmKey([], ["OPENAI_API_KEY"], { OPENAI_API_KEY: "a" }, []);
 * const b = await warmKey([], ["OPENAI_API_KEY"], { OPENAI_API_KEY: "b" }, []);
 * console.log(a === b); // false
 * ```
 */
export async function warmKey(
  files: string[],
  envNames: string[],
  env: Env,
  extra: string[],
): Promise<string> {
  const stats = await Promise.all(files.map(async (file) => {
    try {
      const s = await Deno.stat(file);
      return [file, s.size, s.mtime?.getTime() ?? 0];
    } catch {
      return [file, "missing"];
    }
  }));
  const names = [...new Set([...configEnvNames(), ...envNames])].sort();
  return await sha256Hex(JSON.stringify([stats, names.map((n) => [n, env[n] ?? null]), extra]));
}

/** The stored records, most recent first; what is not a record is left out. */
async function readAll(path: string): Promise<LlmWarmRecord[]> {
  const parsed = await readCacheJson(path);
  const records = typeof parsed === "object" && parsed !== null && "records" in parsed
    ? parsed.records
    : undefined;
  return Array.isArray(records) ? records.filter(isWarmRecord) : [];
}

/** The stored record for a `--config` argument (`""`: the default config), if any. */
export async function readWarmRecord(
  path: string,
  configArg = "",
): Promise<LlmWarmRecord | undefined> {
  return (await readAll(path)).find((r) => r.for === configArg);
}

/**
 * Stores the record (owner-only) in place of the one for the same `--config`
 * argument, replacing the file in one step.
 */
export async function writeWarmRecord(path: string, record: LlmWarmRecord): Promise<void> {
  const records = [record, ...(await readAll(path)).filter((r) => r.for !== record.for)]
    .slice(0, WARM_RECORDS);
  await writePrivateJson(path, { records });
}

/**
 * Whether two workers' permissions grant exactly the same: every kind, as
 * sets (a missing or empty list grants nothing).
 *
 * @example
 * ```ts
 * import { samePermissions } from "./llm_warm.ts";
 * console.log(samePermissions({ net: ["a:1"] }, { net: ["a:1"], env: [] })); // true
 * console.log(samePermissions({ net: ["a:1"] }, { net: ["a:1"], env: ["K"] })); // false
 * ```
 */
export function samePermissions(a: PluginPermissions, b: PluginPermissions): boolean {
  const list = (p: PluginPermissions, kind: string) =>
    [...new Set((p as Record<string, unknown[] | undefined>)[kind] ?? [])].map(String).sort();
  const kinds = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...kinds].every((kind) => {
    const x = list(a, kind);
    const y = list(b, kind);
    return x.length === y.length && x.every((v, i) => v === y[i]);
  });
}

function isWarmRecord(value: unknown): value is LlmWarmRecord {
  if (!isRecord(value) || !isRecord(value.permissions)) return false;
  const { key, files, permissions, kinds } = value;
  return typeof key === "string" && typeof value.for === "string" && isStringArray(files) &&
    isStringArray(permissions.net) && isStringArray(permissions.env) &&
    Array.isArray(kinds) && kinds.every((k) => BACKEND_KINDS.some((kind) => kind === k));
}
