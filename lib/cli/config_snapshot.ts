/**
 * The config snapshot: what the config service's last load returned (the
 * validated config, its sources and warnings), kept with a digest of
 * everything that load depended on, so a one-shot run whose inputs are
 * unchanged takes the config from it and starts no config worker at all:
 * its MCP server processes and its LLM worker start from the config some
 * 50 ms sooner, and the process holds one worker less.
 *
 * The digest covers the content of every file the load read plus the config
 * file it would read by default (so creating that file counts), the values
 * of every variable the loader may read (hashed, never stored), the
 * `--config` argument, and the loader's own code (mcpchat's version and,
 * for a local install, the size and time of each file under `lib/config`).
 * A load is a function of exactly these, so a snapshot whose digest matches
 * is the answer the worker would give.
 *
 * A file modified less than {@linkcode RACY_MS} before the load began is
 * not snapshotted (the load may have read it before or after an edit whose
 * time is the same, as git treats "racily clean" files); the next run's
 * load keeps it.
 *
 * A load that took a secret from the environment (`MCPCHAT_MCP_SERVER_TOKEN`,
 * say) is not kept: what the user keeps in the environment stays out of
 * files. What the config files hold is copied, owner-only, to
 * `$XDG_CACHE_HOME/mcpchat/config-snapshots/` (one file per `--config`
 * argument, replaced by the next load).
 *
 * @module
 */

import { joinPath as join } from "../util/path.ts";
import { cacheDir, type Env } from "../config/paths.ts";
import { configEnvNames } from "../config/env_names.ts";
import { isSecretKey } from "../config/redact.ts";
import type { Config } from "../config/schema.ts";
import { readCacheJson, sha256Hex, writePrivateJson } from "./cache_file.ts";
import { isRecord, isStringArray } from "../util/json.ts";
import { VERSION } from "./version.ts";

/** What a config load returned, as a command uses it. */
export interface LoadedConfig {
  /** The validated configuration with defaults and computed fields. */
  config: Config;
  /** Files read, then `$VARIABLE`s that overrode settings. */
  sources: string[];
  /** Non-fatal findings, printed on every run. */
  warnings: string[];
}

/** The snapshot file's content. */
interface Snapshot {
  /** {@linkcode snapshotKey} of the inputs, as they were at the load. */
  key: string;
  /** The files the key covers. */
  files: string[];
  loaded: LoadedConfig;
}

/** Bumped when the snapshot's shape changes. */
const FORMAT = 1;

/** Files modified this close to the load's start (ms) are not trusted to match it. */
export const RACY_MS = 2_000;

/** Where the snapshot for a `--config` argument (`""`: none) is kept. */
export async function snapshotPath(env: Env, configArg: string): Promise<string> {
  const name = (await sha256Hex(configArg)).slice(0, 16);
  return join(cacheDir(env), "config-snapshots", `${name}.json`);
}

/**
 * The loader's code, as far as it can be told cheaply: mcpchat's version,
 * and for a local install (a checkout, where the code changes without a new
 * version) each `lib/config` file's name, size and modification time.
 */
async function loaderFingerprint(): Promise<unknown[]> {
  const dir = new URL("../config/", import.meta.url);
  if (dir.protocol !== "file:") return [VERSION, dir.href];
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".ts")) names.push(entry.name);
    }
    const stats = await Promise.all(
      names.sort().map(async (name) => {
        const info = await Deno.stat(new URL(name, dir));
        return [name, info.size, info.mtime?.getTime() ?? 0];
      }),
    );
    return [VERSION, stats];
  } catch {
    return [VERSION, dir.href, "unlisted"];
  }
}

