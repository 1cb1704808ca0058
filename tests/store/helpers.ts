/**
 * Shared helpers of the store tests: temporary stores, a fake clock that
 * implements the util `Clock`, and child-process plumbing.
 *
 * @module
 */

import FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "../../lib/util/clock.ts";
import {
  type MessageStore,
  type MessageStoreOptions,
  openMessageStore,
} from "../../lib/store/mod.ts";

/** A controllable clock: `tick` moves time and fires due timers. */
export interface TestClock extends Clock {
  /** Advances time by `ms`, running due timers and awaiting their promises' microtasks. */
  tick(ms: number): Promise<void>;
  /** Moves the current time without firing timers. */
  set(now: number): void;
}

/**
 * A fake clock starting at `start` (default 2026-01-01T00:00:00Z).
 *
 * @example
 * ```ts ignore
 * const clock = fakeClock();
 * await clock.tick(1000);
 * ```
 */
export function fakeClock(start = Date.UTC(2026, 0, 1)): TestClock {
  const c = FakeTimers.createClock(start);
  return {
    now: () => c.now,
    setTimeout: (fn, ms) => c.setTimeout(fn, ms) as unknown as number,
    clearTimeout: (h) => c.clearTimeout(h as unknown as FakeTimers.TimerId),
    tick: async (ms) => {
      await c.tickAsync(ms);
    },
    set: (now) => c.setSystemTime(now),
  };
}

/** A fresh temporary directory, removed by the returned disposer. */
export async function tempDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "mcpchat-store-" });
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Opens a store at `dir/sessions.kv` with `options`. */
export function openAt(
  dir: string,
  options: Partial<MessageStoreOptions> = {},
): Promise<MessageStore> {
  return openMessageStore({ path: `${dir}/sessions.kv`, ...options });
}

/** A seeded pseudo-random source (mulberry32) for deterministic ids. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits (polling the event loop, bounded by attempts, not by wall time) until `cond()` holds. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  attempts = 2000,
): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("condition not reached");
}

/** URL of a fixture script under tests/fixtures/store. */
export function fixture(name: string): string {
  return new URL(`../fixtures/store/${name}`, import.meta.url).pathname;
}

/** Spawns `deno run` of a fixture with only read/write of `dir`, piping stdout. */
export function spawnFixture(
  name: string,
  dir: string,
  args: string[],
  extraFlags: string[] = [],
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--unstable-kv",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      ...extraFlags,
      fixture(name),
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
}

/** Reads `child`'s stdout line by line. */
export async function* lines(child: Deno.ChildProcess): AsyncGenerator<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        yield buf.slice(0, nl);
        buf = buf.slice(nl + 1);
      }
    }
    if (buf) yield buf;
  } finally {
    reader.releaseLock();
  }
}

/** Collects a child's stderr as text (for failure messages). */
export async function stderrText(child: Deno.ChildProcess): Promise<string> {
  return await new Response(child.stderr).text();
}
