/**
 * Exponential backoff with jitter: the one schedule used for supervisor
 * restarts, MCP reconnects and LLM retries.
 *
 * @module
 */

/** Shape of an exponential backoff schedule. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. */
  baseMs: number;
  /** Upper bound of any single delay, in milliseconds. */
  maxMs: number;
  /** Growth factor per attempt (default 2). */
  factor?: number;
  /**
   * Jitter mode: `"full"` picks uniformly in `[0, delay]` (AWS "full jitter",
   * best at spreading herds), `"equal"` in `[delay/2, delay]` (never too
   * short), `"none"` is deterministic. Default `"equal"`.
   */
  jitter?: "full" | "equal" | "none";
}

/**
 * Delay before retry number `attempt` (0-based). `random` returns a number in
 * `[0, 1)` and is injected so tests are deterministic.
 *
 * @example
 * ```ts
 * import { backoffDelay } from "./backoff.ts";
 * backoffDelay(3, { baseMs: 100, maxMs: 10_000, jitter: "none" }); // 800
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const factor = options.factor ?? 2;
  const exp = Math.min(options.maxMs, options.baseMs * factor ** Math.max(0, attempt));
  switch (options.jitter ?? "equal") {
    case "none":
      return exp;
    case "full":
      return Math.floor(random() * exp);
    case "equal":
      return Math.floor(exp / 2 + random() * (exp / 2));
  }
}