/**
 * The digest of a load's inputs: the content of each of `files` (a missing
 * one counts as missing), the values of the variables the loader reads, the
 * `--config` argument and the loader's code. Throws when a file cannot be
 * read for another reason than being absent (then nothing is snapshotted).
 *
 * @example
 * ```ts
 * import { snapshotKey } from "./config_snapshot.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/c.toml`, "[llm]\n");
 * const before = await snapshotKey([`${dir}/c.toml`], { HOME: dir }, "");
 * await Deno.writeTextFile(`${dir}/c.toml`, "[llm]\ndefault = \"openai\"\n");
 * console.log(before === await snapshotKey([`${dir}/c.toml`], { HOME: dir }, "")); // false
 * console.log(before === await snapshotKey([`${dir}/c.toml`], { HOME: "/else" }, "")); // false
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function snapshotKey(files: string[], env: Env, configArg: string): Promise<string> {
  const contents = await Promise.all(files.map(async (file) => {
    try {
      return [file, await Deno.readTextFile(file)];
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [file, null];
      throw error;
    }
  }));
  const names = [...new Set(configEnvNames())].sort();
  return await sha256Hex(JSON.stringify([
    FORMAT,
    await loaderFingerprint(),
    configArg,
    contents,
    names.map((name) => [name, env[name] ?? null]),
  ]));
}

/**
 * The snapshot for `configArg`, when its inputs are what they were at the
 * load it kept; `undefined` otherwise (or when there is none, or it cannot
 * be read).
 *
 * @example
 * ```ts
 * import { readConfigSnapshot } from "./config_snapshot.ts";
 * console.log(await readConfigSnapshot({ XDG_CACHE_HOME: "/nonexistent" }, "")); // undefined
 * ```
 */
export async function readConfigSnapshot(
  env: Env,
  configArg: string,
): Promise<LoadedConfig | undefined> {
  try {
    const snapshot = await readCacheJson(await snapshotPath(env, configArg));
    if (!isSnapshot(snapshot)) return undefined;
    const key = await snapshotKey(snapshot.files, env, configArg);
    return key === snapshot.key ? snapshot.loaded : undefined;
  } catch {
    return undefined; // no HOME, an unreadable file: the config service loads it
  }
}

/**
 * Keeps `loaded` for the next run with the same `configArg`, unless a
 * setting came from a variable whose name says it is a secret, or a file it
 * read changed less than {@linkcode RACY_MS} before `loadStartedAt` (epoch
 * ms) or since. `candidate` is the file the loader reads by default,
 * covered by the key even when it does not exist yet. Resolves with whether
 * it was kept.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readConfigSnapshot, writeConfigSnapshot } from "./config_snapshot.ts";
 * const dir = await Deno.makeTempDir();
 * const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache` };
 * const file = `${dir}/config.toml`;
 * await Deno.writeTextFile(file, "# empty\n");
 * const config = JSON.parse('{"llm": {}}'); // a validated config, here a stand-in
 * const loaded = { config, sources: [file], warnings: [] };
 * // Just written: the load may have raced an edit, so it is not kept yet.
 * assert.equal(await writeConfigSnapshot(env, file, file, loaded, Date.now()), false);
 * assert.equal(await writeConfigSnapshot(env, file, file, loaded, Date.now() + 5_000), true);
 * assert.deepEqual(await readConfigSnapshot(env, file), loaded);
 * await Deno.writeTextFile(file, "# edited\n");
 * assert.equal(await readConfigSnapshot(env, file), undefined);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeConfigSnapshot(
  env: Env,
  configArg: string,
  candidate: string,
  loaded: LoadedConfig,
  loadStartedAt: number,
): Promise<boolean> {
  const variables = loaded.sources.filter((s) => s.startsWith("$")).map((s) => s.slice(1));
  if (variables.some(isSecretKey)) return false;
  const files = [...new Set([candidate, ...loaded.sources.filter((s) => !s.startsWith("$"))])];
  const key = await snapshotKey(files, env, configArg);
  // After the key: a file that changed (or appeared) since the load began shows it here.
  const times = await Promise.all(
    files.map((file) => Deno.stat(file).then((info) => info.mtime?.getTime() ?? Infinity, () => 0)),
  );
  if (times.some((time) => time > loadStartedAt - RACY_MS)) return false;
  const snapshot: Snapshot = {
    key,
    files,
    loaded: { config: loaded.config, sources: loaded.sources, warnings: loaded.warnings },
  };
  await writePrivateJson(await snapshotPath(env, configArg), snapshot);
  return true;
}

/**
 * Whether a parsed file has the snapshot's shape. The config inside is not
 * checked again: only this module writes the file, after the config service
 * validated it, and the key proves it belongs to these inputs.
 */
function isSnapshot(value: unknown): value is Snapshot {
  if (!isRecord(value) || !isRecord(value.loaded)) return false;
  const { key, files, loaded } = value;
  return typeof key === "string" && isStringArray(files) && isRecord(loaded.config) &&
    isStringArray(loaded.sources) && isStringArray(loaded.warnings);
}
