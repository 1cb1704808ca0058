/**
 * Process exit codes, the same for every command.
 *
 * @example
 * ```ts
 * import { ExitCode } from "./exit_codes.ts";
 * console.log(ExitCode.Usage); // 2
 * ```
 *
 * @module
 */

/** Exit codes scripts can rely on. */
export const ExitCode = {
  /** Success. */
  Ok: 0,
  /** A runtime failure: provider down, tool failed, server unreachable. */
  Runtime: 1,
  /** Bad usage or a bad config file. */
  Usage: 2,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  Interrupted: 130,
} as const;

/** One of {@linkcode ExitCode}'s values. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];
