/**
 * When and how long to wait before retrying a failed LLM call.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "../util/backoff.ts";
import { LlmError } from "./errors.ts";

/** Retry settings (`[llm.retry]`). */
export interface RetryOptions {
  /** Attempts in total, the first included (default 3). */
  maxAttempts: number;
  /** First backoff delay (default 500 ms). */
  baseMs: number;
  /** Cap of a backoff delay; a longer `Retry-After` ends the retries (default 20 000 ms). */
  maxMs: number;
}

/** Defaults of {@linkcode RetryOptions}. */
export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 3, baseMs: 500, maxMs: 20_000 };

/**
 * Parses a `Retry-After` header: delta-seconds or an HTTP-date. Returns
 * milliseconds from `now`, or `undefined` when absent or unparsable.
 *
 * @example
 * ```ts
 * import { parseRetryAfter } from "./retry.ts";
 * parseRetryAfter("2", 0); // 2000
 * parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", Date.UTC(2015, 9, 21, 7, 27, 58)); // 2000
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Delay before retrying after `error` on attempt `attempt` (1-based), or
 * `undefined` when it must not be retried.
 *
 * @example
 * ```ts
 * import { retryDelay, DEFAULT_RETRY } from "./retry.ts";
 * import { LlmRateLimitError } from "./errors.ts";
 * retryDelay(new LlmRateLimitError("openai", { retryAfterMs: 1500 }), 1, DEFAULT_RETRY); // 1500
 * ```
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number | undefined {
  if (!(error instanceof LlmError) || !error.retryable) return undefined;
  if (attempt >= options.maxAttempts) return undefined;
  // `Retry-After` travels on the HTTP errors (LlmHttpError) as an own field.
  const hinted = "retryAfterMs" in error ? error.retryAfterMs : undefined;
  // A provider asking for a longer wait than we allow is not hammered early: give up instead.
  if (typeof hinted === "number") return hinted <= options.maxMs ? hinted : undefined;
  const backoff: BackoffOptions = { baseMs: options.baseMs, maxMs: options.maxMs, jitter: "full" };
  return backoffDelay(attempt - 1, backoff, random);
}
