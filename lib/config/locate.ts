/**
 * Source locations of keys and values in TOML and JSON text, so a schema
 * error about `mcp.startup_mode` can name the line and column where that key
 * (or better, its value) is written.
 *
 * The TOML locator runs only on text that `smol-toml` has already parsed, so it
 * can be a small forgiving scanner; it never throws, and returns what it found.
 * The JSON side is a complete validating parser that records positions as it
 * goes and reports syntax errors with an exact line, column and expectation.
 *
 * @module
 */

import { ConfigSyntaxError } from "./errors.ts";

/** A 1-based position in a text. */
export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column (UTF-16 code units, like editors count). */
  column: number;
}

/** Where a key and its value are written. */
export interface KeyLocation {
  /** The key (or table header, or array element). */
  key: Position;
  /** The value, when it is written right there (`key = value`). */
  value?: Position;
}

/** A path into a parsed document: object keys and array indexes. */
export type DocPath = readonly (string | number)[];

/** Positions of every key and value found in a document. */
export class KeyLocations {
  readonly #map = new Map<string, KeyLocation>();
  /** TOML only: every table header (`[a.b]`, `[[c]]`) in order, with its resolved path. */
  readonly headers: { line: number; path: (string | number)[] }[] = [];

  /** Records `location` for `path` (the first definition wins). */
  set(path: DocPath, location: KeyLocation): void {
    const id = pathId(path);
    if (!this.#map.has(id)) this.#map.set(id, location);
  }

  /** The location of exactly `path`, if it is written in the document. */
  get(path: DocPath): KeyLocation | undefined {
    return this.#map.get(pathId(path));
  }

  /**
   * The location of `path`, or of its nearest written ancestor (e.g. the
   * `[mcp.servers.x]` header for a key missing from that table).
   */
  nearest(path: DocPath): { location: KeyLocation; exact: boolean } | undefined {
    for (let n = path.length; n >= 0; n--) {
      const found = this.#map.get(pathId(path.slice(0, n)));
      if (found) return { location: found, exact: n === path.length };
    }
    return undefined;
  }

  /** Number of recorded paths. */
  get size(): number {
    return this.#map.size;
  }
}

function pathId(path: DocPath): string {
  return JSON.stringify(path);
}

/** Maps offsets in a text to 1-based line/column. */
export class LineIndex {
  readonly #starts: number[] = [0];

  /** Indexes the line starts of `text` (`\n` ends a line; `\r\n` too). */
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.#starts.push(i + 1);
    }
  }

  /** The 1-based line and column of `offset`. */
  position(offset: number): Position {
    let lo = 0;
    let hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#starts[lo] + 1 };
  }
}

/**
 * The 1-based line and column of `offset` in `text`.
 *
 * @example
 * ```ts
 * import { offsetToPosition } from "./locate.ts";
 * console.log(offsetToPosition("a\nbc", 3)); // { line: 2, column: 2 }
 * ```
 */
export function offsetToPosition(text: string, offset: number): Position {
  return new LineIndex(text).position(offset);
}

// ------------------------------------------------------------------ TOML

const BARE_KEY = /[A-Za-z0-9_-]/;

class TomlScanner {
  readonly #text: string;
  readonly #lines: LineIndex;
  readonly #out = new KeyLocations();
  /** Current length of each array of tables, by resolved path. */
  readonly #arrayTables = new Map<string, number>();
  #i = 0;

  constructor(text: string) {
    this.#text = text;
    this.#lines = new LineIndex(text);
  }

  scan(): KeyLocations {
    try {
      this.#document();
    } catch {
      // Forgiving by design: keep whatever was located before the surprise.
    }
    return this.#out;
  }

