/**
 * Sampling and elicitation for the MCP subcommands (`tools call`,
 * `resources read`, `prompts get`…), so servers see the same client there as
 * in the chat (server-everything hides four tools from a client without
 * them). Sampling runs the model after an approval: `--yes`, or a `y` typed
 * on the terminal; elicitation is asked on the terminal. Without a terminal
 * (a script), a request is declined with a message that says how to allow
 * it, except that `--yes` accepts a form whose required fields all have
 * defaults (the manager fills them in).
 *
 * @module
 */

import type { CreateMessageRequestParams } from "@modelcontextprotocol/sdk/types.js";
import { describeSampling, type ElicitForm, fillForm, sample } from "../chat/mod.ts";
import type { CommandContext } from "./context.ts";
import { LineReader, readLines } from "./lines.ts";
import type { McpHostHandlers } from "./runtime.ts";
import { sanitizeLine } from "../ui/sanitize.ts";

/** Whether stdin can answer questions (injected for tests). */
export interface AskDeps {
  /** stdin is a terminal. */
  interactive: boolean;
  /** Asks on the terminal; `null` at end of input. */
  askLine(question: string): Promise<string | null>;
}

/**
 * The host handlers of a one-shot MCP subcommand.
 *
 * @example
 * ```ts ignore
 * const mcp = await runtime.mcp(config, cliHostHandlers(ctx));
 * ```
 */
export function cliHostHandlers(ctx: CommandContext, deps?: AskDeps): McpHostHandlers {
  const io = ctx.io;
  const c = io.errColor;
  let reader: LineReader | undefined;
  const ask: AskDeps = deps ?? {
    interactive: Deno.stdin.isTerminal(),
    askLine: async (question) => {
      io.err(question);
      reader ??= new LineReader(readLines(Deno.stdin.readable));
      return (await reader.read())?.trim() ?? null;
    },
  };
  const yes = ctx.args.options.yes;
  return {
    sampling: async (request, { signal }) => {
      const { server, params } = request as { server: string; params: CreateMessageRequestParams };
      const what = sanitizeLine(describeSampling(server, params));
      if (yes) io.err(`${c.dim(`${what} (allowed by --yes)`)}\n`);
      else if (!ask.interactive) {
        throw new Error(
          `${server} asked to use the model (sampling); declined: not a terminal — ` +
            `run with --yes to allow it`,
        );
      } else {
        const answer = await ask.askLine(`${c.yellow("?")} ${what}\n  allow? [y]es [n]o: `);
        if (!/^y(es)?$/i.test(answer ?? "")) {
          throw new Error("the user declined the sampling request");
        }
      }
      const config = await ctx.config();
      const llm = await (await ctx.runtime()).llm(config);
      return await sample(
        params,
        (req, s) => llm.stream("chat", req, { signal: s, timeoutMs: Infinity }),
        signal,
        { backend: ctx.args.options.backend ?? config.llm.default, model: ctx.args.options.model },
      );
    },
    elicit: async (request) => {
      const { server, params } = request as {
        server: string;
        params: ElicitForm & { mode?: string; url?: string };
      };
      if (!ask.interactive) {
        const required = params.requestedSchema?.required ?? [];
        const props = params.requestedSchema?.properties ?? {};
        const defaulted = required.every((k) =>
          (props[k] as { default?: unknown } | undefined)?.default !== undefined
        );
        if (yes && params.mode !== "url" && defaulted) {
          io.err(`${c.dim(`${server} asked for input; answered with its defaults (--yes)`)}\n`);
          return { action: "accept", content: {} };
        }
        io.err(
          `${c.yellow("!")} ${server} asked for input (elicitation); declined: not a terminal` +
            (params.mode === "url" ? "" : " (run it in a terminal to answer)") + "\n",
        );
        return { action: "decline" };
      }
      if (params.mode === "url") {
        io.err(`${server} asks you to open: ${sanitizeLine(params.url ?? "")}\n`);
        const answer = await ask.askLine("  done? [y]es [n]o: ");
        return { action: /^y(es)?$/i.test(answer ?? "") ? "accept" : "decline" };
      }
      io.err(`${c.yellow("?")} ${c.bold(server)} asks for input\n`);
      return await fillForm(params, ask.askLine, (text) => io.err(text));
    },
  };
}
