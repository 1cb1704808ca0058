/**
 * How a chat turn looks on a terminal, the same in the REPL and in one-shot
 * text mode: the answer streams to stdout; tool calls, retries and a status
 * line (waiting for the model, a tool's progress) go to stderr. Everything
 * foreign (the model's text, tool names, servers' messages) is sanitised:
 * only mcpchat's own rendering sends escape sequences.
 *
 * @module
 */

import type { AgentEvent } from "../chat/agent.ts";
import type { Output } from "../ui/output.ts";
import { progressText, StatusLine } from "../ui/status.ts";
import { sanitizeLine, sanitizeText } from "../ui/sanitize.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** Silence mid-answer longer than this shows a waiting mark after the text. */
export const STALL_MS = 2_000;
/** Save the cursor; restore it and erase what follows (the inline waiting mark). */
const SAVE = "\x1b7";
const RESTORE_ERASE = "\x1b8\x1b[J";

/** One MCP progress update, as the manager's `progress` event carries it. */
export interface ProgressEvent {
  callId?: string;
  progress: number;
  total?: number;
  message?: string;
}

/**
 * Renders the events of one turn.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TurnView } from "./turn_view.ts";
 * import { memoryOutput } from "../ui/output.ts";
 * import type { AgentEvent } from "../chat/agent.ts";
 * const io = memoryOutput();
 * // The REPL passes `statusEnabled: Deno.stderr.isTerminal()`.
 * const view = new TurnView(io, { statusEnabled: false });
 * const events: AgentEvent[] = [
 *   { type: "tool-start", id: "c1", name: "fs__read", server: "fs", tool: "read", arguments: {} },
 *   {
 *     type: "tool-end",
 *     call: {
 *       id: "c1", name: "fs__read", server: "fs", tool: "read", arguments: {},
 *       result: "…", isError: false, status: "ok", durationMs: 12,
 *     },
 *   },
 *   { type: "text-delta", text: "The file says hi.\x1b[2J" }, // foreign escapes are removed
 * ];
 * for (const event of events) view.show(event);
 * view.finish();
 * assert.equal(io.stdout(), "The file says hi.\n"); // the answer: stdout
 * assert.match(io.stderr(), /fs/); // the tool call: stderr
 * ```
 */
export class TurnView {
  #io: Output;
  #status: StatusLine;
  #atLineStart = true;
  #running = new Map<string, { server: string; tool: string }>();
  #showArguments: boolean;
  #enabled: boolean;
  #clock: Clock;
  /** The answer stalled mid-line: when the silence began, the timer, whether the mark shows. */
  #stall: { since: number; timer?: TimerHandle; shown: boolean } | undefined;

  constructor(
    io: Output,
    options: {
      statusEnabled: boolean;
      intervalMs?: number;
      showArguments?: boolean;
      clock?: Clock;
    },
  ) {
    this.#io = io;
    this.#showArguments = options.showArguments ?? false;
    this.#enabled = options.statusEnabled;
    this.#clock = options.clock ?? systemClock;
    this.#status = new StatusLine({
      write: (text) => io.err(text),
      enabled: options.statusEnabled,
      intervalMs: options.intervalMs,
      clock: options.clock,
    });
  }

  /** Shows one event of the turn. */
  show(event: AgentEvent): void {
    const c = this.#io.errColor;
    this.#endStall();
    switch (event.type) {
      case "model-call":
        this.#status.set(c.dim("waiting for the model…"));
        break;
      case "text-delta":
        this.#status.clear();
        // Per chunk is enough: an escape split across chunks loses its ESC here.
        this.#io.out(sanitizeText(event.text));
        this.#atLineStart = event.text.endsWith("\n");
        this.#watchStall();
        break;
      case "tool-call":
        this.#status.clear();
        break;
      case "retry":
        this.#status.clear();
        this.#newLine();
        this.#io.err(
          c.dim(
            `retrying in ${Math.round(event.delayMs / 100) / 10} s: ${
              sanitizeLine(event.reason)
            }\n`,
          ),
        );
        break;
      case "tool-start": {
        this.#status.clear();
        this.#newLine();
        const server = sanitizeLine(event.server);
        const tool = sanitizeLine(event.tool);
        this.#running.set(event.id, { server, tool });
        const args = this.#showArguments ? ` ${sanitizeLine(JSON.stringify(event.arguments))}` : "";
        this.#io.err(c.dim(`→ ${server} ${tool}${args}\n`));
        this.#status.set(c.dim(`running ${server} ${tool}…`));
        break;
      }
      case "tool-end": {
        this.#running.delete(event.call.id);
        this.#status.clear();
        if (event.call.status === "denied") break;
        const mark = event.call.isError ? c.red("✗") : c.green("✓");
        this.#io.err(
          c.dim(
            `${mark} ${sanitizeLine(event.call.server)} ${
              sanitizeLine(event.call.tool)
            } (${event.call.durationMs} ms)\n`,
          ),
        );
        if (this.#running.size) {
          this.#status.set(c.dim(`running ${this.#running.size} tool calls…`));
        }
        break;
      }
    }
  }

  /** Shows a tool's progress notification in the status line. */
  progress(update: ProgressEvent): void {
    const call = update.callId ? this.#running.get(update.callId) : undefined;
    if (!call) return;
    const message = update.message === undefined ? undefined : sanitizeLine(update.message);
    this.#status.set(
      this.#io.errColor.dim(progressText(call.server, call.tool, { ...update, message })),
    );
  }

  /**
   * After text, silence: a status line at a line start; mid-line (it would
   * erase the answer's line) a dim mark after the text with the seconds
   * waited, removed when anything arrives.
   */
  #watchStall(): void {
    if (!this.#enabled) return;
    if (this.#atLineStart) {
      this.#status.set(this.#io.errColor.dim("waiting for the model…"));
      return;
    }
    const since = this.#clock.now();
    const stall: { since: number; timer?: TimerHandle; shown: boolean } = { since, shown: false };
    this.#stall = stall;
    const draw = () => {
      if (this.#stall !== stall) return;
      const seconds = Math.floor((this.#clock.now() - since) / 1000);
      this.#io.err(
        (stall.shown ? RESTORE_ERASE : "") + SAVE +
          this.#io.errColor.dim(` … waiting for the model (${seconds} s)`),
      );
      stall.shown = true;
      stall.timer = this.#clock.setTimeout(draw, 1_000);
    };
    stall.timer = this.#clock.setTimeout(draw, STALL_MS);
  }

  #endStall(): void {
    const stall = this.#stall;
    if (!stall) return;
    this.#stall = undefined;
    if (stall.timer !== undefined) this.#clock.clearTimeout(stall.timer);
    if (stall.shown) this.#io.err(RESTORE_ERASE);
  }

  /** Ends the turn: erases the status, ends the answer's line. */
  finish(): void {
    this.#endStall();
    this.#status.clear();
    this.#newLine();
  }

  #newLine(): void {
    if (!this.#atLineStart) this.#io.out("\n");
    this.#atLineStart = true;
  }
}
