/**
 * Typed configuration errors. Every error names the file (or environment
 * variable), the 1-based line and column when known, and what was expected, so
 * `mcpchat config validate` and start-up failures point at the exact spot.
 *
 * @module
 */

import { McpchatError } from "../util/errors.ts";

/** Process exit code for any configuration error (usage and config errors exit 2). */
export const CONFIG_ERROR_EXIT_CODE = 2;

/** Machine-readable error codes carried by {@linkcode ConfigError.code}. */
export type ConfigErrorCode =
  | "CONFIG_NOT_FOUND"
  | "CONFIG_READ"
  | "CONFIG_PERMISSION"
  | "CONFIG_TOML_SYNTAX"
  | "CONFIG_JSON_SYNTAX"
  | "CONFIG_INVALID"
  | "CONFIG_UNKNOWN_KEY"
  | "CONFIG_ENV"
  | "CONFIG_NO_HOME"
  | "CONFIG_EDIT";

/**
 * One problem found in a configuration source, as plain (structured-clonable)
 * data. A {@linkcode ConfigValidationError} carries a list of these.
 */
export interface ConfigIssue {
  /** What kind of problem this is. */
  code: ConfigErrorCode;
  /** The file the problem is in, or `$NAME` for an environment variable. */
  file: string;
  /** 1-based line, when the position is known. */
  line?: number;
  /** 1-based column, when the position is known. */
  column?: number;
  /** Dotted config key path such as `mcp.startup_mode` (empty for the whole file). */
  keyPath: string;
  /** What was expected, e.g. `one of "lazy", "eager", "background"`. */
  expected: string;
  /** What was found, already formatted for display (e.g. `"soon"`). */
  got?: string;
  /** A suggested fix, e.g. the key the user probably meant. */
  hint?: string;
}

/** Formats `file:line:column` (omitting unknown parts). */
export function formatLocation(file: string, line?: number, column?: number): string {
  if (line === undefined) return file;
  return column === undefined ? `${file}:${line}` : `${file}:${line}:${column}`;
}

/**
 * Formats one issue as a single line, e.g.
 * `config.toml:12:9: mcp.startup_mode: expected one of "lazy", "eager", "background", got "soon"`.
 *
 * @example
 * ```ts
 * import { formatIssue } from "./errors.ts";
 * const line = formatIssue({
 *   code: "CONFIG_INVALID", file: "config.toml", line: 2, column: 16,
 *   keyPath: "mcp.startup_mode", expected: 'one of "lazy", "eager", "background"', got: '"soon"',
 * });
 * console.log(line);
 * ```
 */
export function formatIssue(issue: ConfigIssue): string {
  const where = formatLocation(issue.file, issue.line, issue.column);
  const key = issue.keyPath ? `${issue.keyPath}: ` : "";
  const got = issue.got === undefined ? "" : `, got ${issue.got}`;
  const hint = issue.hint ? ` (${issue.hint})` : "";
  return `${where}: ${key}expected ${issue.expected}${got}${hint}`;
}

/**
 * Base class of every configuration error. The fields are plain data so the
 * error survives the worker boundary (see {@linkcode ConfigError.toJSON}).
 *
 * @example
 * ```ts
 * import { ConfigError, CONFIG_ERROR_EXIT_CODE } from "./errors.ts";
 * try {
 *   throw new ConfigError("CONFIG_READ", "config.toml: cannot read", { file: "config.toml", expected: "a readable file" });
 * } catch (e) {
 *   if (e instanceof ConfigError) console.error(e.message, CONFIG_ERROR_EXIT_CODE);
 * }
 * ```
 */
export class ConfigError extends McpchatError {
  /** Machine-readable error code. */
  declare readonly code: ConfigErrorCode;
  /** The file (or `$ENV_VAR`) the error is about. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** What was expected at that spot. */
  readonly expected: string;
  /** Dotted key path, when the error is about one key. */
  readonly keyPath?: string;

  /** Creates an error; `message` is shown to the user as is. */
  constructor(
    code: ConfigErrorCode,
    message: string,
    details: {
      file: string;
      line?: number;
      column?: number;
      expected: string;
      keyPath?: string;
      cause?: unknown;
      hint?: string;
    },
  ) {
    super(code, message, { cause: details.cause, hint: details.hint });
    this.name = "ConfigError";
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.expected = details.expected;
    this.keyPath = details.keyPath;
  }

  /** Plain-data form, for crossing `postMessage` and for `--output-format json`. */
  toJSON(): ConfigErrorData {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      expected: this.expected,
      keyPath: this.keyPath,
      issues: this instanceof ConfigValidationError ? this.issues : undefined,
    };
  }
}

/** The structured-clonable form of a {@linkcode ConfigError}. */
export interface ConfigErrorData {
  /** Class name, e.g. `ConfigSyntaxError`. */
  name: string;
  /** Machine-readable code. */
  code: ConfigErrorCode;
  /** The full user-facing message. */
  message: string;
  /** File or `$ENV_VAR`. */
  file: string;
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  column?: number;
  /** What was expected. */
  expected: string;
  /** Dotted key path, when known. */
  keyPath?: string;
  /** All issues, for validation errors. */
  issues?: ConfigIssue[];
}

