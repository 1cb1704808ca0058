/**
 * The interactive loop: reads lines, runs slash commands, sends everything
 * else to the chat. Ctrl-C cancels the current thing, Ctrl-D or /exit quits.
 *
 * This is the first REPL; the full line editor, completion and TUI come with
 * the chat issue, behind the same {@linkcode SlashCommand} table.
 *
 * @module
 */

import type { Output } from "../ui/output.ts";
import { shellWords, TokenizeError } from "./shell_words.ts";

/** One slash command. */
export interface SlashCommand {
  /** Name without the slash. */
  name: string;
  /** One-line summary for `/help`. */
  summary: string;
  /** Usage details for `/help <name>`. */
  usage?: string;
  /** Runs the command; returning `"exit"` ends the REPL. */
  run(args: string[], signal: AbortSignal): Promise<void | "exit"> | void | "exit";
}

/** What the REPL needs from its surroundings (injected for tests). */
export interface ReplIo {
  output: Output;
  /** Lines typed by the user; ends at Ctrl-D (EOF). */
  lines: AsyncIterator<string>;
  /** Subscribes to Ctrl-C; returns an unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
}

/** Options of {@linkcode runRepl}. */
export interface ReplOptions {
  commands: SlashCommand[];
  /** Handles a line that is not a slash command (a chat message). */
  onMessage(text: string, signal: AbortSignal): Promise<void>;
  /** Printed once before the first prompt. */
  banner?: string;
  /** The prompt string. */
  prompt?: () => string;
}

/**
 * Runs the REPL until `/exit`, `/quit` or end of input.
 *
 * @example
 * ```ts ignore
 * await runRepl(io, { commands, onMessage: (text) => chat.send(text) });
 * ```
 */
export async function runRepl(io: ReplIo, options: ReplOptions): Promise<void> {
  const { output } = io;
  const c = output.color;
  const table = new Map<string, SlashCommand>();
  const builtins: SlashCommand[] = [
    {
      name: "help",
      summary: "list commands, or /help <command> for details",
      usage: "/help [command]",
      run: ([name]) => {
        if (name) {
          const command = table.get(name.replace(/^\//, ""));
          if (!command) return void output.out(`no command /${name}; try /help\n`);
          output.out(
            `/${command.name} — ${command.summary}\n${
              command.usage ? `usage: ${command.usage}\n` : ""
            }`,
          );
          return;
        }
        const width = Math.max(...[...table.keys()].map((n) => n.length));
        for (const command of table.values()) {
          output.out(`  ${c.cyan(`/${command.name.padEnd(width)}`)}  ${command.summary}\n`);
        }
        output.out(
          c.dim("Anything else you type is sent to the model. Ctrl-C cancels, Ctrl-D exits.\n"),
        );
      },
    },
    { name: "exit", summary: "leave mcpchat", run: () => "exit" },
    { name: "quit", summary: "leave mcpchat", run: () => "exit" },
  ];
  for (const command of [...builtins, ...options.commands]) table.set(command.name, command);

  let current: AbortController | undefined;
  const offInterrupt = io.onInterrupt(() => {
    if (current && !current.signal.aborted) {
      current.abort(new DOMException("cancelled by Ctrl-C", "AbortError"));
      output.err(c.dim("\n(cancelled)\n"));
    } else {
      output.err(c.dim("\n(Ctrl-D or /exit to quit)\n"));
      output.out(options.prompt?.() ?? "› ");
    }
  });
  try {
    if (options.banner) output.err(options.banner);
    while (true) {
      output.out(options.prompt?.() ?? "› ");
      const next = await io.lines.next();
      if (next.done) {
        output.out("\n");
        break;
      }
      const line = next.value.trim();
      if (!line) continue;
      current = new AbortController();
      try {
        if (line.startsWith("/")) {
          let words: string[];
          try {
            words = shellWords(line.slice(1));
          } catch (error) {
            if (error instanceof TokenizeError) {
              output.err(`${c.red("error")}: ${error.message}\n`);
              continue;
            }
            throw error;
          }
          const [name = "", ...args] = words;
          const command = table.get(name);
          if (!command) {
            output.err(`unknown command /${name}; /help lists them\n`);
            continue;
          }
          if (await command.run(args, current.signal) === "exit") break;
        } else {
          await options.onMessage(line, current.signal);
        }
      } catch (error) {
        if (current.signal.aborted) continue;
        output.err(
          `${c.red("error")}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      } finally {
        current = undefined;
      }
    }
  } finally {
    offInterrupt();
  }
}
