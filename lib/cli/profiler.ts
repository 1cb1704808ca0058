/**
 * Start-up profiling (`MCPCHAT_STARTUP_PROFILING=1` or `--profile-startup`):
 * the time of each phase from process start, printed to stderr.
 *
 * @module
 */

/** Records named start-up phases. */
export class StartupProfiler {
  readonly enabled: boolean;
  #marks: { phase: string; at: number; rssMb?: number }[] = [];
  #reported = false;
  #now: () => number;
  #rss?: () => number;

  /**
   * `now` returns ms since process start (default `performance.now`); `rss`
   * the process's resident memory in bytes (workers included), when given.
   */
  constructor(enabled: boolean, now: () => number = () => performance.now(), rss?: () => number) {
    this.enabled = enabled;
    this.#now = now;
    this.#rss = rss;
  }

  /** Records that `phase` just finished. */
  mark(phase: string): void {
    if (!this.enabled) return;
    this.#marks.push({ phase, at: this.#now(), rssMb: this.#rss && this.#rss() / 2 ** 20 });
  }

  /** The report the first time it is asked for, then `""` (it is printed once). */
  reportOnce(): string {
    if (!this.enabled || this.#reported) return "";
    this.#reported = true;
    return this.report();
  }

  /** The phases so far: name, end time, and duration since the previous mark. */
  phases(): { phase: string; atMs: number; tookMs: number; rssMb?: number }[] {
    let previous = 0;
    return this.#marks.map(({ phase, at, rssMb }) => {
      const entry = { phase, atMs: at, tookMs: at - previous, rssMb };
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
      `  ${p.phase.padEnd(width)}  ${p.atMs.toFixed(1).padStart(7)}  ${
        `+${p.tookMs.toFixed(1)}`.padEnd(8)
      }${p.rssMb === undefined ? "" : `  ${p.rssMb.toFixed(0).padStart(4)} MB`}`.trimEnd()
    );
    return `startup profile (ms since process start${
      phases.some((p) => p.rssMb !== undefined) ? ", process RSS" : ""
    })\n${lines.join("\n")}\n`;
  }
}
