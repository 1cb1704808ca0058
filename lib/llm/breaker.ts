/**
 * Circuit breaker per provider (the seed's CircuitBreaker.LLM).
 *
 * closed → open after `failureThreshold` consecutive failures; open for
 * `resetMs`; then half-open lets ONE trial call through at a time; after
 * `halfOpenSuccesses` successful trials it closes, a failed trial re-opens it.
 *
 * Written here rather than taken from cockatiel because a streamed call needs
 * the permit and its outcome as separate steps (acquire before the request,
 * record when the stream ends), cockatiel only wraps `execute(fn)`, and its
 * timing reads `Date.now()` directly where we inject a {@linkcode Clock}.
 *
 * @module
 */

import { type Clock, systemClock } from "../util/clock.ts";

/** Breaker settings. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit (default 3). */
  failureThreshold?: number;
  /** How long the circuit stays open before a trial (default 60 000 ms). */
  resetMs?: number;
  /** Successful trials needed to close again (default 1). */
  halfOpenSuccesses?: number;
  clock?: Clock;
  /** Called on every state change (for `/health` events). */
  onStateChange?: (state: BreakerState, previous: BreakerState) => void;
}

/** Breaker state. */
export type BreakerState = "closed" | "open" | "half-open";

/** What `/health` shows for one breaker. */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutiveFailures: number;
  /** Epoch ms when the circuit opened, if open or half-open. */
  openedAt?: number;
  /** Milliseconds until a trial is allowed (open only). */
  retryInMs?: number;
  totalFailures: number;
  totalSuccesses: number;
  /** Calls refused while open. */
  rejected: number;
  lastError?: string;
}

/** Outcome handle for one admitted call: report exactly one of these. */
export interface BreakerPermit {
  success(): void;
  failure(error?: string): void;
  /** The call ended without saying anything about the provider (cancelled, bad request). */
  release(): void;
}

/**
 * A circuit breaker with an injected clock.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from "./breaker.ts";
 * const breaker = new CircuitBreaker({ failureThreshold: 2 });
 * const permit = breaker.tryAcquire();
 * if (permit) permit.success();
 * console.log(breaker.snapshot().state); // "closed"
 * ```
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #resetMs: number;
  readonly #halfOpenSuccesses: number;
  readonly #clock: Clock;
  readonly #onStateChange?: BreakerOptions["onStateChange"];
  #state: BreakerState = "closed";
  #failures = 0;
  #openedAt = 0;
  #trialInFlight = false;
  #trialSuccesses = 0;
  #totalFailures = 0;
  #totalSuccesses = 0;
  #rejected = 0;
  #lastError?: string;

  constructor(options: BreakerOptions = {}) {
    this.#threshold = Math.max(1, options.failureThreshold ?? 3);
    this.#resetMs = Math.max(0, options.resetMs ?? 60_000);
    this.#halfOpenSuccesses = Math.max(1, options.halfOpenSuccesses ?? 1);
    this.#clock = options.clock ?? systemClock;
    this.#onStateChange = options.onStateChange;
  }

  /** Current state (an open circuit whose time is up reports `half-open`). */
  get state(): BreakerState {
    this.#advance();
    return this.#state;
  }

  /** Milliseconds until an open circuit admits a trial; 0 otherwise. */
  retryInMs(): number {
    this.#advance();
    if (this.#state !== "open") return 0;
    return Math.max(0, this.#openedAt + this.#resetMs - this.#clock.now());
  }

  /**
   * Admits a call and returns its permit, or `undefined` when the circuit is
   * open (or half-open with its one trial already running).
   */
  tryAcquire(): BreakerPermit | undefined {
    this.#advance();
    if (this.#state === "open" || (this.#state === "half-open" && this.#trialInFlight)) {
      this.#rejected++;
      return undefined;
    }
    const trial = this.#state === "half-open";
    if (trial) this.#trialInFlight = true;
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (trial) this.#trialInFlight = false;
      fn();
    };
    return {
      success: () => settle(() => this.#onSuccess(trial)),
      failure: (error) => settle(() => this.#onFailure(trial, error)),
      release: () => settle(() => {}),
    };
  }

  /** Plain-data state for `/health`. */
  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      consecutiveFailures: this.#failures,
      openedAt: state === "closed" ? undefined : this.#openedAt,
      retryInMs: state === "open" ? this.retryInMs() : undefined,
      totalFailures: this.#totalFailures,
      totalSuccesses: this.#totalSuccesses,
      rejected: this.#rejected,
      lastError: this.#lastError,
    };
  }

  /** Closes the circuit by hand (e.g. after the user fixed the key). */
  reset(): void {
    this.#failures = 0;
    this.#trialSuccesses = 0;
    this.#set("closed");
  }

  #onSuccess(trial: boolean): void {
    this.#totalSuccesses++;
    this.#failures = 0;
    if (trial || this.#state === "half-open") {
      this.#trialSuccesses++;
      if (this.#trialSuccesses >= this.#halfOpenSuccesses) this.#set("closed");
    }
  }

  #onFailure(trial: boolean, error?: string): void {
    this.#totalFailures++;
    this.#failures++;
    this.#lastError = error;
    if (trial || this.#state === "half-open" || this.#failures >= this.#threshold) {
      this.#openedAt = this.#clock.now();
      this.#set("open");
    }
  }

  #advance(): void {
    if (this.#state === "open" && this.#clock.now() - this.#openedAt >= this.#resetMs) {
      this.#trialSuccesses = 0;
      this.#set("half-open");
    }
  }

  #set(state: BreakerState): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#onStateChange?.(state, previous);
  }
}
