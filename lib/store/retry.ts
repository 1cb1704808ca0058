/**
 * Retry of KV operations that fail because another process holds the
 * SQLite write lock ("database is locked"), which Deno KV reports as a
 * `TypeError` under contention between processes.
 *
 * @module
 */

import { backoffDelay } from "../util/backoff.ts";
import { type Clock, sleep } from "../util/clock.ts";
import { StoreLockedError } from "./errors.ts";

/** Tuning of {@linkcode withLockRetry}. */
export interface LockRetryOptions {
  /** Clock used to wait between attempts. */
  clock: Clock;
  /** Random source in [0, 1) for jitter. */
  random?: () => number;
  /** Attempts before giving up (default 40, about 10 s in total). */
  maxAttempts?: number;
  /** Called before each retry (for lock-contention figures in `/stats`). */
  onRetry?: (attempt: number) => void;
  /** First delay in ms (default 2). */
  baseMs?: number;
  /** Largest delay in ms (default 500). */
  maxMs?: number;
}

/**
 * True when `e` is SQLite's transient lock error as surfaced by Deno KV.
 *
 * @example
 * ```ts
 * import { isLockedError } from "./retry.ts";
 * isLockedError(new TypeError("database is locked")); // true
 * ```
 */
export function isLockedError(e: unknown): boolean {
  return e instanceof Error && /database is (locked|busy)|SQLITE_BUSY/i.test(e.message);
}

/**
 * Runs `op`, retrying with jittered exponential backoff while it fails with
 * a lock error; other errors propagate at once. After the budget it throws
 * {@linkcode StoreLockedError} with the last error as cause.
 *
 * @example
 * ```ts
 * import { withLockRetry } from "./retry.ts";
 * import { systemClock } from "../util/clock.ts";
 * const value = await withLockRetry(() => Promise.resolve(42), { clock: systemClock });
 * ```
 */
export async function withLockRetry<T>(
  op: () => Promise<T>,
  options: LockRetryOptions,
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 40;
  for (let attempt = 0;; attempt++) {
    try {
      return await op();
    } catch (e) {
      if (!isLockedError(e)) throw e;
      if (attempt + 1 >= maxAttempts) throw new StoreLockedError(maxAttempts, { cause: e });
      options.onRetry?.(attempt);
      const delay = backoffDelay(
        attempt,
        { baseMs: options.baseMs ?? 2, maxMs: options.maxMs ?? 500, jitter: "full" },
        options.random,
      );
      await sleep(options.clock, Math.max(1, delay));
    }
  }
}
