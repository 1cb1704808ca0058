/**
 * A one-line status on stderr for things that take longer than a moment:
 * waiting for the model's first token, a tool call's progress. Shown only on
 * a terminal, after a short delay (quick things never flicker), redrawn at
 * most every `intervalMs`, and erased before real output is written.
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** Options of a {@linkcode StatusLine}. */
export interface StatusLineOptions {
  /** Writes raw text to the terminal (stderr). */
  write(text: string): void;
  /** Whether the target is a terminal; when not, the status line stays silent. */
  enabled: boolean;
  /** Wait this long before showing anything (default 300 ms). */
  delayMs?: number;
  /** Least time between redraws (default 100 ms, `ui.progress_interval_ms`). */
  intervalMs?: number;
  clock?: Clock;
}

const ERASE = "\r\x1b[2K";

/**
 * The status line.
 *
 * @example
 * ```ts
 * import { StatusLine } from "./status.ts";
 * const status = new StatusLine({ write: (t) => Deno.stderr.writeSync(new TextEncoder().encode(t)), enabled: false });
 * status.set("waiting for the model…");
 * status.clear();
 * ```
 */
export class StatusLine {
  #options: StatusLineOptions;
  #clock: Clock;
  #text: string | undefined;
  #shown = false;
  #since = 0;
  #lastDraw = -Infinity;
  #timer: TimerHandle | undefined;
  /** Whether the pending timer only refreshes the elapsed time (a new text may preempt it). */
  #ticking = false;
  /** Held back (a question is on screen): nothing is drawn until `resume`. */
  #paused = false;

  constructor(options: StatusLineOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Sets the status text; it appears after the delay, then follows changes. */
  set(text: string): void {
    if (!this.#options.enabled) return;
    if (this.#text === undefined) this.#since = this.#clock.now();
    this.#text = text;
    if (!this.#paused) this.#schedule();
  }

  /**
   * Erases the status and draws nothing (no text change, no elapsed time) until
   * {@linkcode resume}: while a question is asked on its line.
   */
  pause(): void {
    this.#paused = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#shown) this.#options.write(ERASE);
    this.#shown = false;
  }

  /** Shows the status again after {@linkcode pause} (its elapsed time kept). */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    if (this.#text !== undefined) this.#schedule();
  }

  /** Erases the status (call before writing anything else to the terminal). */
  clear(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#text = undefined;
    if (this.#shown) this.#options.write(ERASE);
    this.#shown = false;
  }

  #schedule(): void {
    if (this.#timer !== undefined && this.#ticking) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#timer !== undefined) return;
    this.#ticking = false;
    const now = this.#clock.now();
    const delay = this.#options.delayMs ?? 300;
    const interval = this.#options.intervalMs ?? 100;
    const at = Math.max(this.#since + delay, this.#lastDraw + interval);
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#draw();
    }, Math.max(0, at - now));
  }

  #draw(): void {
    if (this.#text === undefined || this.#paused) return;
    const seconds = Math.floor((this.#clock.now() - this.#since) / 1000);
    const elapsed = seconds >= 1 ? ` (${seconds} s)` : "";
    this.#options.write(`${ERASE}${this.#text}${elapsed}`);
    this.#shown = true;
    this.#lastDraw = this.#clock.now();
    // Keep the elapsed time moving while nothing else changes.
    this.#ticking = true;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#draw();
    }, 1000);
  }
}

/**
 * Text of a progress update: `server tool 40% message` or `server tool 12 message`.
 *
 * @example
 * ```ts
 * import { progressText } from "./status.ts";
 * progressText("everything", "long-op", { progress: 2, total: 5, message: "step 2" }); // "everything long-op 40% step 2"
 * ```
 */
export function progressText(
  server: string,
  tool: string,
  update: { progress: number; total?: number; message?: string },
): string {
  const amount = update.total
    ? `${Math.round((100 * update.progress) / update.total)}%`
    : String(update.progress);
  return `${server} ${tool} ${amount}${update.message ? ` ${update.message}` : ""}`;
}
