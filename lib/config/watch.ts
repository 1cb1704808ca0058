/**
 * Live reload: watch the config file (and the files it references) and
 * produce a new load result, or the error, whenever one of them changes.
 *
 * @module
 */

import { ConfigError, type ConfigErrorData } from "./errors.ts";
import type { LoadConfigResult } from "./load.ts";
import { dirnamePath } from "../util/path.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** One outcome of a reload. */
export type ConfigUpdate =
  | { ok: true; result: LoadConfigResult }
  | { ok: false; error: ConfigErrorData };

/** The part of `Deno.FsWatcher` used here. */
export interface FileWatcher extends AsyncIterable<{ kind: string; paths: string[] }> {
  /** Stops watching; iteration then ends. */
  close(): void;
}

/** Options of {@linkcode watchConfig}. */
export interface WatchConfigOptions {
  /** Loads the config (the same call `load` makes). */
  load: () => Promise<LoadConfigResult>;
  /** The main config file, watched even before it exists. */
  configPath: string;
  /** Stops watching; the generator then returns. */
  signal: AbortSignal;
  /** Watcher factory; defaults to `Deno.watchFs` (needs read of the directories). */
  watchFs?: (paths: string[]) => FileWatcher;
  /**
   * Quiet time after the last change before reloading (default 50 ms), so a
   * truncate-then-write save is read once, complete.
   */
  debounceMs?: number;
  /** Timer source (default the system clock). */
  clock?: Clock;
}

type WatchEvent = { kind: string; paths: string[] };

/**
 * Waits for a change to one of `files`, then for `debounceMs` without any
 * further event. Returns false when the watcher ended (closed or aborted).
 */
async function settledChange(
  iterator: AsyncIterator<WatchEvent>,
  files: ReadonlySet<string>,
  debounceMs: number,
  clock: Clock,
): Promise<boolean> {
  while (true) {
    const event = await iterator.next();
    if (event.done) return false;
    if (event.value.paths.some((p) => files.has(p))) break;
  }
  while (true) {
    let handle: TimerHandle | undefined;
    const quiet = new Promise<"quiet">((resolve) => {
      handle = clock.setTimeout(() => resolve("quiet"), debounceMs);
    });
    const winner = await Promise.race([quiet, iterator.next()]);
    if (winner === "quiet") return true;
    if (handle !== undefined) clock.clearTimeout(handle);
    if (winner.done) return false;
  }
}

async function attempt(load: () => Promise<LoadConfigResult>): Promise<ConfigUpdate> {
  try {
    return { ok: true, result: await load() };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error: error.toJSON() };
    throw error;
  }
}

/**
 * Yields the current config (or error) first, then a new one after every
 * change to the config file or a file it read — only when the outcome
 * differs from the last one yielded, so an editor's burst of writes becomes
 * one update. Files are watched by directory, so a config created or
 * replaced (atomic save) later is seen too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchConfig } from "./watch.ts";
 * import { loadConfig } from "./load.ts";
 * const home = await Deno.makeTempDir();
 * const configPath = `${home}/config.toml`;
 * await Deno.writeTextFile(configPath, '[mcp]\nstartup_mode = "lazy"\n');
 * const stop = new AbortController();
 * const updates = watchConfig({
 *   load: () => loadConfig({ path: configPath, env: { HOME: home } }),
 *   configPath,
 *   signal: stop.signal,
 * });
 * const first = (await updates.next()).value;
 * assert.equal(first?.ok && first.result.config.mcp.startup_mode, "lazy");
 * // A typo saved in the editor: the next update is the error, with where it is.
 * await Deno.writeTextFile(configPath, '[mcp]\nstartup_mode = "lazzy"\n');
 * const second = (await updates.next()).value;
 * assert.equal(second?.ok, false);
 * assert.match(second?.ok === false ? second.error.message : "", /startup_mode/);
 * stop.abort();
 * assert.equal((await updates.next()).done, true);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function* watchConfig(options: WatchConfigOptions): AsyncGenerator<ConfigUpdate> {
  const watchFs = options.watchFs ?? ((paths: string[]) => Deno.watchFs(paths));
  const debounceMs = options.debounceMs ?? 50;
  const clock = options.clock ?? systemClock;
  let files = new Set([options.configPath]);
  let last: string | undefined;
  while (!options.signal.aborted) {
    // Watch first, then load: a change made while loading is not missed.
    const dirs = [...new Set([...files].map(dirnamePath))];
    const watcher = openWatcher(watchFs, dirs);
    const close = () => {
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    };
    options.signal.addEventListener("abort", close, { once: true });
    try {
      const current = await attempt(options.load);
      const text = JSON.stringify(current);
      if (text !== last) {
        last = text;
        yield current;
      }
      const now = new Set([options.configPath]);
      if (current.ok) {
        for (const source of current.result.sources) if (!source.startsWith("$")) now.add(source);
      } else {
        now.add(current.error.file);
      }
      const moved = [...now].some((f) => !dirs.includes(dirnamePath(f)));
      files = now;
      if (moved) continue; // a new servers_file elsewhere: watch its directory too
      const iterator = watcher[Symbol.asyncIterator]();
      if (!(await settledChange(iterator, files, debounceMs, clock))) continue;
    } finally {
      options.signal.removeEventListener("abort", close);
      close();
    }
  }
}

function openWatcher(watchFs: (paths: string[]) => FileWatcher, dirs: string[]): FileWatcher {
  try {
    return watchFs(dirs);
  } catch (error) {
    // A directory that does not exist (yet) cannot be watched: watch the rest.
    const existing = dirs.filter((d) => {
      try {
        return Deno.statSync(d).isDirectory;
      } catch {
        return false;
      }
    });
    if (existing.length === 0 || existing.length === dirs.length) throw error;
    return watchFs(existing);
  }
}
