/**
 * The REPL's input history, kept in `$XDG_STATE_HOME/mcpchat/history`: one
 * JSON string per line (so multi-line entries survive), mode 0600, the last
 * `limit` entries, consecutive duplicates dropped, and nothing that looks
 * like a secret (a `/login`-style command, a line holding a key) ever written.
 *
 * @module
 */

import { dirnamePath } from "../../util/path.ts";
import { looksLikeSecret } from "../../config/redact.ts";

/** Commands whose lines carry credentials and are never stored. */
const SECRET_COMMANDS = /^\/(?:login|logout|auth|key|keys|token|apikey|api-key|password|secret)\b/i;
/** A word that is a key by its shape, or a `name=value` whose name says secret. */
const SECRET_WORD =
  /(?:^|\s)(?:sk-|sk_|rk_|ghp_|gho_|ghs_|github_pat_|glpat-|xox[abprs]-|AKIA[0-9A-Z]{12}|AIza[0-9A-Za-z_-]{20}|hf_[A-Za-z0-9]{10}|eyJ[A-Za-z0-9_-]{8,}\.)|(?:api[_-]?key|token|secret|password|passwd)\s*[=:]\s*\S/i;

/**
 * Whether a line must stay out of the history file.
 *
 * @example
 * ```ts
 * import { isSecretLine } from "./history.ts";
 * console.log(isSecretLine("/login sk-ant-abc"), isSecretLine("export OPENAI_API_KEY=sk-proj-123"), isSecretLine("hello")); // true true false
 * ```
 */
export function isSecretLine(line: string): boolean {
  const text = line.trim();
  return SECRET_COMMANDS.test(text) || SECRET_WORD.test(text) ||
    text.split(/\s+/).some((word) => word.length >= 12 && looksLikeSecret(word));
}

/** Reads and writes the history file (injected for tests). */
export interface HistoryFs {
  readTextFile(path: string): Promise<string>;
  writeTextFile(
    path: string,
    text: string,
    options: { mode: number; append?: boolean },
  ): Promise<void>;
  mkdir(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
}

const denoFs: HistoryFs = {
  readTextFile: (path) => Deno.readTextFile(path),
  writeTextFile: (path, text, options) => Deno.writeTextFile(path, text, options),
  mkdir: (path) => Deno.mkdir(path, { recursive: true, mode: 0o700 }),
  chmod: (path, mode) => Deno.chmod(path, mode),
};

/**
 * The history: entries in memory, appended to the file as they come.
 *
 * @example
 * ```ts
 * import { History } from "./history.ts";
 * const history = new History({ limit: 3 });
 * for (const line of ["a", "a", "b", "/login sk-ant-xyz", "c", "d"]) history.add(line);
 * console.log(history.entries); // ["b", "c", "d"]
 * ```
 */
export class History {
  readonly #entries: string[] = [];
  readonly #limit: number;
  readonly #path: string | undefined;
  readonly #fs: HistoryFs;
  #writing: Promise<void> = Promise.resolve();
  #lines = 0;

  constructor(options: { path?: string; limit?: number; fs?: HistoryFs } = {}) {
    this.#path = options.path;
    this.#limit = options.limit ?? 1000;
    this.#fs = options.fs ?? denoFs;
  }

  /** Opens the file at `path` (missing is fine) and loads its last entries. */
  static async open(
    path: string,
    options: { limit?: number; fs?: HistoryFs } = {},
  ): Promise<History> {
    const history = new History({ ...options, path });
    let text = "";
    try {
      text = await history.#fs.readTextFile(path);
    } catch {
      // no history yet, or unreadable: start empty, never fail the REPL for it
    }
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        const entry = JSON.parse(line);
        if (typeof entry === "string") history.#remember(entry);
      } catch {
        // a damaged line is skipped
      }
      history.#lines++;
    }
    return history;
  }

  /** Lines typed before, oldest first. */
  get entries(): readonly string[] {
    return this.#entries;
  }

  /** Adds a typed line (unless blank, a repeat of the last one, or secret-looking). */
  add(line: string): void {
    if (!this.#remember(line) || !this.#path) return;
    const path = this.#path;
    this.#lines++;
    // Rewritten whole when it has grown to twice the limit, appended otherwise.
    const rewrite = this.#lines > 2 * this.#limit;
    if (rewrite) this.#lines = this.#entries.length;
    const text = rewrite
      ? this.#entries.map((e) => JSON.stringify(e) + "\n").join("")
      : JSON.stringify(line) + "\n";
    this.#writing = this.#writing.then(async () => {
      await this.#fs.mkdir(dirnamePath(path));
      await this.#fs.writeTextFile(path, text, { mode: 0o600, append: !rewrite });
      await this.#fs.chmod(path, 0o600);
    }).catch(() => {});
  }

  /** Resolves when what was added is on disk. */
  flush(): Promise<void> {
    return this.#writing;
  }

  #remember(line: string): boolean {
    if (line.trim() === "" || this.#entries.at(-1) === line || isSecretLine(line)) return false;
    this.#entries.push(line);
    if (this.#entries.length > this.#limit) {
      this.#entries.splice(0, this.#entries.length - this.#limit);
    }
    return true;
  }
}
