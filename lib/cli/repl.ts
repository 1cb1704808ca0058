/**
 * The interactive loop: reads lines, runs slash commands, sends everything
 * else to the chat. Ctrl-C cancels the current thing; at an empty prompt it
 * says how to quit and a second one within 2 s quits; Ctrl-D or /exit quits.
 *
 * @module
 */

import type { Output } from "../ui/output.ts";
import type { ReadResult } from "../ui/editor.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { shellWords, TokenizeError } from "./shell_words.ts";
import { sanitizeText } from "../ui/sanitize.ts";

/** One slash command. */
export interface SlashCommand {
  /** Name without the slash. */
  name: string;
  /** One-line summary for `/help`. */
  summary: string;
  /** Usage details for `/help <name>`. */
  usage?: string;
  /** Heading it is listed under in `/help`. */
  group?: string;
  /** Runs the command; returning `"exit"` ends the REPL. */
  run(args: string[], signal: AbortSignal): Promise<void | "exit"> | void | "exit";
}

/** What the REPL needs from its surroundings (injected for tests). */
export interface ReplIo {
  output: Output;
  /** Shows the prompt and reads a line: Ctrl-D is `eof`, Ctrl-C on an empty line `interrupt`. */
  read(prompt: string): Promise<ReadResult>;
  /** Subscribes to Ctrl-C while something runs; returns an unsubscribe function. */
  onInterrupt(listener: () => void): () => void;
  clock?: Clock;
  /** The terminal's width, for `/help` to wrap at (none: lines are not wrapped). */
  columns?: () => number;
}

/** How the REPL ended: `/exit`, end of input (Ctrl-D), or Ctrl-C twice at the prompt. */
export type ReplEnd = "exit" | "eof" | "interrupt";

/** Two Ctrl-C at the prompt within this time quit. */
export const QUIT_WINDOW_MS = 2000;

/**
 * A {@linkcode ReplIo.read} over plain lines (stdin not a terminal): the
 * prompt is written, a line read, `null` is the end.
 *
 * @example
 * ```ts
 * import { linesReader } from "./repl.ts";
 * const read = linesReader(() => Promise.resolve("hi"), () => {});
 * console.log(await read("› ")); // { kind: "line", text: "hi" }
 * ```
 */
export function linesReader(
  next: () => Promise<string | null>,
  write: (text: string) => void,
): (prompt: string) => Promise<ReadResult> {
  return async (prompt) => {
    write(prompt);
    const line = await next();
    if (line === null) {
      write("\n");
      return { kind: "eof" };
    }
    return { kind: "line", text: line };
  };
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
  /** Looks up an alias: its command lines, or `undefined`. */
  aliases?: (name: string) => Promise<string[] | undefined> | string[] | undefined;
}

/** The keys of the prompt, as `/help` lists them. */
const KEYS_HELP = [
  "Enter send · Alt-Enter or Ctrl-J new line · \\ at the end continues · paste is one message",
  "Tab complete (again: next) · Up/Down history · Ctrl-R search history",
  "Ctrl-A/E line start/end · Alt-B/F word · Ctrl-W/U/K/Y cut word/start/end, paste back · Ctrl-L clear",
  "Ctrl-C cancel (at the prompt twice: quit) · Ctrl-D quit · Ctrl-Z suspend (fg resumes)",
];

const GROUP_ORDER = ["chat", "session", "mcp", "status", "other"];
const groupRank = (group: string) => {
  const i = GROUP_ORDER.indexOf(group);
  return i < 0 ? GROUP_ORDER.length : i;
};

/**
 * Wraps `/help`'s lines between words at the terminal's width, continuation
 * rows indented; unchanged when the width is unknown (piped).
 */
