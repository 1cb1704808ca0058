/**
 * A {@linkcode Clock} driven by `@sinonjs/fake-timers`, for tests of code
 * that takes an injected clock.
 *
 * @module
 */
import FakeTimers from "@sinonjs/fake-timers";
import type { Clock } from "../../lib/util/clock.ts";

/** A fake clock: the injected {@linkcode Clock} plus controls to move time. */
export interface FakeClock extends Clock {
  /** Advances time by `ms`, running due timers and settling promises in between. */
  tick(ms: number): Promise<void>;
  /** Runs every pending timer (repeatedly) until none is left. */
  runAll(): Promise<void>;
  /** Number of timers scheduled and not yet run. */
  pending(): number;
}

/**
 * Creates a fake clock starting at `start` ms.
 *
 * @example
 * ```ts
 * import { fakeClock } from "./fake_clock.ts";
 * const clock = fakeClock();
 * let fired = false;
 * clock.setTimeout(() => (fired = true), 100);
 * await clock.tick(100);
 * console.log(fired); // true
 * ```
 */
export function fakeClock(start = 1_000_000): FakeClock {
  const fake = FakeTimers.createClock(start);
  return {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms) as unknown as number,
    clearTimeout: (handle) => fake.clearTimeout(handle as unknown as FakeTimers.TimerId),
    tick: async (ms) => {
      await fake.tickAsync(ms);
    },
    runAll: async () => {
      await fake.runAllAsync();
    },
    pending: () => fake.countTimers(),
  };
}

/** Lets queued promise callbacks run (a few macrotask turns). */
export async function flush(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setTimeout(r, 0));
}
