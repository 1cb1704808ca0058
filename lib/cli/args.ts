/**
 * Command-line parsing: global flags, the subcommand and its words.
 *
 * @module
 */

import { FlagError, parseFlags } from "./flags.ts";

/** Output formats of one-shot mode. */
export type OutputFormat = "text" | "json" | "stream-json";

/** Flags that apply to every command. */
export interface GlobalOptions {
  help: boolean;
  version: boolean;
  backend?: string;
  model?: string;
  continue: boolean;
  resume?: string;
  listSessions: boolean;
  config?: string;
  /** `-p`: the prompt, `"-"` for stdin, `""` when given without a value and stdin is piped. */
  print?: string;
  outputFormat: OutputFormat;
  maxTurns?: number;
  allowTool: string[];
  yes: boolean;
  noSave: boolean;
  /** Show answers raw instead of rendering markdown. */
  noMarkdown: boolean;
  json: boolean;
  profileStartup: boolean;
  color: "auto" | "always" | "never";
  system?: string;
}

/** The parsed command line. */
export interface ParsedArgs {
  options: GlobalOptions;
  /** Subcommand words, e.g. `["tools", "call", "everything", "echo"]`; empty for the chat. */
  command: string[];
  /** Command-specific `--flag value` pairs that are not global (e.g. `--format`, `--port`). */
  flags: Record<string, string | boolean>;
}

/** A usage error: unknown flag, missing value, bad number. Exit code 2. */
export class UsageError extends Error {
  readonly code = "USAGE";
  constructor(message: string, readonly hint = "run 'mcpchat --help' for usage") {
    super(message);
    this.name = "UsageError";
  }
}

/** Subcommands mcpchat knows. */
export const COMMANDS = [
  "tools",
  "resources",
  "prompts",
  "servers",
  "sessions",
  "config",
  "serve",
  "doctor",
  "health",
  "help",
  "completions",
] as const;

/** Every flag mcpchat reads, global and command-specific (exported for the parser's tests). */
export const OPTION_SPEC = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  backend: { type: "string", short: "b" },
  model: { type: "string", short: "m" },
  continue: { type: "boolean", short: "c" },
  resume: { type: "string", short: "r" },
  "list-sessions": { type: "boolean", short: "l" },
  config: { type: "string" },
  print: { type: "boolean", short: "p" },
  "output-format": { type: "string" },
  "max-turns": { type: "string" },
  "allow-tool": { type: "string", multiple: true },
  yes: { type: "boolean", short: "y" },
  "no-save": { type: "boolean" },
  "no-markdown": { type: "boolean" },
  json: { type: "boolean" },
  "profile-startup": { type: "boolean" },
  color: { type: "string" },
  "no-color": { type: "boolean" },
  system: { type: "string" },
  // Command-specific flags, validated by their command.
  format: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  stdio: { type: "boolean" },
  http: { type: "boolean" },
  "conformance-fixtures": { type: "boolean" },
  limit: { type: "string" },
  before: { type: "string" },
  output: { type: "string", short: "o" },
  env: { type: "string", multiple: true },
  header: { type: "string", multiple: true },
  cwd: { type: "string" },
  transport: { type: "string" },
  force: { type: "boolean", short: "f" },
} as const;

const COMMAND_FLAGS = [
  "format",
  "port",
  "host",
  "stdio",
  "http",
  "conformance-fixtures",
  "limit",
  "before",
  "output",
  "env",
  "header",
  "cwd",
  "transport",
  "force",
] as const;

const OUTPUT_FORMATS: readonly OutputFormat[] = ["text", "json", "stream-json"];
const COLOR_MODES: readonly GlobalOptions["color"][] = ["auto", "always", "never"];

/** Whether `value` is one of `allowed` (and so of its type). */
function oneOf<T extends string>(value: string, allowed: readonly T[]): value is T {
  return allowed.some((a) => a === value);
}

/**
 * Parses `argv` (without the program name).
 *
 * `-p` takes the prompt from the following words (`mcpchat -p "hi there"`,
 * `mcpchat -p hi there`), or from stdin with `-p -` or when nothing follows.
 *
 * @throws {UsageError}
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * const { options, command } = parseCommandLine(["-m", "gpt-4o", "tools", "list"]);
 * console.log(options.model, command); // "gpt-4o" ["tools", "list"]
 * ```
 */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseFlags(argv, OPTION_SPEC);
  } catch (error) {
    if (error instanceof FlagError) throw new UsageError(error.message);
    throw error;
  }
  const v = parsed.values;
  const outputFormat = v["output-format"] ?? "text";
  if (!oneOf(outputFormat, OUTPUT_FORMATS)) {
    throw new UsageError(
      `--output-format must be text, json or stream-json, not "${outputFormat}"`,
    );
  }
  let maxTurns: number | undefined;
  if (v["max-turns"] !== undefined) {
    maxTurns = Number(v["max-turns"]);
    if (!Number.isInteger(maxTurns) || maxTurns < 1) {
      throw new UsageError(`--max-turns must be a whole number ≥ 1, not "${v["max-turns"]}"`);
    }
  }
  const color = v["no-color"] ? "never" : (v.color ?? "auto");
  if (!oneOf(color, COLOR_MODES)) {
    throw new UsageError(`--color must be auto, always or never, not "${color}"`);
  }
  let positionals = parsed.positionals;
  let print: string | undefined;
  if (v.print) {
    print = positionals.join(" ");
    positionals = [];
  }
  const command = positionals;
  if (command.length > 0 && !(COMMANDS as readonly string[]).includes(command[0])) {
    throw new UsageError(
      `unknown command "${command[0]}"`,
      `commands: ${COMMANDS.join(", ")}; to send a prompt use -p "${command.join(" ")}"`,
    );
  }
  const flags: Record<string, string | boolean> = {};
  for (const key of COMMAND_FLAGS) {
    const value = v[key];
    if (value === undefined) continue;
    flags[key] = Array.isArray(value) ? value.join("\u0000") : value;
  }
  return {
    options: {
      help: v.help ?? false,
      version: v.version ?? false,
      backend: v.backend,
      model: v.model,
      continue: v.continue ?? false,
      resume: v.resume,
      listSessions: v["list-sessions"] ?? false,
      config: v.config,
      print,
      outputFormat,
      maxTurns,
      allowTool: v["allow-tool"] ?? [],
      yes: v.yes ?? false,
      noSave: v["no-save"] ?? false,
      noMarkdown: v["no-markdown"] ?? false,
      json: v.json ?? false,
      profileStartup: v["profile-startup"] ?? false,
      color,
      system: v.system,
    },
    command,
    flags,
  };
}

/** Splits a multiple-valued command flag back into its values. */
export function flagValues(flags: Record<string, string | boolean>, name: string): string[] {
  const value = flags[name];
  return typeof value === "string" && value !== "" ? value.split("\u0000") : [];
}
