/**
 * A command-line flag parser that behaves like `node:util`'s `parseArgs` in
 * strict mode with positionals allowed, for the parts of it mcpchat uses
 * (string and boolean options, `short`, `multiple`). It exists because
 * importing any `node:` module starts Deno's Node compatibility layer, about
 * 9 ms and 3–5 MB on every start-up, and the parser runs before every
 * command. A property test (tests/cli/flags_test.ts) compares it to
 * `parseArgs` on generated command lines.
 *
 * The rules, as in `parseArgs`:
 * - `--name`, `--name=value`, `-x`, `-xVALUE`, `-x VALUE`, grouped short
 *   booleans `-abc` (a string option may end a group: `-abxVALUE`);
 * - a string option takes the next word whatever it looks like, but a word
 *   that looks like an option (`-…`, longer than `-`) is refused as
 *   ambiguous: write `--name=-value` or `-x-value`;
 * - `--` ends the options: every word after it is a positional;
 * - anything else is a positional, wherever it is;
 * - an unknown option, a string option without a value and a boolean
 *   option with one are errors ({@link FlagError}).
 *
 * @module
 */

/** How one option is written and what it holds. */
export interface FlagSpec {
  /** `"string"` takes a value; `"boolean"` is present or not. */
  readonly type: "string" | "boolean";
  /** One character for the `-x` form. */
  readonly short?: string;
  /** Whether it may be given again: its values are then collected in order. */
  readonly multiple?: boolean;
}

/** Options by long name (without the `--`). */
export type FlagSpecs = { readonly [name: string]: FlagSpec };

type FlagValue<S extends FlagSpec> = S["type"] extends "string" ? string : boolean;

/** The values of the options given, typed from their specs; absent options are undefined. */
export type FlagValues<T extends FlagSpecs> = {
  -readonly [K in keyof T]?: T[K] extends { readonly multiple: true } ? FlagValue<T[K]>[]
    : FlagValue<T[K]>;
};

/** A parsed command line. */
export interface ParsedFlags<T extends FlagSpecs> {
  values: FlagValues<T>;
  /** The words that are not options or their values, in order. */
  positionals: string[];
}

/**
 * What is wrong with a command line: an option that is not in the specs, a
 * string option without its value, a value that looks like an option, a
 * boolean option given a value.
 */
export type FlagErrorKind =
  | "unknown-option"
  | "missing-value"
  | "ambiguous-value"
  | "unexpected-value";

/** A command line that does not fit the specs; the message says what to write instead. */
export class FlagError extends Error {
  constructor(readonly kind: FlagErrorKind, message: string) {
    super(message);
    this.name = "FlagError";
  }
}

/**
 * Parses `args` (without the program name) against `specs`.
 *
 * @throws {FlagError}
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./flags.ts";
 * const specs = {
 *   model: { type: "string", short: "m" },
 *   yes: { type: "boolean", short: "y" },
 *   env: { type: "string", multiple: true },
 * } as const;
 * const { values, positionals } = parseFlags(
 *   ["tools", "-ym", "gpt-4o", "--env=A=1", "list", "--env", "B=2", "--", "--yes"],
 *   specs,
 * );
 * assert.deepEqual({ ...values }, { yes: true, model: "gpt-4o", env: ["A=1", "B=2"] });
 * assert.deepEqual(positionals, ["tools", "list", "--yes"]);
 * ```
 *
 * @example Errors say what to write instead
 * ```ts
 * import assert from "node:assert/strict";
 * import { FlagError, parseFlags } from "./flags.ts";
 * const specs = { model: { type: "string", short: "m" } } as const;
 * assert.throws(() => parseFlags(["--frob"], specs), new FlagError("unknown-option", "unknown option '--frob'"));
 * assert.throws(() => parseFlags(["-m"], specs), /^FlagError: Option '-m, --model <value>' argument missing$/);
 * assert.throws(() => parseFlags(["-m", "-x"], specs), /use '--model=-XYZ' or '-m-XYZ'/);
 * ```
 */
