/**
 * A request deadline that can stop counting: a tool call's timeout must not
 * run while the user reads a sampling approval or fills an elicitation form
 * that the same server asked for. Progress restarts it (as the SDK's
 * `resetTimeoutOnProgress` did).
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/**
 * Calls `onExpire` once `ms` of counted time have passed.
 *
 * @example
 * ```ts
 * import { PausableDeadline } from "./deadline.ts";
 * let expired = false;
 * const d = new PausableDeadline(50, () => (expired = true));
 * d.pause(); // the user is answering a form
 * d.resume(); // counting again, from the time that was left
 * d.clear();
 * console.log(expired); // false
 * ```
 */
export class PausableDeadline {
  readonly #ms: number;
  readonly #onExpire: () => void;
  readonly #clock: Clock;
  #remaining: number;
  #startedAt = 0;
  #timer?: TimerHandle;
  #paused = 0;
  #done = false;

  /** Starts counting at once. */
  constructor(ms: number, onExpire: () => void, clock: Clock = systemClock) {
    this.#ms = ms;
    this.#remaining = ms;
    this.#onExpire = onExpire;
    this.#clock = clock;
    this.#start();
  }

  /** Stops counting (nested pauses need as many resumes). */
  pause(): void {
    if (this.#done || this.#paused++ > 0) return;
    this.#stop();
    this.#remaining = Math.max(0, this.#remaining - (this.#clock.now() - this.#startedAt));
  }

  /** Counts again from the time that was left. */
  resume(): void {
    if (this.#done || this.#paused === 0 || --this.#paused > 0) return;
    this.#start();
  }

  /** Starts over with the whole time (progress from the server). */
  touch(): void {
    if (this.#done) return;
    this.#remaining = this.#ms;
    if (this.#paused === 0) {
      this.#stop();
      this.#start();
    }
  }

  /** Stops for good. */
  clear(): void {
    this.#done = true;
    this.#stop();
  }

  #start(): void {
    this.#startedAt = this.#clock.now();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#done = true;
      this.#onExpire();
    }, this.#remaining);
  }

  #stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
