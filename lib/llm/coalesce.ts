/**
 * Merges text pieces that are already waiting into one event, so a burst of
 * tokens crosses the worker boundary as a few messages instead of one per
 * token. A paced stream (tokens arriving one by one) passes unchanged and
 * undelayed; within a burst the added delay is at most a few macrotask turns.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { LlmEvent } from "./types.ts";

/** Most turns spent gathering one burst (bounds the added latency to ~0.2 ms). */
const MAX_TURNS = 8;
/** Text events closer than this are a burst (a paced 200 tokens/s stream is 5 ms apart). */
const BURST_GAP_MS = 1;

/** One macrotask turn (~20 µs): lets a network read's worth of parsed events queue up. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Reads `source` eagerly and yields its events in order, with adjacent
 * queued `text-delta`s joined (up to `maxChars` per event). Errors are
 * raised after the events that preceded them. Stopping early stops reading.
 *
 * @example
 * ```ts
 * import { coalesceText } from "./coalesce.ts";
 * async function* burst() {
 *   yield { type: "text-delta" as const, text: "a" };
 *   yield { type: "text-delta" as const, text: "b" };
 * }
 * const out = [];
 * for await (const e of coalesceText(burst())) out.push(e);
 * console.log(out); // [{ type: "text-delta", text: "ab" }] (or two events, if "b" came later)
 * ```
 */
export async function* coalesceText(
  source: AsyncIterable<LlmEvent>,
  maxChars = 8192,
  now: () => number = () => performance.now(),
): AsyncGenerator<LlmEvent, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: LlmEvent[] = [];
  /** When the previous and the latest text events arrived (ms). */
  let previousTextAt = -Infinity;
  let latestTextAt = -Infinity;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const pump = async () => {
    try {
      while (!stopped) {
        const step = await iterator.next();
        if (step.done) break;
        if (step.value.type === "text-delta") {
          previousTextAt = latestTextAt;
          latestTextAt = now();
        }
        queue.push(step.value);
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake?.();
    }
  };
  void pump();
  try {
    while (true) {
      if (queue.length === 0) {
        if (failure) throw failure.error;
        if (finished) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      const event = queue.shift()!;
      // Paced stream (text events further apart than BURST_GAP_MS): the event
      // leaves at once. Burst: take the text already waiting, and keep taking
      // while each macrotask turn brings more (bounded), so it leaves as one
      // message.
      const inBurst = latestTextAt - previousTextAt < BURST_GAP_MS;
      if (event.type !== "text-delta" || (!inBurst && queue[0]?.type !== "text-delta")) {
        yield event;
        continue;
      }
      let text = event.text;
      for (let turns = 0;; turns++) {
        while (queue[0]?.type === "text-delta" && text.length < maxChars) {
          text += (queue.shift() as typeof event).text;
        }
        if (finished || turns >= MAX_TURNS || queue.length > 0 || text.length >= maxChars) break;
        await nextTurn();
        if (queue.length === 0) break;
      }
      yield { type: "text-delta", text };
    }
  } finally {
    stopped = true;
    // Not awaited: a generator busy in next() would hold us until its next chunk.
    if (!finished) iterator.return?.().catch(() => {});
  }
}