export function parseFlags<const T extends FlagSpecs>(
  args: readonly string[],
  specs: T,
): ParsedFlags<T> {
  // A null prototype, as parseArgs: `values.toString` is no option.
  const values: Record<string, string | boolean | (string | boolean)[]> = Object.create(null);
  const positionals: string[] = [];
  const typeOf = (name: string) => Object.hasOwn(specs, name) ? specs[name].type : undefined;

  const store = (name: string, raw: string, value: string | undefined, inline: boolean) => {
    if (!Object.hasOwn(specs, name)) {
      throw new FlagError("unknown-option", `unknown option '${raw}'`);
    }
    const spec = specs[name];
    const usage = spec.short ? `-${spec.short}, --${name}` : `--${name}`;
    if (spec.type === "string" && value === undefined) {
      throw new FlagError("missing-value", `Option '${usage} <value>' argument missing`);
    }
    if (spec.type === "boolean" && value !== undefined) {
      throw new FlagError("unexpected-value", `Option '${usage}' does not take an argument`);
    }
    if (!inline && value !== undefined && looksLikeOption(value)) {
      const example = raw.startsWith("--") ? `'${raw}=-XYZ'` : `'--${name}=-XYZ' or '${raw}-XYZ'`;
      throw new FlagError(
        "ambiguous-value",
        `Option '${raw}' argument is ambiguous.\n` +
          `Did you forget to specify the option argument for '${raw}'?\n` +
          `To specify an option argument starting with a dash use ${example}.`,
      );
    }
    const stored = value ?? true;
    if (spec.multiple) {
      const list = values[name];
      if (Array.isArray(list)) list.push(stored);
      else values[name] = [stored];
    } else {
      values[name] = stored;
    }
  };

  const remaining = [...args];
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    if (arg === "--") {
      positionals.push(...remaining);
      break;
    }
    const isShort = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (isShort) {
      const name = longNameOf(arg[1], specs);
      if (arg.length === 2) {
        // `-x`, `-x VALUE`
        const takesNext = typeOf(name) === "string" && remaining.length > 0;
        store(name, arg, takesNext ? remaining.shift() : undefined, false);
      } else if (typeOf(name) === "string") {
        // `-xVALUE`
        store(name, arg.slice(0, 2), arg.slice(2), true);
      } else {
        // `-abc` is `-a -b -c`; a string option in it takes the rest: `-abxVALUE`.
        const expanded: string[] = [];
        for (let i = 1; i < arg.length; i++) {
          if (typeOf(longNameOf(arg[i], specs)) !== "string" || i === arg.length - 1) {
            expanded.push(`-${arg[i]}`);
          } else {
            expanded.push(`-${arg.slice(i)}`);
            break;
          }
        }
        remaining.unshift(...expanded);
      }
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      if (!arg.includes("=", 3)) {
        // `--name`, `--name VALUE`
        const name = arg.slice(2);
        const takesNext = typeOf(name) === "string" && remaining.length > 0;
        store(name, arg, takesNext ? remaining.shift() : undefined, false);
      } else {
        // `--name=VALUE`
        const equals = arg.indexOf("=");
        const name = arg.slice(2, equals);
        store(name, `--${name}`, arg.slice(equals + 1), true);
      }
      continue;
    }
    positionals.push(arg);
  }
  return { values: values as FlagValues<T>, positionals };
}

/** The option whose `short` is `letter`, or `letter` itself (as parseArgs does). */
function longNameOf(letter: string, specs: FlagSpecs): string {
  for (const name in specs) {
    if (Object.hasOwn(specs, name) && specs[name].short === letter) return name;
  }
  return letter;
}

/** A value the user may have meant as the next option (`--port --verbose`). */
function looksLikeOption(value: string): boolean {
  return value.length > 1 && value[0] === "-";
}
