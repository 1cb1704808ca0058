/**
 * Tool calls on screen as compact blocks: a header when a call starts
 * (server, tool, arguments pretty-printed and cut short), then, when it ends,
 * its status, duration and the first lines of its result with "… N more
 * lines" (after other calls' output, with the arguments that tell it apart). While calls run, a live region at the bottom has one line per call
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
  /** The arguments on one line (tells concurrent calls of one tool apart). */
  args: string;
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
  /** What the waiting line says ("waiting for the model"). */
  #waitingFor = "waiting for the model";
  /** Live lines held back while this many others own the screen (a question being asked). */
  #paused = 0;
  /** The call whose header is the last thing written (its result needs no name then). */
  #lastHeader: string | undefined;

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
      args: oneLineArguments(call.arguments),
      started: this.#clock.now(),
    });
    this.#lastHeader = call.id;
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
    const running = this.#running.get(call.id);
    this.#running.delete(call.id);
    this.#clearLive();
    const width = this.#width();
    const tool = sanitizeLine(call.tool);
    // Right under its own header the tool's name is enough; after other calls' output the
    // arguments tell two calls of one tool apart.
    const detached = this.#lastHeader !== call.id;
    this.#lastHeader = undefined;
    if (call.status === "denied") {
      this.#o.write(c.dim(`  ⎿ ${c.yellow("✗")} ${tool} not run (not approved)\n`));
    } else {
      const mark = call.isError ? c.red("✗") : c.green("✓");
      const result = sanitizeText(call.result ?? "").replace(/\s+$/, "");
      const lines = result ? result.split("\n") : [];
      const shown = lines.slice(0, this.#o.resultLines ?? 5);
      const head = `  ⎿ ${mark} ${formatDuration(call.durationMs)}` +
        (call.isError ? c.red(" · error") : "");
      const room = Math.max(1, width - stringWidth(head) - 4);
      let text = head +
        c.dim(` · ${callLabel(tool, detached ? running?.args ?? "" : "", room)}`) + "\n";
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
  thinking(what = "waiting for the model"): void {
    this.#thinkingSince = this.#clock.now();
    this.#waitingFor = what;
    this.#drawLive();
  }

  /** Erases the live lines (before anything else is written); they come back on the next event. */
  suspend(): void {
    this.#thinkingSince = undefined;
    this.#clearLive();
  }

  /**
   * Something else writes to the screen (a server's message): the live lines
   * are erased first and drawn again below it on the next tick.
   */
  hide(): void {
    if (this.#live.length === 0) return;
    const erase = this.#eraseSequence();
    this.#live = [];
    this.#o.write(erase);
    if (this.#running.size > 0 || this.#thinkingSince !== undefined) this.#schedule();
  }

  /**
   * Someone else owns the screen until `resume` (a question from a server, an
   * approval menu): no live lines are drawn meanwhile. Calls nest.
   */
  pause(): void {
    this.#paused++;
    this.#clearLive();
  }

  /** The screen is back: live lines are drawn again. */
  resume(): void {
    this.#paused = Math.max(0, this.#paused - 1);
    if (this.#paused === 0) this.#drawLive();
  }

  /**
   * Ends the turn: nothing live stays on screen; calls still running get
   * their last line (`cancelled` after Ctrl-C).
   */
  finish(reason?: "cancelled" | "not finished"): void {
    const c = this.#o.color;
    this.#thinkingSince = undefined;
    this.#clearLive();
    const width = this.#width();
    for (const call of this.#running.values()) {
      const head = `  ⎿ ${c.red("✗")} ${reason ?? "not finished"}`;
      const room = Math.max(1, width - stringWidth(head) - 4);
      this.#o.write(head + c.dim(` · ${callLabel(call.tool, call.args, room)}`) + "\n");
    }
    this.#running.clear();
  }

  #width(): number {
    return Math.max(20, this.#o.columns());
  }

  #drawLive(): void {
    if (!this.#o.live || this.#paused > 0) return;
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
          `${spin} ${this.#waitingFor} · ${Math.floor((now - this.#thinkingSince!) / 1000)} s`,
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
    const erase = this.#eraseSequence();
    this.#live = [];
    this.#o.write(erase);
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

/** Arguments on one line, `key=value …` (`""` when there are none). */
function oneLineArguments(args: unknown): string {
  if (args === undefined || args === null) return "";
  if (typeof args !== "object" || Array.isArray(args)) {
    return sanitizeLine(JSON.stringify(args) ?? "");
  }
  return sanitizeLine(
    Object.entries(args as Record<string, unknown>)
      .map(([key, value]) => `${key}=${JSON.stringify(value) ?? ""}`).join(" "),
  );
}

/**
 * A call's name for its result line, in `room` cells: the tool, and its
 * arguments when given; when short of room the name gives way first (down
 * to 10 cells), so two calls of one tool still read differently.
 */
function callLabel(tool: string, args: string, room: number): string {
  if (!args) return cut(tool, room);
  if (stringWidth(tool) + 1 + stringWidth(args) <= room) return `${tool} ${args}`;
  const name = cut(tool, Math.max(Math.min(8, room), room - stringWidth(args) - 1));
  return cut(`${name} ${args}`, room);
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
