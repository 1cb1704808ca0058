/**
 * Where text goes and how it looks: data on stdout, messages on stderr,
 * colour only on a terminal and never under `NO_COLOR`.
 *
 * @module
 */

/** Wraps text in one style (the value is turned into a string first). */
export type Formatter = (input: string | number | null | undefined) => string;

/** Colour functions, or identity functions when colour is off. */
export interface Palette {
  bold: Formatter;
  dim: Formatter;
  red: Formatter;
  green: Formatter;
  yellow: Formatter;
  cyan: Formatter;
  magenta: Formatter;
  gray: Formatter;
}

/** Text sinks and styling, injected so commands are testable. */
export interface Output {
  /** Writes data (answers, JSON) to stdout. */
  out(text: string): void;
  /** Writes a message (progress, errors, hints) to stderr. */
  err(text: string): void;
  /** Styling for stdout. */
  color: Palette;
  /** Styling for stderr. */
  errColor: Palette;
  /** Whether stdin and stdout are both terminals (interactive use). */
  interactive: boolean;
}

/**
 * A style as an SGR pair. Where the text already holds the closing code (a
 * nested style), the outer style is opened again after it, so the rest of
 * the text keeps it: the same output as `picocolors`' formatter.
 */
function sgr(open: string, close: string, reopen = open): Formatter {
  return (input) => {
    const text = "" + input;
    let index = text.indexOf(close, open.length);
    if (index < 0) return open + text + close;
    let result = "";
    let cursor = 0;
    do {
      result += text.substring(cursor, index) + reopen;
      cursor = index + close.length;
      index = text.indexOf(close, cursor);
    } while (index >= 0);
    return open + result + text.substring(cursor) + close;
  };
}

/**
 * The colours, as ANSI escape codes. Written here rather than taken from
 * `picocolors` (whose codes and nesting rule these are): that package probes
 * `process.stdout` when it is imported, which makes Deno set up Node's
 * streams and CommonJS loader — about 20 ms and 8 MB on the main thread
 * before the first prompt, for eight fixed strings.
 */
const ansi: Palette = {
  bold: sgr("\x1b[1m", "\x1b[22m", "\x1b[22m\x1b[1m"),
  dim: sgr("\x1b[2m", "\x1b[22m", "\x1b[22m\x1b[2m"),
  red: sgr("\x1b[31m", "\x1b[39m"),
  green: sgr("\x1b[32m", "\x1b[39m"),
  yellow: sgr("\x1b[33m", "\x1b[39m"),
  cyan: sgr("\x1b[36m", "\x1b[39m"),
  magenta: sgr("\x1b[35m", "\x1b[39m"),
  gray: sgr("\x1b[90m", "\x1b[39m"),
};

/** The palette with colour off: every function returns its text unchanged. */
export const plainPalette: Palette = {
  bold: String,
  dim: String,
  red: String,
  green: String,
  yellow: String,
  cyan: String,
  magenta: String,
  gray: String,
};

/**
 * Whether to colour a stream: a terminal, `NO_COLOR` unset (any value
 * disables, per no-color.org), `TERM` not `dumb`; `FORCE_COLOR` forces it.
 *
 * @example
 * ```ts
 * import { wantsColor } from "./output.ts";
 * console.log(wantsColor({ NO_COLOR: "1" }, true)); // false
 * ```
 */
export function wantsColor(env: Record<string, string | undefined>, isTerminal: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return isTerminal;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  try {
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
  } catch (error) {
    // The reader went away (`mcpchat … | head`): nothing more can be shown,
    // and failing here would only replace the real outcome with EPIPE.
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

/**
 * The process's real output.
 *
 * @example
 * ```ts
 * import { consoleOutput } from "./output.ts";
 * const io = consoleOutput({ colorFlag: "never" });
 * io.err(io.errColor.yellow("warning: nothing configured\n"));
 * ```
 */
export function consoleOutput(options: { colorFlag?: "auto" | "always" | "never" } = {}): Output {
  const env = {
    NO_COLOR: Deno.env.get("NO_COLOR"),
    FORCE_COLOR: Deno.env.get("FORCE_COLOR"),
    TERM: Deno.env.get("TERM"),
  };
  const decide = (tty: boolean) =>
    options.colorFlag === "always"
      ? true
      : options.colorFlag === "never"
      ? false
      : wantsColor(env, tty);
  const palette = (on: boolean): Palette => (on ? ansi : plainPalette);
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
    color: palette(decide(Deno.stdout.isTerminal())),
    errColor: palette(decide(Deno.stderr.isTerminal())),
    interactive: Deno.stdin.isTerminal() && Deno.stdout.isTerminal(),
  };
}

/**
 * An output that records everything, for tests.
 *
 * @example
 * ```ts
 * import { memoryOutput } from "./output.ts";
 * const io = memoryOutput();
 * io.out("x");
 * console.log(io.stdout()); // "x"
 * ```
 */
export function memoryOutput(): Output & { stdout(): string; stderr(): string } {
  let stdout = "";
  let stderr = "";
  return {
    out: (text) => void (stdout += text),
    err: (text) => void (stderr += text),
    color: plainPalette,
    errColor: plainPalette,
    interactive: false,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}
