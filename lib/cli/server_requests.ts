/**
 * Answers to what MCP servers ask of the client: sampling (the model, once
 * the user agrees) and elicitation (the user). One wiring for every command
 * that starts the MCP manager — the REPL, one-shot `-p`, and `tools call`,
 * `resources read`, `prompts get` — so a server sees the same capabilities
 * whichever way it is reached, and hides no tool because of it.
 *
 * Who decides:
 * - sampling spends the user's tokens, so a person at a terminal is always
 *   asked; without one it runs only under `--yes`, and is otherwise refused
 *   with a line saying how to allow it;
 * - an elicitation form is asked field by field when a person can answer, and
 *   declined with a line saying why when nobody can.
 *
 * @module
 */

import { describeSampling, sample } from "../chat/sampling.ts";
import { fillForm } from "../chat/elicitation.ts";
import type { ChatRequest, LlmEvent } from "../llm/types.ts";
import { sanitizeLine, sanitizeText } from "../ui/sanitize.ts";
import type { Output } from "../ui/output.ts";
import type { McpHostHandlers } from "./runtime.ts";

/** What {@linkcode serverRequestHandlers} needs. */
export interface ServerRequestOptions {
  io: Output;
  /** `--yes`: with nobody to ask, sampling requests are approved. */
  approveAll: boolean;
  /**
   * Asks the person one line (`null` at end of input, or when `signal` aborts because the
   * server gave up on its request); absent when nobody can be asked.
   */
  askLine?: (question: string, signal?: AbortSignal) => Promise<string | null>;
  /** A one-key menu (on a terminal): the chosen key, `null` at end of input or on Ctrl-C. */
  choose?: (
    question: string,
    choices: readonly { key: string; label: string; done?: string }[],
    signal?: AbortSignal,
  ) => Promise<string | null>;
  /** Streams a chat request from the configured model. */
  chat: (request: Omit<ChatRequest, "signal">, signal: AbortSignal) => AsyncIterable<LlmEvent>;
  /** The backend and model the chat uses now (read at each request). */
  target: () => { backend?: string; model?: string };
}

/** The sampling and elicitation handlers for the MCP manager. */
export function serverRequestHandlers(options: ServerRequestOptions): McpHostHandlers {
  const { io, askLine } = options;
  const c = io.errColor;
  /** Yes or no: one key on a terminal (`[y]es [n]o`), else a typed line. */
  const yes = async (
    question: string,
    signal: AbortSignal,
    done = { yes: "yes", no: "no" },
  ) =>
    options.choose
      ? await options.choose(question, [
        { key: "y", label: "yes", done: done.yes },
        { key: "n", label: "no", done: done.no },
      ], signal) === "y"
      : /^y(es)?$/i.test((await askLine?.(`${question}[y]es [n]o: `, signal))?.trim() ?? "");
  return {
    sampling: async (request, { signal }) => {
      const { server, params } = request;
      const description = describeSampling(sanitizeLine(server), params);
      if (askLine) {
        const allowed = await yes(
          `${c.yellow("?")} ${sanitizeLine(description)}\n  allow? `,
          signal,
          { yes: "allowed", no: "declined" },
        );
        if (!allowed) throw new Error("the user declined the sampling request");
      } else if (options.approveAll) {
        io.err(c.dim(`${sanitizeLine(description)}\n`));
      } else {
        io.err(
          `${c.yellow("refused")} sampling request from ${
            sanitizeLine(server)
          } (allow it with --yes)\n`,
        );
        throw new Error("sampling needs the user's approval (mcpchat was run without --yes)");
      }
      return await sample(params, options.chat, signal, options.target());
    },
    elicit: async (request, { signal }) => {
      const { server, params } = request;
      const name = sanitizeLine(server);
      if (!askLine) {
        io.err(
          `${c.yellow("declined")} ${name}'s request for input (nobody to ask: not a terminal)\n`,
        );
        return { action: "decline" };
      }
      if (params.mode === "url") {
        io.err(`${name} asks you to open: ${sanitizeLine(params.url ?? "")}\n`);
        return { action: await yes("  done? ", signal) ? "accept" : "decline" };
      }
      io.err(`${c.yellow("?")} ${c.bold(name)} asks for input\n`);
      // The form's message and field titles are the server's words.
      return await fillForm(
        params,
        (question) => askLine(sanitizeText(question), signal),
        (text) => io.err(sanitizeText(text)),
      );
    },
  };
}