  #pos(offset: number): Position {
    return this.#lines.position(offset);
  }

  #peek(n = 0): string {
    return this.#text[this.#i + n] ?? "";
  }

  #eof(): boolean {
    return this.#i >= this.#text.length;
  }

  #skipSpaces(newlines: boolean): void {
    while (!this.#eof()) {
      const c = this.#peek();
      if (c === " " || c === "\t" || (newlines && (c === "\n" || c === "\r"))) {
        this.#i++;
      } else if (c === "#") {
        while (!this.#eof() && this.#peek() !== "\n") this.#i++;
      } else {
        return;
      }
    }
  }

  #document(): void {
    let table: (string | number)[] = [];
    while (true) {
      this.#skipSpaces(true);
      if (this.#eof()) return;
      const start = this.#i;
      if (this.#peek() === "[" && this.#peek(1) === "[") {
        this.#i += 2;
        const key = this.#resolve(this.#key());
        this.#skipSpaces(false);
        this.#i += 2; // "]]"
        const id = pathId(key);
        const index = this.#arrayTables.get(id) ?? 0;
        this.#arrayTables.set(id, index + 1);
        this.#out.set(key, { key: this.#pos(start) });
        table = [...key, index];
        this.#out.headers.push({ line: this.#pos(start).line, path: table });
        this.#out.set(table, { key: this.#pos(start) });
      } else if (this.#peek() === "[") {
        this.#i++;
        table = this.#resolve(this.#key());
        this.#skipSpaces(false);
        this.#i++; // "]"
        // `[a.b.c]` also defines `a` and `a.b` here, unless they were written earlier.
        for (let n = 1; n <= table.length; n++) {
          this.#out.set(table.slice(0, n), { key: this.#pos(start) });
        }
        this.#out.headers.push({ line: this.#pos(start).line, path: table });
      } else {
        this.#keyValue(table);
      }
      this.#skipToLineEnd();
    }
  }

  /** Appends the current index of every array of tables a header walks through. */
  #resolve(key: string[]): (string | number)[] {
    const out: (string | number)[] = [];
    for (const part of key) {
      const parentIndex = this.#arrayTables.get(pathId(out));
      if (parentIndex !== undefined && out.length > 0) out.push(parentIndex - 1);
      out.push(part);
    }
    return out;
  }

  #skipToLineEnd(): void {
    while (!this.#eof() && this.#peek() !== "\n") {
      if (this.#peek() === "#") {
        this.#skipSpaces(false);
        continue;
      }
      this.#i++;
    }
  }

  #keyValue(table: readonly (string | number)[]): void {
    const keyStart = this.#i;
    const key = this.#key();
    if (key.length === 0) {
      this.#i++; // not a key: make progress and let the caller skip the line
      return;
    }
    this.#skipSpaces(false);
    if (this.#peek() === "=") this.#i++;
    this.#skipSpaces(false);
    const path = [...table, ...key];
    const keyPos = this.#pos(keyStart);
    // Every dotted prefix (`a.b` in `a.b.c = 1`) is located at the key too.
    for (let n = table.length + 1; n < path.length; n++) {
      this.#out.set(path.slice(0, n), { key: keyPos });
    }
    this.#out.set(path, { key: keyPos, value: this.#pos(this.#i) });
    this.#value(path);
  }

  #key(): string[] {
    const parts: string[] = [];
    while (!this.#eof()) {
      this.#skipSpaces(false);
      const c = this.#peek();
      if (c === '"') parts.push(this.#basicString());
      else if (c === "'") parts.push(this.#literalString());
      else if (BARE_KEY.test(c)) {
        const start = this.#i;
        while (!this.#eof() && BARE_KEY.test(this.#peek())) this.#i++;
        parts.push(this.#text.slice(start, this.#i));
      } else {
        break;
      }
      this.#skipSpaces(false);
      if (this.#peek() !== ".") break;
      this.#i++;
    }
    return parts;
  }

  #basicString(): string {
    const start = this.#i;
    this.#i++;
    while (!this.#eof() && this.#peek() !== '"' && this.#peek() !== "\n") {
      if (this.#peek() === "\\") this.#i++;
      this.#i++;
    }
    this.#i++;
    const raw = this.#text.slice(start, this.#i);
    try {
      const decoded: unknown = JSON.parse(raw);
      if (typeof decoded === "string") return decoded;
    } catch {
      // TOML-only escapes (\U0001F600, \e): fall back to the raw content.
    }
    return raw.slice(1, -1);
  }

  #literalString(): string {
    const start = ++this.#i;
    while (!this.#eof() && this.#peek() !== "'" && this.#peek() !== "\n") this.#i++;
    const content = this.#text.slice(start, this.#i);
    this.#i++;
    return content;
  }

  #multiline(quote: string): void {
    this.#i += 3;
    const close = quote.repeat(3);
    while (!this.#eof()) {
      if (quote === '"' && this.#peek() === "\\") {
        this.#i += 2;
        continue;
      }
      if (this.#text.startsWith(close, this.#i)) {
        this.#i += 3;
        // Up to two more quotes belong to the content: `""""` ends with a quote.
        for (let extra = 0; extra < 2 && this.#peek() === quote; extra++) this.#i++;
        return;
      }
      this.#i++;
    }
  }

  #value(path: readonly (string | number)[]): void {
    const c = this.#peek();
    if (this.#text.startsWith('"""', this.#i)) this.#multiline('"');
    else if (this.#text.startsWith("'''", this.#i)) this.#multiline("'");
    else if (c === '"') this.#basicString();
    else if (c === "'") this.#literalString();
    else if (c === "[") this.#array(path);
    else if (c === "{") this.#inlineTable(path);
    else {
      while (!this.#eof() && !",]}\n#".includes(this.#peek())) this.#i++;
    }
  }

  #array(path: readonly (string | number)[]): void {
    this.#i++;
    for (let index = 0; !this.#eof(); index++) {
      this.#skipSpaces(true);
      if (this.#peek() === "]") break;
      const at = this.#pos(this.#i);
      this.#out.set([...path, index], { key: at, value: at });
      const before = this.#i;
      this.#value([...path, index]);
      this.#skipSpaces(true);
      if (this.#peek() === ",") this.#i++;
      else if (this.#i === before) break;
    }
    this.#i++;
  }

  #inlineTable(path: readonly (string | number)[]): void {
    this.#i++;
    while (!this.#eof()) {
      this.#skipSpaces(true);
      if (this.#peek() === "}") break;
      const before = this.#i;
      this.#keyValue(path);
      this.#skipSpaces(true);
      if (this.#peek() === ",") this.#i++;
      else if (this.#i === before) break;
    }
    this.#i++;
  }
}

/**
 * Locates every key, table header and array element of a TOML document that
 * has already parsed successfully. Never throws.
 *
 * @example
 * ```ts
 * import { locateToml } from "./locate.ts";
 * const where = locateToml('[mcp]\nstartup_mode = "soon"\n');
 * console.log(where.get(["mcp", "startup_mode"])); // { key: {line:2,column:1}, value: {line:2,column:16} }
 * ```
 */
export function locateToml(text: string): KeyLocations {
  return new TomlScanner(text).scan();
}

// ------------------------------------------------------------------ JSON

/** A JSON value as parsed (objects are plain `{}` objects). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

const MAX_JSON_DEPTH = 256;
const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class JsonFailure {
  constructor(readonly offset: number, readonly reason: string, readonly expected: string) {}
}

class JsonParser {
  readonly #text: string;
  readonly #lines: LineIndex;
  readonly locations = new KeyLocations();
  readonly #comments: boolean;
  #i = 0;

  constructor(text: string, comments: boolean) {
    this.#text = text;
    this.#lines = new LineIndex(text);
    this.#comments = comments;
  }

  parse(): JsonValue {
    // A UTF-8 byte order mark is common in files saved by Windows editors.
    if (this.#text.charCodeAt(0) === 0xfeff) this.#i = 1;
    this.#ws();
    if (this.#i >= this.#text.length) {
      throw new JsonFailure(this.#i, "empty document", 'a JSON object such as {"mcpServers": {}}');
    }
    const value = this.#value([], 0);
    this.#ws();
    if (this.#i < this.#text.length) {
      throw new JsonFailure(this.#i, `unexpected ${this.#describe()}`, "end of file");
    }
    return value;
  }

  #describe(): string {
    if (this.#i >= this.#text.length) return "end of file";
    return JSON.stringify(this.#text[this.#i]);
  }

  #ws(): void {
    while (this.#i < this.#text.length) {
      const c = this.#text.charCodeAt(this.#i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.#i++;
      else if (this.#comments && c === 0x2f && this.#text[this.#i + 1] === "/") {
        while (this.#i < this.#text.length && this.#text[this.#i] !== "\n") this.#i++;
      } else if (this.#comments && c === 0x2f && this.#text[this.#i + 1] === "*") {
        const end = this.#text.indexOf("*/", this.#i + 2);
        if (end === -1) throw new JsonFailure(this.#i, "unterminated /* comment", '"*/"');
        this.#i = end + 2;
      } else return;
    }
  }

  #value(path: (string | number)[], depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) {
      throw new JsonFailure(this.#i, "nesting too deep", `at most ${MAX_JSON_DEPTH} levels`);
    }
    const c = this.#text[this.#i];
    if (c === "{") return this.#object(path, depth);
    if (c === "[") return this.#array(path, depth);
    if (c === '"') return this.#string();
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.#text.startsWith(word, this.#i)) {
        this.#i += word.length;
        return value;
      }
    }
    JSON_NUMBER.lastIndex = this.#i;
    const number = JSON_NUMBER.exec(this.#text);
    if (number && number[0] !== "-") {
      this.#i += number[0].length;
      return Number(number[0]);
    }
    const hint = c === "'" ? "; JSON strings need double quotes" : "";
    throw new JsonFailure(
      this.#i,
      `unexpected ${this.#describe()}${hint}`,
      'a value (an object, array, "string", number, true, false or null)',
    );
  }

  #object(path: (string | number)[], depth: number): { [key: string]: JsonValue } {
    const result: { [key: string]: JsonValue } = {};
    this.#i++;
    this.#ws();
    if (this.#text[this.#i] === "}") {
      this.#i++;
      return result;
    }
    while (true) {
      this.#ws();
      if (this.#text[this.#i] !== '"') {
        const trailing = this.#text[this.#i] === "}" ? " (JSON allows no trailing comma)" : "";
        throw new JsonFailure(
          this.#i,
          `unexpected ${this.#describe()}${trailing}`,
          "a double-quoted property name",
        );
      }
      const keyStart = this.#i;
      const key = this.#string();
      if (key === "__proto__") {
        throw new JsonFailure(keyStart, 'unsafe property name "__proto__"', "another name");
      }
      this.#ws();
      if (this.#text[this.#i] !== ":") {
        throw new JsonFailure(this.#i, `unexpected ${this.#describe()}`, `":" after the name`);
      }
      this.#i++;
      this.#ws();
      const childPath = [...path, key];
      this.locations.set(childPath, {
        key: this.#lines.position(keyStart),
        value: this.#lines.position(this.#i),
      });
      result[key] = this.#value(childPath, depth + 1);
      this.#ws();
      const c = this.#text[this.#i];
      if (c === ",") {
        this.#i++;
        continue;
      }
      if (c === "}") {
        this.#i++;
        return result;
      }
      throw new JsonFailure(this.#i, `unexpected ${this.#describe()}`, `"," or "}"`);
    }
  }

  #array(path: (string | number)[], depth: number): JsonValue[] {
    const result: JsonValue[] = [];
    this.#i++;
    this.#ws();
    if (this.#text[this.#i] === "]") {
      this.#i++;
      return result;
    }
    while (true) {
      this.#ws();
      if (this.#text[this.#i] === "]") {
        throw new JsonFailure(
          this.#i,
          'unexpected "]" (JSON allows no trailing comma)',
          "a value",
        );
      }
      const childPath = [...path, result.length];
      const at = this.#lines.position(this.#i);
      this.locations.set(childPath, { key: at, value: at });
      result.push(this.#value(childPath, depth + 1));
      this.#ws();
      const c = this.#text[this.#i];
      if (c === ",") {
        this.#i++;
        continue;
      }
      if (c === "]") {
        this.#i++;
        return result;
      }
      throw new JsonFailure(this.#i, `unexpected ${this.#describe()}`, `"," or "]"`);
    }
  }

  #string(): string {
    const start = this.#i;
    this.#i++;
    while (true) {
      if (this.#i >= this.#text.length) {
        throw new JsonFailure(start, "unterminated string", 'a closing "');
      }
      const c = this.#text.charCodeAt(this.#i);
      if (c === 0x22) break;
      if (c < 0x20) {
        throw new JsonFailure(
          this.#i,
          "control character in string",
          c === 0x0a ? 'a closing " on the same line (or \\n)' : "an escaped character",
        );
      }
      if (c === 0x5c) {
        const next = this.#text[this.#i + 1] ?? "";
        if (next === "u") {
          if (!/^[0-9A-Fa-f]{4}$/.test(this.#text.slice(this.#i + 2, this.#i + 6))) {
            throw new JsonFailure(this.#i, "invalid \\u escape", "four hex digits after \\u");
          }
          this.#i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(next) || next === "") {
          throw new JsonFailure(
            this.#i,
            `invalid escape \\${next}`,
            'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
          );
        }
        this.#i += 2;
        continue;
      }
      this.#i++;
    }
    this.#i++;
    return JSON.parse(this.#text.slice(start, this.#i)) as string;
  }

  position(offset: number): Position {
    return this.#lines.position(offset);
  }
}

/**
 * Parses JSON text, recording where each key and array element is written.
 * With `comments`, `//` and `/* *\/` comments count as whitespace (VS Code's
 * `mcp.json` is JSON with comments); trailing commas stay errors.
 *
 * @throws {ConfigSyntaxError} `CONFIG_JSON_SYNTAX` with the exact line, column
 *   and what was expected.
 * @example
 * ```ts
 * import { parseJsonWithLocations } from "./locate.ts";
 * const { value, locations } = parseJsonWithLocations('{"a": [1, 2]}', "x.json");
 * console.log(value, locations.get(["a", 1])); // { a: [1, 2] } { key: {line:1,column:11}, ... }
 * ```
 */
export function parseJsonWithLocations(
  text: string,
  file: string,
  options: { comments?: boolean } = {},
): { value: JsonValue; locations: KeyLocations } {
  const parser = new JsonParser(text, options.comments ?? false);
  try {
    const value = parser.parse();
    return { value, locations: parser.locations };
  } catch (error) {
    if (!(error instanceof JsonFailure)) throw error;
    const { line, column } = parser.position(error.offset);
    throw new ConfigSyntaxError(
      "CONFIG_JSON_SYNTAX",
      file,
      line,
      column,
      error.reason,
      error.expected,
    );
  }
}
