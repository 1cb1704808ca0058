/**
 * The command-line entry: parses arguments, answers `--help`/`--version`
 * without starting anything, and hands every other command to the app
 * (loaded on demand so the quick paths stay quick).
 *
 * @module
 */

import { parseCommandLine, UsageError } from "./args.ts";
import { ExitCode } from "./exit_codes.ts";
import { helpText } from "./help.ts";
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

/** The module behind every command but the quick paths. */
export type AppModule = typeof import("./app.ts");

/**
 * Loads the app when the caller gave no loader. The entry (`main.ts`) gives
 * one: Deno prepares a dynamic import together with the dynamic imports it
 * can see behind it, so this module names the app only here, in a form that
 * preparing it does not follow, and `--version` never waits for the npm
 * packages the app uses.
 */
function loadAppModule(): Promise<AppModule> {
  return import(new URL("./app.ts", import.meta.url).href);
}
