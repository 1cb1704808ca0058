/**
 * Start-up profiling (`MCPCHAT_STARTUP_PROFILING=1` or `--profile-startup`):
 * the time of each phase from process start, printed to stderr.
 *
 * @module
 */

/** Records named start-up phases. */
export class StartupProfiler {
  readonly enabled: boolean;
  #marks: { phase: string; at: number }[] = [];
  #reported = false;
  #now: () => number;

  /** `now` returns ms since process start (default `performance.now`). */
  constructor(enabled: boolean, now: () => number = () => performance.now()) {
    this.enabled = enabled;
    this.#now = now;
  }

  /** Records that `phase` just finished. */
  mark(phase: string): void {
    if (this.enabled) this.#marks.push({ phase, at: this.#now() });
  }

  /** The report the first time it is asked for, then `""` (it is printed once). */
  reportOnce(): string {
    if (!this.enabled || this.#reported) return "";
    this.#reported = true;
    return this.report();
  }

  /** The phases so far: name, end time, and duration since the previous mark. */
  phases(): { phase: string; atMs: number; tookMs: number }[] {
    let previous = 0;
    return this.#marks.map(({ phase, at }) => {
      const entry = { phase, atMs: at, tookMs: at - previous };
      previous = at;
      return entry;
    });
  }

  /**
   * The report as aligned text lines.
   *
   * @example
   * ```ts
   * import { StartupProfiler } from "./profiler.ts";
   * let t = 0;
   * const p = new StartupProfiler(true, () => (t += 5));
   * p.mark("config");
   * console.log(p.report().includes("config")); // true
   * ```
   */
  report(): string {
    const phases = this.phases();
    const width = Math.max(0, ...phases.map((p) => p.phase.length));
    const lines = phases.map((p) =>
      `  ${p.phase.padEnd(width)}  ${p.atMs.toFixed(1).padStart(7)}  +${p.tookMs.toFixed(1)}`
    );
    return `startup profile (ms since process start)\n${lines.join("\n")}\n`;
  }
}
