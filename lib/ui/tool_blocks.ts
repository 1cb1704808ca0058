/**
 * Tool calls on screen as compact blocks: a header when a call starts
 * (server, tool, arguments pretty-printed and cut short), then, when it ends,
 * its status, duration and the first lines of its result with "… N more
 * lines". While calls run, a live region at the bottom has one line per call
 * (spinner, elapsed time, MCP progress) and "Ctrl-C to cancel". Every live
 * line is cut to the width, so a redraw (up, clear to the end of the screen,
 * write) never leaves a stale copy behind, at any width.
 *
 * Everything foreign (arguments, results, progress messages) is sanitised.
 *
 * @module
 */

import stringWidth from "string-width";
import { sanitizeLine, sanitizeText } from "./sanitize.ts";
import { rowsAboveCursor } from "./reflow.ts";
import type { Palette } from "./output.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** Where blocks are drawn. */
export interface ToolBlocksOptions {
  write(text: string): void;
  color: Palette;
  columns(): number;
  /** Live lines (spinner, progress) only on a terminal. */
  live: boolean;
  clock?: Clock;
  /** Result lines shown (default 5). */
  resultLines?: number;
  /** Argument lines shown (default 6). */
  argumentLines?: number;
}

interface Running {
  server: string;
  tool: string;
  started: number;
  progress?: string;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const TICK_MS = 100;
/** Waiting shorter than this shows nothing. */
const THINKING_DELAY_MS = 300;

/**
 * The tool blocks of one turn.
 *
 * @example
 * ```ts
 * import { ToolBlocks } from "./tool_blocks.ts";
 * import { memoryOutput } from "./output.ts";
 * let out = "";
 * const blocks = new ToolBlocks({ write: (t) => void (out += t), color: memoryOutput().color, columns: () => 60, live: false });
 * blocks.start({ id: "1", server: "fs", tool: "read", arguments: { path: "a.txt" } });
 * blocks.end({ id: "1", server: "fs", tool: "read", status: "ok", isError: false, durationMs: 12, result: "one\ntwo" });
 * console.log(out.includes("✓ 12 ms · read")); // true
 * ```
 */
export class ToolBlocks {
  #o: ToolBlocksOptions;
  #clock: Clock;
  #running = new Map<string, Running>();
  /** Widths of the live rows on screen (the cursor at the end of the last). */
  #live: number[] = [];
  #timer: TimerHandle | undefined;
  #frame = 0;
  #thinkingSince: number | undefined;

  constructor(options: ToolBlocksOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** A call starts: its header, and a live line. */
  start(call: { id: string; server: string; tool: string; arguments: unknown }): void {
    const c = this.#o.color;
    this.#clearLive();
    const width = this.#width();
    const args = prettyArguments(call.arguments, this.#o.argumentLines ?? 6, width - 4);
    const tool = cut(sanitizeLine(call.tool), width - 4);
    const server = cut(
      `· ${sanitizeLine(call.server)}`,
      Math.max(0, width - 4 - stringWidth(tool)),
    );
    this.#o.write(
      `${c.cyan("⏺")} ${c.bold(tool)}${server.length > 2 ? ` ${c.dim(server)}` : ""}\n` +
        args.map((line) => c.dim(`  ${line}`) + "\n").join(""),
    );
    this.#running.set(call.id, {
      server: sanitizeLine(call.server),
      tool: sanitizeLine(call.tool),
      started: this.#clock.now(),
    });
    this.#drawLive();
  }

  /** A call's MCP progress notification. */
  progress(update: { callId?: string; progress: number; total?: number; message?: string }): void {
    const call = update.callId ? this.#running.get(update.callId) : undefined;
    if (!call) return;
    // The amount first: at any width, what is cut off is the least useful part.
    const amount = update.total
      ? `${Math.round((100 * update.progress) / update.total)}%`
      : String(update.progress);
    call.progress = sanitizeLine(
      `${amount} ${call.tool}${update.message ? ` ${update.message}` : ""}`,
    );
    this.#drawLive();
  }

