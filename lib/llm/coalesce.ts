/**
 * Merges text pieces into one event per short window, so a stream crosses
 * the worker boundary as a few messages instead of one per token. Anything
 * that is not text (a tool call, usage, finish, an error) flushes the pending
 * text at once, so the end of a turn is never delayed.
 *
 * @module
 */

import { type Clock, systemClock } from "../util/clock.ts";
import type { LlmEvent } from "./types.ts";

/** Options of {@linkcode coalesceText}. */
export interface CoalesceOptions {
  /**
   * Longest time the first piece of text waits for more (default 16 ms, one
   * terminal frame). 0 merges only text that is already waiting.
   */
  windowMs?: number;
  /** Most characters in one event (default 8192). */
  maxChars?: number;
  clock?: Clock;
}

/**
 * Reads `source` eagerly and yields its events in order, with the text that
 * arrives within `windowMs` of a first piece joined into one `text-delta`.
 * Errors are raised after the events that preceded them. Stopping early stops
 * reading.
 *
 * @example
 * ```ts
 * import { coalesceText } from "./coalesce.ts";
 * async function* burst() {
 *   yield { type: "text-delta" as const, text: "a" };
 *   yield { type: "text-delta" as const, text: "b" };
 *   yield { type: "finish" as const, reason: "stop" as const };
 * }
 * const out = [];
 * for await (const e of coalesceText(burst())) out.push(e);
 * console.log(out); // [{ type: "text-delta", text: "ab" }, { type: "finish", reason: "stop" }]
 * ```
 */
export async function* coalesceText(
  source: AsyncIterable<LlmEvent>,
  options: CoalesceOptions = {},
): AsyncGenerator<LlmEvent, void, undefined> {
  const windowMs = options.windowMs ?? 16;
  const maxChars = options.maxChars ?? 8192;
  const clock = options.clock ?? systemClock;
  const iterator = source[Symbol.asyncIterator]();
  const queue: LlmEvent[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wake: (() => void) | undefined;
  const sleepUntilWoken = () => new Promise<void>((resolve) => (wake = resolve));
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
        await sleepUntilWoken();
        wake = undefined;
        continue;
      }
      const event = queue.shift()!;
      if (event.type !== "text-delta") {
        yield event;
        continue;
      }
      let text = event.text;
      let windowOver = windowMs <= 0;
      const timer = windowOver ? undefined : clock.setTimeout(() => {
        windowOver = true;
        wake?.();
      }, windowMs);
      try {
        while (true) {
          for (let next = queue[0]; next?.type === "text-delta" && text.length < maxChars;) {
            queue.shift();
            text += next.text;
            next = queue[0];
          }
          // Something else is waiting, the stream ended, or the window closed: send now.
          if (windowOver || queue.length > 0 || finished || text.length >= maxChars) break;
          await sleepUntilWoken();
          wake = undefined;
        }
      } finally {
        if (timer !== undefined) clock.clearTimeout(timer);
      }
      yield { type: "text-delta", text };
    }
  } finally {
    stopped = true;
    // Not awaited: a generator busy in next() would hold us until its next chunk.
    if (!finished) iterator.return?.().catch(() => {});
  }
}
