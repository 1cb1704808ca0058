/**
 * The one error base class of mcpchat. Every area's errors (config, LLM,
 * MCP, store, RPC, plugins) extend it with the same argument order —
 * `(code, message, options)` — so any error can be told apart by its stable
 * `code`, carries an actionable `hint` when there is one, and crosses a
 * worker boundary as plain data (own enumerable fields travel over RPC).
 *
 * @module
 */

/** Options of {@linkcode McpchatError}. */
export interface McpchatErrorOptions extends ErrorOptions {
  /** What to do about it, e.g. `set ANTHROPIC_API_KEY`; shown after the message. */
  hint?: string;
}

/**
 * Base class of every mcpchat error.
 *
 * @example
 * ```ts
 * import { McpchatError } from "./errors.ts";
 * const e = new McpchatError("EXAMPLE_FAILED", "example: it failed", { hint: "try again" });
 * console.log(e.code, e.message, e.hint, e instanceof Error); // EXAMPLE_FAILED example: it failed try again true
 * ```
 */
export class McpchatError extends Error {
  /** Stable machine-readable code, e.g. `CONFIG_INVALID`, `LLM_AUTH`, `STORE_LOCKED`. */
  readonly code: string;
  /** What to do about it, when the message alone does not say. */
  declare readonly hint?: string;

  /** Creates the error: `code` first, then the user-facing `message`, then options. */
  constructor(code: string, message: string, options?: McpchatErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    if (options?.hint !== undefined) this.hint = options.hint;
  }
}

/**
 * Whether `error` is an mcpchat error (local, or the same carried over RPC
 * with its `code`).
 *
 * @example
 * ```ts
 * import { isMcpchatError, McpchatError } from "./errors.ts";
 * console.log(isMcpchatError(new McpchatError("X", "x")), isMcpchatError(new TypeError("x"))); // true false
 * ```
 */
export function isMcpchatError(error: unknown): error is McpchatError {
  return error instanceof McpchatError;
}

/**
 * The message of anything thrown: an `Error`'s message, else the value as
 * text (a `catch` clause's binding is `unknown`).
 *
 * @example
 * ```ts
 * import { errorMessage } from "./errors.ts";
 * console.log(errorMessage(new SyntaxError("bad JSON")), errorMessage("boom")); // bad JSON boom
 * ```
 */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