  /** A call ends: status, duration, the first lines of its result. */
  end(call: {
    id: string;
    server: string;
    tool: string;
    status: string;
    isError: boolean;
    durationMs: number;
    result?: string;
  }): void {
    const c = this.#o.color;
    this.#running.delete(call.id);
    this.#clearLive();
    const width = this.#width();
    const tool = sanitizeLine(call.tool);
    if (call.status === "denied") {
      this.#o.write(c.dim(`  ⎿ ${c.yellow("✗")} ${tool} not run (not approved)\n`));
    } else {
      const mark = call.isError ? c.red("✗") : c.green("✓");
      const result = sanitizeText(call.result ?? "").replace(/\s+$/, "");
      const lines = result ? result.split("\n") : [];
      const shown = lines.slice(0, this.#o.resultLines ?? 5);
      let text = `  ⎿ ${mark} ${formatDuration(call.durationMs)}` +
        (call.isError ? c.red(" · error") : "") +
        c.dim(` · ${cut(tool, Math.max(1, width - 20))}`) + "\n";
      for (const line of shown) text += c.dim(`    ${cut(line, width - 5)}`) + "\n";
      if (lines.length > shown.length) {
        text += c.dim(`    … ${lines.length - shown.length} more lines`) + "\n";
      }
      this.#o.write(text);
    }
    this.#drawLive();
  }

  /**
   * The model is working on an answer: after a short delay (quick answers
   * never flicker) a live line with a spinner, the seconds and how to cancel.
   */
  thinking(): void {
    this.#thinkingSince = this.#clock.now();
    this.#drawLive();
  }

  /** Erases the live lines (before anything else is written); they come back on the next event. */
  suspend(): void {
    this.#thinkingSince = undefined;
    this.#clearLive();
  }

  /** Ends the turn: nothing live stays on screen. */
  finish(): void {
    this.#running.clear();
    this.#thinkingSince = undefined;
    this.#clearLive();
  }

  #width(): number {
    return Math.max(20, this.#o.columns());
  }

  #drawLive(): void {
    if (!this.#o.live) return;
    const now = this.#clock.now();
    const thinking = this.#thinkingSince !== undefined && this.#running.size === 0;
    if (this.#running.size === 0 && !thinking) {
      this.#clearLive();
      return;
    }
    if (thinking && now - this.#thinkingSince! < THINKING_DELAY_MS) {
      this.#schedule();
      return;
    }
    const c = this.#o.color;
    const width = this.#width();
    const spin = SPINNER[this.#frame % SPINNER.length];
    const rows = thinking
      ? [
        c.dim(cut(
          `${spin} waiting for the model · ${Math.floor((now - this.#thinkingSince!) / 1000)} s`,
          width - 1,
        )),
      ]
      : [...this.#running.values()].map((call) => {
        const seconds = Math.floor((now - call.started) / 1000);
        const text = `${spin} ${seconds} s · ${call.progress ?? `${call.tool} · ${call.server}`}`;
        return c.dim(cut(text, width - 1));
      });
    rows.push(c.dim(cut("Ctrl-C to cancel", width - 1)));
    let out = this.#eraseSequence();
    out += rows.join("\n");
    this.#o.write(out);
    this.#live = rows.map((row) => stringWidth(row));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#frame++;
      if (this.#running.size > 0 || this.#thinkingSince !== undefined) this.#drawLive();
    }, TICK_MS);
  }

  #eraseSequence(): string {
    if (this.#live.length === 0) return "";
    // Counted at the width now: after a resize the terminal has re-wrapped these rows.
    const last = this.#live.length - 1;
    const up = rowsAboveCursor(this.#live, last, this.#live[last], this.#width());
    return `${up > 0 ? `\x1b[${up}A` : ""}\r\x1b[J`;
  }

  #clearLive(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#live.length === 0) return;
    this.#o.write(this.#eraseSequence());
    this.#live = [];
  }
}

/** Arguments as indented JSON, at most `maxLines` lines, each cut to `width`. */
function prettyArguments(args: unknown, maxLines: number, width: number): string[] {
  if (args === undefined || args === null) return [];
  if (typeof args === "object" && Object.keys(args as object).length === 0) return [];
  const lines = sanitizeText(JSON.stringify(args, null, 2) ?? "").split("\n");
  const shown = lines.slice(0, maxLines).map((l) => cut(l, width));
  if (lines.length > maxLines) shown.push(`… ${lines.length - maxLines} more lines`);
  return shown;
}

/** `text` cut to `width` display cells, with `…` when cut. */
function cut(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = "";
  let w = 0;
  for (const ch of text) {
    const cw = stringWidth(ch);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
