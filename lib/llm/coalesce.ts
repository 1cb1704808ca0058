/**
 * Merges text pieces that are already waiting into one event, so a burst of
 * tokens crosses the worker boundary as a few messages instead of one per
 * token. A paced stream (tokens arriving one by one) passes unchanged; the
 * added delay is one macrotask turn (~20 µs) per text event.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import type { LlmEvent } from "./types.ts";

/** Most turns spent gathering one burst (bounds the added latency to ~0.1 ms). */
const MAX_TURNS = 4;

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
): AsyncGenerator<LlmEvent, void, undefined> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: LlmEvent[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const pump = async () => {
    try {
      while (!stopped) {
        const step = await iterator.next();
        if (step.done) break;
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
      if (event.type !== "text-delta") {
        yield event;
        continue;
      }
      // In a burst more text keeps arriving turn after turn: wait while it does
      // (bounded), so it leaves as one message. A paced stream waits one turn.
      let waited = 0;
      while (!finished && waited < MAX_TURNS) {
        const before = queue.length;
        await nextTurn();
        waited++;
        if (queue.length === before) break;
      }
      if (queue[0]?.type !== "text-delta") {
        yield event;
        continue;
      }
      let text = event.text;
      while (queue[0]?.type === "text-delta" && text.length < maxChars) {
        text += (queue.shift() as typeof event).text;
      }
      yield { type: "text-delta", text };
    }
  } finally {
    stopped = true;
    // Not awaited: a generator busy in next() would hold us until its next chunk.
    if (!finished) iterator.return?.().catch(() => {});
  }
}
