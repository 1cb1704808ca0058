/**
 * Starts the interactive chat on the terminal.
 *
 * @module
 */

import { readLines } from "../lines.ts";
import { runRepl, type SlashCommand } from "../repl.ts";
import type { CommandContext } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { VERSION } from "../version.ts";

/**
 * Runs the REPL until the user leaves.
 *
 * @example
 * ```ts ignore
 * await startRepl(ctx, { onInterrupt });
 * ```
 */
export async function startRepl(
  ctx: CommandContext,
  hooks: { onInterrupt(listener: () => void): () => void },
): Promise<number> {
  const config = await ctx.config();
  const { io } = ctx;
  const c = io.errColor;
  const commands: SlashCommand[] = [];
  const backend = ctx.args.options.backend ?? config.llm.default;
  const banner = `${c.bold("mcpchat")} ${VERSION} ${c.dim(`· ${backend}`)}\n` +
    c.dim("Type /help for commands, Ctrl-D to exit.\n");
  ctx.profiler.mark("prompt shown");
  io.err(ctx.profiler.reportOnce());
  await runRepl(
    { output: io, lines: readLines(Deno.stdin.readable), onInterrupt: hooks.onInterrupt },
    {
      commands,
      banner,
      prompt: () => io.color.cyan("› "),
      onMessage: (_text) => {
        io.err(
          `${
            c.yellow("no model configured")
          }: set ANTHROPIC_API_KEY (or OPENAI_API_KEY, GEMINI_API_KEY, OLLAMA_HOST) ` +
            `or choose a backend in the config (mcpchat config path).\n`,
        );
        return Promise.resolve();
      },
    },
  );
  return ExitCode.Ok;
}
