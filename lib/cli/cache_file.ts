/**
 * mcpchat's own small cache files under `$XDG_CACHE_HOME/mcpchat` (the LLM
 * worker's warm-start record, the config snapshot): written owner-only in
 * one step, so a reader sees the old file or the new one, never half of one;
 * read as "whatever is there, or nothing", since a cache may be deleted,
 * truncated or from another version at any time.
 *
 * @module
 */

import { dirnamePath as dirname } from "../util/path.ts";

/**
 * The SHA-256 digest of `text`, as 64 lower-case hex digits.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./cache_file.ts";
 * console.log((await sha256Hex("")).slice(0, 16)); // e3b0c44298fc1c14
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Writes `value` as JSON to `path`, mode 0600 (its directory 0700 when
 * created), through a temporary file renamed over it.
 *
 * @example
 * ```ts
 * import { readCacheJson, writePrivateJson } from "./cache_file.ts";
 * const dir = await Deno.makeTempDir();
 * await writePrivateJson(`${dir}/cache/x.json`, { a: 1 });
 * console.log(await readCacheJson(`${dir}/cache/x.json`)); // { a: 1 }
 * console.log((await Deno.stat(`${dir}/cache/x.json`)).mode! & 0o777); // 384 (0600)
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writePrivateJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    await Deno.writeTextFile(temp, JSON.stringify(value), { mode: 0o600 });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * The JSON in `path`, or `undefined` when it is missing, unreadable or not
 * JSON (a cache is only ever a head start).
 *
 * @example
 * ```ts
 * import { readCacheJson } from "./cache_file.ts";
 * console.log(await readCacheJson("/nonexistent/x.json")); // undefined
 * ```
 */
export async function readCacheJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return undefined;
  }
}
