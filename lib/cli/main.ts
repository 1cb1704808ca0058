/**
 * The command-line entry: parses arguments, answers `--help`/`--version`
 * without starting anything, and hands every other command to the app
 * (loaded on demand so the quick paths stay quick).
 *
 * @module
 */

import { ExitCode } from "./exit_codes.ts";
import { commandsWithHelp, helpText } from "./help.ts";
import { VERSION } from "./version.ts";

/** Where `main` writes, injected for tests. */
export interface MainIo {
  out(text: string): void;
  err(text: string): void;
}

const encoder = new TextEncoder();
const processIo: MainIo = {
  out: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
  err: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
};

/**
 * Runs mcpchat with `argv` and resolves with the process exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "./main.ts";
 * import { VERSION } from "./version.ts";
 * // main.ts does `Deno.exit(await main(Deno.args))`; here the output is kept in memory.
 * let out = "", err = "";
 * const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
 * assert.equal(await main(["--version"], io), 0);
 * assert.equal(out, `mcpchat ${VERSION}\n`);
 * assert.equal(await main(["--frobnicate"], io), 2); // a usage error, said on stderr
 * assert.match(err, /^mcpchat: .*frobnicate/);
 * ```
 */
export async function main(
  argv: readonly string[],
  io: MainIo = processIo,
  loadApp: () => Promise<AppModule> = loadAppModule,
): Promise<number> {
  const quick = quickAnswer(argv);
  if (quick !== undefined) {
    io.out(quick);
    return ExitCode.Ok;
  }
  // The parser loads only when there is more to parse: the two commonest quick answers do
  // without even that.
  const { parseCommandLine, UsageError } = await import("./args.ts");
  let parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`mcpchat: ${error.message}\n${error.hint}\n`);
      return ExitCode.Usage;
    }
    throw error;
  }
  const { options, command } = parsed;
  if (options.version) {
    io.out(`mcpchat ${VERSION}\n`);
    return ExitCode.Ok;
  }
  if (command[0] === "help") {
    if (command[1] !== undefined && !commandsWithHelp().includes(command[1])) {
      io.err(
        `mcpchat: no help on "${command[1]}": not a command\n` +
          `commands: ${commandsWithHelp().join(", ")}; mcpchat help lists what each does\n`,
      );
      return ExitCode.Usage;
    }
    io.out(helpText(command[1]));
    return ExitCode.Ok;
  }
  if (options.help) {
    io.out(helpText(command[0]));
    return ExitCode.Ok;
  }
  const { runApp } = await loadApp();
  return await runApp(parsed);
}

/**
 * `mcpchat --version` and `mcpchat --help` alone: the same answers the
 * parsed command line gives, without parsing.
 */
function quickAnswer(argv: readonly string[]): string | undefined {
  if (argv.length !== 1) return undefined;
  if (argv[0] === "--version" || argv[0] === "-V") return `mcpchat ${VERSION}\n`;
  if (argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") return helpText(undefined);
  return undefined;
}

/** The module behind every command but the quick paths. */
export type AppModule = typeof import("./app.ts");

/**
 * Loads the app. Deno prepares a dynamic import together with every dynamic
 * import it can read behind it, so the app is named in a form it does not
 * read ahead (see `lib/util/on_demand.ts`): `--version` and `--help` never
 * wait for the app's modules or the npm packages it uses.
 */
function loadAppModule(): Promise<AppModule> {
  return import(new URL("./app.ts", import.meta.url).href);
}