async function helpWrapper(
  columns: number | undefined,
): Promise<(line: string, indent: number) => string> {
  if (!columns) return (line) => line;
  const { default: wrapAnsi } = await import("wrap-ansi");
  return (line, indent) => {
    const [first, ...rest] = wrapAnsi(line, columns - 1, { hard: true, trim: false }).split("\n");
    if (rest.length === 0) return first;
    // The rest is wrapped again in the room the indent leaves.
    const room = Math.max(10, columns - 1 - indent);
    const tail = wrapAnsi(rest.map((row) => row.trim()).join(" "), room, { hard: true });
    return [first.trimEnd(), ...tail.split("\n").map((row) => " ".repeat(indent) + row)]
      .join("\n");
  };
}

/** How deep aliases may call aliases. */
const MAX_ALIAS_DEPTH = 8;

/** An alias that ends up calling itself. */
export class AliasLoopError extends Error {
  readonly code = "ALIAS_LOOP";
  constructor(readonly chain: string[]) {
    super(`alias loop: /${chain.join(" → /")}; an alias may not call itself, directly or not`);
    this.name = "AliasLoopError";
  }
}

/**
 * The lines of an alias with its arguments filled in: `$1`…`$9` by position,
 * `$*` all of them (each shell-quoted back, so they survive tokenizing).
 *
 * @example
 * ```ts
 * import { expandAlias } from "./repl.ts";
 * expandAlias(["/mcp tool fs read_file path=$1", "summarise $*"], ["a b.txt"]);
 * // ["/mcp tool fs read_file path='a b.txt'", "summarise a b.txt"]
 * ```
 */
export function expandAlias(lines: readonly string[], args: readonly string[]): string[] {
  const quote = (word: string) =>
    /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
  return lines.map((line) => {
    // Slash commands are tokenized again, so their arguments are quoted; chat text is not.
    const fill = line.trimStart().startsWith("/") ? quote : (word: string) => word;
    return line.replace(/\$(\*|[1-9])/g, (_, which: string) => {
      if (which === "*") return args.map(fill).join(" ");
      const arg = args[Number(which) - 1];
      return arg === undefined ? "" : fill(arg);
    });
  });
}

/**
 * Runs the REPL until `/exit`, `/quit` or end of input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linesReader, runRepl } from "./repl.ts";
 * import { memoryOutput } from "../ui/output.ts";
 * // Typed lines instead of a terminal; a chat that only remembers what it was sent.
 * const typed = ["hello", "/greet Ada", "/exit"];
 * const output = memoryOutput();
 * const sent: string[] = [];
 * const end = await runRepl({
 *   output,
 *   read: linesReader(() => Promise.resolve(typed.shift() ?? null), () => {}),
 *   onInterrupt: () => () => {},
 * }, {
 *   commands: [{
 *     name: "greet",
 *     summary: "say hello",
 *     run: ([name]) => output.out(`hello, ${name}\n`),
 *   }],
 *   onMessage: (text) => Promise.resolve(void sent.push(text)),
 * });
 * assert.equal(end, "exit");
 * assert.deepEqual(sent, ["hello"]);
 * assert.match(output.stdout(), /hello, Ada/);
 * ```
 */
