/**
 * Shell-style tokenizing of slash-command arguments: quotes group words,
 * backslash escapes, as users expect from a terminal.
 *
 * @module
 */

/** Unbalanced quotes or a trailing backslash. */
export class TokenizeError extends Error {
  readonly code = "TOKENIZE";
  constructor(message: string) {
    super(message);
    this.name = "TokenizeError";
  }
}

/**
 * Splits `input` into words the way a POSIX shell would (without expansion).
 *
 * @throws {TokenizeError}
 *
 * @example
 * ```ts
 * import { shellWords } from "./shell_words.ts";
 * shellWords(`tool fs read_file path="/tmp/a b.txt" 'x y'`);
 * // ["tool", "fs", "read_file", "path=/tmp/a b.txt", "x y"]
 * ```
 */
export function shellWords(input: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (ch === "\\") {
      if (i + 1 >= input.length) throw new TokenizeError("trailing backslash");
      const next = input[++i];
      // Inside double quotes a backslash escapes only what the shell lets it.
      word += quote === '"' && !`"\\$\``.includes(next) ? `\\${next}` : next;
      inWord = true;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else word += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
      continue;
    }
    if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    word += ch;
    inWord = true;
  }
  if (quote) throw new TokenizeError(`unclosed ${quote === '"' ? "double" : "single"} quote`);
  if (inWord) words.push(word);
  return words;
}
