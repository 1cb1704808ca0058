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
 * ```ts ignore
 * const view = new TurnView(io, { statusEnabled: Deno.stderr.isTerminal() });
 * for await (const event of events) view.show(event);
 * view.finish();
 * ```
 */
export class TurnView {
  #io: Output;
  #status: StatusLine;
  #atLineStart = true;
  #running = new Map<string, { server: string; tool: string }>();
  #showArguments: boolean;

  constructor(
    io: Output,
    options: { statusEnabled: boolean; intervalMs?: number; showArguments?: boolean },
  ) {
    this.#io = io;
    this.#showArguments = options.showArguments ?? false;
    this.#status = new StatusLine({
      write: (text) => io.err(text),
      enabled: options.statusEnabled,
      intervalMs: options.intervalMs,
    });
  }

  /** Shows one event of the turn. */
  show(event: AgentEvent): void {
    const c = this.#io.errColor;
    switch (event.type) {
      case "model-call":
        this.#status.set(c.dim("waiting for the model…"));
        break;
      case "text-delta":
        this.#status.clear();
        // Per chunk is enough: an escape split across chunks loses its ESC here.
        this.#io.out(sanitizeText(event.text));
        this.#atLineStart = event.text.endsWith("\n");
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

  /** Ends the turn: erases the status, ends the answer's line. */
  finish(): void {
    this.#status.clear();
    this.#newLine();
  }

  #newLine(): void {
    if (!this.#atLineStart) this.#io.out("\n");
    this.#atLineStart = true;
  }
}