export async function runRepl(io: ReplIo, options: ReplOptions): Promise<ReplEnd> {
  const { output } = io;
  const c = output.color;
  const table = new Map<string, SlashCommand>();
  const builtins: SlashCommand[] = [
    {
      name: "help",
      summary: "list commands, or /help <command> for details",
      usage: "/help [command]",
      group: "other",
      run: async ([name]) => {
        const wrap = await helpWrapper(io.columns?.());
        if (name) {
          const command = table.get(name.replace(/^\//, ""));
          if (!command) return void output.out(`no command /${name}; try /help\n`);
          output.out(
            wrap(`/${command.name} — ${command.summary}`, 2) + "\n" +
              (command.usage ? `usage: ${command.usage}\n` : ""),
          );
          return;
        }
        const width = Math.max(...[...table.keys()].map((n) => n.length));
        const groups = new Map<string, SlashCommand[]>();
        for (const command of table.values()) {
          const group = command.group ?? "other";
          groups.set(group, [...groups.get(group) ?? [], command]);
        }
        for (
          const [group, commands] of [...groups].sort(([a], [b]) => groupRank(a) - groupRank(b))
        ) {
          output.out(`${c.bold(group)}\n`);
          for (const command of commands) {
            output.out(
              wrap(`  ${c.cyan(`/${command.name.padEnd(width)}`)}  ${command.summary}`, width + 5) +
                "\n",
            );
          }
        }
        output.out(c.bold("keys") + "\n" + KEYS_HELP.map((k) => `${wrap(`  ${k}`, 4)}\n`).join(""));
        output.out(
          c.dim(
            wrap("Anything else you type is sent to the model. /help NAME explains a command.", 0),
          ) + "\n",
        );
      },
    },
    { name: "exit", summary: "leave mcpchat", group: "other", run: () => "exit" },
    { name: "quit", summary: "leave mcpchat", group: "other", run: () => "exit" },
  ];
  for (const command of [...builtins, ...options.commands]) table.set(command.name, command);

  let current: AbortController | undefined;
  const offInterrupt = io.onInterrupt(() => {
    if (current && !current.signal.aborted) {
      // "(cancelled)" is written once what runs has let go of the screen (below): written
      // now, it would land inside the turn's live lines and answer, and be erased with them.
      current.abort(new DOMException("cancelled by Ctrl-C", "AbortError"));
    } else {
      output.err(c.dim("\n(Ctrl-D or /exit to quit)\n"));
    }
  });
  const clock = io.clock ?? systemClock;
  let lastInterrupt = -Infinity;
  /**
   * Runs one line: a slash command, an alias (expanded, each of its lines run
   * in turn), or a chat message. `via` is the chain of aliases being expanded.
   */
  const execute = async (
    line: string,
    signal: AbortSignal,
    via: string[],
  ): Promise<void | "exit"> => {
    if (!line.startsWith("/")) return await options.onMessage(line, signal);
    let words: string[];
    try {
      words = shellWords(line.slice(1));
    } catch (error) {
      if (error instanceof TokenizeError) {
        output.err(`${c.red("error")}: ${error.message}\n`);
        return;
      }
      throw error;
    }
    const [name = "", ...args] = words;
    const command = table.get(name);
    if (command) return await command.run(args, signal);
    const alias = await options.aliases?.(name);
    if (!alias) {
      output.err(`unknown command /${name}; /help lists them\n`);
      return;
    }
    if (via.includes(name) || via.length >= MAX_ALIAS_DEPTH) {
      throw new AliasLoopError([...via, name]);
    }
    for (const expanded of expandAlias(alias, args)) {
      if (signal.aborted) return;
      if (await execute(expanded, signal, [...via, name]) === "exit") return "exit";
    }
  };

  try {
    if (options.banner) output.err(options.banner);
    while (true) {
      const next = await io.read(options.prompt?.() ?? "› ");
      if (next.kind === "eof") return "eof";
      if (next.kind === "interrupt") {
        if (clock.now() - lastInterrupt <= QUIT_WINDOW_MS) return "interrupt";
        lastInterrupt = clock.now();
        output.err(c.dim("(press Ctrl-C again to quit, or Ctrl-D, or type /exit)\n"));
        continue;
      }
      const line = next.text.trim();
      if (!line) continue;
      current = new AbortController();
      const { signal } = current;
      try {
        if (await execute(line, signal, []) === "exit") return "exit";
      } catch (error) {
        if (signal.aborted) continue;
        // Errors carry servers' and models' words: sanitised like everything foreign.
        const message = sanitizeText(error instanceof Error ? error.message : String(error));
        output.err(`${c.red("error")}: ${message}\n`);
      } finally {
        current = undefined;
        // After the command has cleaned up its live output, so it stays on screen.
        if (signal.aborted) output.err(c.dim("(cancelled)\n"));
      }
    }
  } finally {
    offInterrupt();
  }
}