/**
 * The config file (or a file it references) could not be read: missing,
 * a directory, not permitted.
 *
 * @example
 * ```ts
 * import { ConfigReadError } from "./errors.ts";
 * const e = new ConfigReadError("CONFIG_NOT_FOUND", "/nope.toml", "an existing file", "no such file");
 * console.log(e.message); // /nope.toml: cannot read config: no such file (expected an existing file)
 * ```
 */
export class ConfigReadError extends ConfigError {
  /** Creates a read error for `file`. */
  constructor(
    code: "CONFIG_NOT_FOUND" | "CONFIG_READ" | "CONFIG_PERMISSION",
    file: string,
    expected: string,
    reason: string,
    cause?: unknown,
  ) {
    super(code, `${file}: cannot read config: ${reason} (expected ${expected})`, {
      file,
      expected,
      cause,
    });
    this.name = "ConfigReadError";
  }
}

/**
 * A TOML or JSON syntax error, with the line and column of the offending
 * character.
 *
 * @example
 * ```ts
 * import { ConfigSyntaxError } from "./errors.ts";
 * const e = new ConfigSyntaxError("CONFIG_TOML_SYNTAX", "config.toml", 3, 11, "invalid value", 'a value; strings need quotes, e.g. "openai"');
 * console.log(e.message);
 * ```
 */
export class ConfigSyntaxError extends ConfigError {
  /** The parser's own reason, e.g. `invalid value`. */
  readonly reason: string;

  /** Creates a syntax error at `file:line:column`. */
  constructor(
    code: "CONFIG_TOML_SYNTAX" | "CONFIG_JSON_SYNTAX",
    file: string,
    line: number,
    column: number,
    reason: string,
    expected: string,
    cause?: unknown,
  ) {
    const kind = code === "CONFIG_TOML_SYNTAX" ? "TOML" : "JSON";
    super(
      code,
      `${
        formatLocation(file, line, column)
      }: ${kind} syntax error: ${reason} (expected ${expected})`,
      { file, line, column, expected, cause },
    );
    this.name = "ConfigSyntaxError";
    this.reason = reason;
  }
}

/**
 * The file parsed but its content does not fit the schema: wrong type, bad
 * enum value, unknown key (with a "did you mean" hint), bad environment
 * override. Carries every issue found; the error's own location fields are the
 * first issue's.
 *
 * @example
 * ```ts
 * import { ConfigValidationError } from "./errors.ts";
 * const e = new ConfigValidationError([{
 *   code: "CONFIG_UNKNOWN_KEY", file: "config.toml", line: 2, column: 1,
 *   keyPath: "mcp.startup_mod", expected: "a known key", hint: 'did you mean "startup_mode"?',
 * }]);
 * console.log(e.message);
 * ```
 */
export class ConfigValidationError extends ConfigError {
  /** Every problem found, in source order. */
  readonly issues: ConfigIssue[];

  /** Creates an error from one or more issues (must not be empty). */
  constructor(issues: ConfigIssue[]) {
    const first = issues[0];
    super(first.code, issues.map(formatIssue).join("\n"), {
      file: first.file,
      line: first.line,
      column: first.column,
      expected: first.expected,
      keyPath: first.keyPath,
    });
    this.name = "ConfigValidationError";
    this.issues = issues;
  }
}

const CONFIG_ERROR_CODES: ReadonlySet<string> = new Set<ConfigErrorCode>([
  "CONFIG_NOT_FOUND",
  "CONFIG_READ",
  "CONFIG_PERMISSION",
  "CONFIG_TOML_SYNTAX",
  "CONFIG_JSON_SYNTAX",
  "CONFIG_INVALID",
  "CONFIG_UNKNOWN_KEY",
  "CONFIG_ENV",
  "CONFIG_NO_HOME",
  "CONFIG_EDIT",
]);

/**
 * Whether an error (local, or a `RemoteError` from the config worker) is a
 * config error: the CLI then prints its message and exits with
 * {@linkcode CONFIG_ERROR_EXIT_CODE}.
 *
 * @example
 * ```ts
 * import { CONFIG_ERROR_EXIT_CODE, isConfigError } from "./errors.ts";
 * const e = Object.assign(new Error("config.toml:1:5: TOML syntax error"), { code: "CONFIG_TOML_SYNTAX" });
 * if (isConfigError(e)) console.log(CONFIG_ERROR_EXIT_CODE); // 2
 * ```
 */
export function isConfigError(error: unknown): error is Error & { code: ConfigErrorCode } {
  if (error instanceof ConfigError) return true;
  return error instanceof Error && "code" in error && typeof error.code === "string" &&
    CONFIG_ERROR_CODES.has(error.code);
}
