/**
 * Error text that may leave the process: a server's clients see what went
 * wrong, never a stack trace, a file path of this machine or a secret.
 *
 * @module
 */

import { looksLikeSecret, REDACTED } from "../config/redact.ts";

/** Longest error text sent to a client. */
const MAX_LENGTH = 500;

/**
 * The message of `error` fit for a remote client: first line only (stack
 * frames dropped), absolute paths replaced by `<path>`, values that look like
 * keys or tokens replaced by `<redacted>`, and any of `secrets` removed.
 *
 * @example
 * ```ts
 * import { publicMessage } from "./public_error.ts";
 * const e = new Error("cannot open /home/ada/.config/mcpchat/config.toml");
 * console.log(publicMessage(e)); // "cannot open <path>"
 * ```
 */
export function publicMessage(error: unknown, secrets: readonly string[] = []): string {
  let text = error instanceof Error ? error.message : typeof error === "string" ? error : "error";
  text =
    text.split("\n").map((line) => line.trim()).find((line) => line && !line.startsWith("at ")) ??
      "error";
  for (const secret of secrets) {
    if (secret) text = text.split(secret).join(REDACTED);
  }
  text = text
    // file:///… and absolute POSIX / Windows paths
    .replace(/file:\/\/\/[^\s"'`)]+/g, "<path>")
    .replace(/(^|[\s"'`(=:])(\/(?:[\w.@+-]+\/)*[\w.@+-]+)/g, (m, pre: string, path: string) =>
      // "/mcp" and other one-segment words are not paths of this machine
      path.indexOf("/", 1) > 0 ? `${pre}<path>` : m)
    .replace(/[A-Za-z]:\\[^\s"'`]+/g, "<path>")
    .replace(/[A-Za-z0-9_\-./+=]{20,}/g, (word) => looksLikeSecret(word) ? REDACTED : word);
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH)}…` : text;
}
