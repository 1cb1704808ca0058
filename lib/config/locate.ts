/**
 * Source locations of keys and values in TOML and JSON text, so a schema
 * error about `mcp.startup_mode` can name the line and column where that key
 * (or better, its value) is written.
 *
 * The TOML locator runs only on text that `smol-toml` has already parsed, so it
 * can be a small forgiving scanner; it never throws, and returns what it found.
 * The JSON side is Microsoft's `jsonc-parser` (VS Code's own, maintained, with
 * positions and comments; see docs/architecture.md): one visitor pass builds
 * the value, records positions and reports syntax errors with an exact line,
 * column and expectation. Both record into a trie, so the work is linear in
 * the text however long a dotted key is.
 *
 * @module
 */

import { visit } from "jsonc-parser";
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

/** A node of the location trie: one path segment, its children, where it is written. */
class LocationNode {
  children?: Map<string | number, LocationNode>;
  location?: KeyLocation;
  /** Offsets of key and value, turned into a location on first read (the JSON fast path). */
  offsets?: { key: number; value: number };

  child(segment: string | number): LocationNode {
    this.children ??= new Map();
    let node = this.children.get(segment);
    if (!node) {
      node = new LocationNode();
      this.children.set(segment, node);
    }
    return node;
  }

  /** Records `location` here unless something was recorded first (the first definition wins). */
  mark(location: KeyLocation): void {
    this.location ??= location;
  }

  /** Whether anything is recorded here. */
  get marked(): boolean {
    return this.location !== undefined || this.offsets !== undefined;
  }
}

/**
 * Positions of every key and value found in a document, in a trie of path
 * segments: recording or finding a path costs its length, so a 30,000-part
 * dotted key is located in linear time (a map keyed by the whole path made it
 * cubic: every prefix re-serialised).
 */
export class KeyLocations {
  /** The document root (internal to lib/config: the scanners walk it directly). */
  readonly root = new LocationNode();
  /** TOML only: every table header (`[a.b]`, `[[c]]`) in order, with its resolved path. */
  readonly headers: { line: number; path: (string | number)[] }[] = [];
  #size = 0;
  readonly #lines?: LineIndex;

  /** `lines` resolves locations recorded as offsets ({@linkcode markOffsets}). */
  constructor(lines?: LineIndex) {
    this.#lines = lines;
  }

  /** Records `location` for `path` (the first definition wins). */
  set(path: DocPath, location: KeyLocation): void {
    let node = this.root;
    for (const segment of path) node = node.child(segment);
    this.mark(node, location);
  }

  /** Records `location` at `node` (internal: the scanners' fast path). */
  mark(node: LocationNode, location: KeyLocation): void {
    if (!node.marked) this.#size++;
    node.mark(location);
  }

  /**
   * Records where a key and its value start, as offsets: a large JSON file
   * pays for line and column only where a message needs them.
   */
  markOffsets(node: LocationNode, key: number, value: number): void {
    if (node.marked) return;
    this.#size++;
    node.offsets = { key, value };
  }

  /** The first key offset recorded at `node`, if it was recorded as offsets. */
  keyOffset(node: LocationNode): number | undefined {
    return node.offsets?.key;
  }

  #resolve(node: LocationNode): KeyLocation | undefined {
    if (node.location === undefined && node.offsets !== undefined && this.#lines) {
      node.location = {
        key: this.#lines.position(node.offsets.key),
        value: this.#lines.position(node.offsets.value),
      };
    }
    return node.location;
  }

  /** The location of exactly `path`, if it is written in the document. */
  get(path: DocPath): KeyLocation | undefined {
    let node: LocationNode | undefined = this.root;
    for (const segment of path) {
      node = node.children?.get(segment);
      if (!node) return undefined;
    }
    return this.#resolve(node);
  }

  /**
   * The location of `path`, or of its nearest written ancestor (e.g. the
   * `[mcp.servers.x]` header for a key missing from that table).
   */
  nearest(path: DocPath): { location: KeyLocation; exact: boolean } | undefined {
    let node: LocationNode | undefined = this.root;
    let best = this.root.marked ? this.root : undefined;
    let bestDepth = 0;
    for (let depth = 0; depth < path.length; depth++) {
      node = node.children?.get(path[depth]);
      if (!node) break;
      if (node.marked) {
        best = node;
        bestDepth = depth + 1;
      }
    }
    const location = best && this.#resolve(best);
    return location ? { location, exact: bestDepth === path.length } : undefined;
  }

  /** Number of recorded paths. */
  get size(): number {
    return this.#size;
  }
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
  /** Current length of each array of tables, by its node. */
  readonly #arrayTables = new Map<LocationNode, number>();
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
    let table = this.#out.root;
    while (true) {
      this.#skipSpaces(true);
      if (this.#eof()) return;
      const start = this.#i;
      if (this.#peek() === "[" && this.#peek(1) === "[") {
        this.#i += 2;
        const { path, node } = this.#resolve(this.#key(), undefined);
        this.#skipSpaces(false);
        this.#i += 2; // "]]"
        const index = this.#arrayTables.get(node) ?? 0;
        this.#arrayTables.set(node, index + 1);
        const at = { key: this.#pos(start) };
        this.#out.mark(node, at);
        table = node.child(index);
        this.#out.headers.push({ line: at.key.line, path: [...path, index] });
        this.#out.mark(table, at);
      } else if (this.#peek() === "[") {
        this.#i++;
        // `[a.b.c]` also defines `a` and `a.b` here, unless they were written earlier.
        const at = { key: this.#pos(start) };
        const { path, node } = this.#resolve(this.#key(), at);
        table = node;
        this.#skipSpaces(false);
        this.#i++; // "]"
        this.#out.headers.push({ line: at.key.line, path });
      } else {
        this.#keyValue(table);
      }
      this.#skipToLineEnd();
    }
  }

  /**
   * Walks a header's key from the root, stepping into the current element of
   * every array of tables on the way (and marking each step with `mark`).
   */
  #resolve(
    key: string[],
    mark: KeyLocation | undefined,
  ): { path: (string | number)[]; node: LocationNode } {
    const path: (string | number)[] = [];
    let node = this.#out.root;
    for (const part of key) {
      const length = this.#arrayTables.get(node);
      if (length !== undefined && path.length > 0) {
        path.push(length - 1);
        node = node.child(length - 1);
        if (mark) this.#out.mark(node, mark);
      }
      path.push(part);
      node = node.child(part);
      if (mark) this.#out.mark(node, mark);
    }
    return { path, node };
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

  #keyValue(table: LocationNode): void {
    const keyStart = this.#i;
    const key = this.#key();
    if (key.length === 0) {
      this.#i++; // not a key: make progress and let the caller skip the line
      return;
    }
    this.#skipSpaces(false);
    if (this.#peek() === "=") this.#i++;
    this.#skipSpaces(false);
    const keyPos = this.#pos(keyStart);
    let node = table;
    // Every dotted prefix (`a.b` in `a.b.c = 1`) is located at the key too.
    for (let n = 0; n < key.length - 1; n++) {
      node = node.child(key[n]);
      this.#out.mark(node, { key: keyPos });
    }
    node = node.child(key[key.length - 1]);
    this.#out.mark(node, { key: keyPos, value: this.#pos(this.#i) });
    this.#value(node);
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

  #value(node: LocationNode): void {
    const c = this.#peek();
    if (this.#text.startsWith('"""', this.#i)) this.#multiline('"');
    else if (this.#text.startsWith("'''", this.#i)) this.#multiline("'");
    else if (c === '"') this.#basicString();
    else if (c === "'") this.#literalString();
    else if (c === "[") this.#array(node);
    else if (c === "{") this.#inlineTable(node);
    else {
      while (!this.#eof() && !",]}\n#".includes(this.#peek())) this.#i++;
    }
  }

  #array(node: LocationNode): void {
    this.#i++;
    for (let index = 0; !this.#eof(); index++) {
      this.#skipSpaces(true);
      if (this.#peek() === "]") break;
      const at = this.#pos(this.#i);
      const element = node.child(index);
      this.#out.mark(element, { key: at, value: at });
      const before = this.#i;
      this.#value(element);
      this.#skipSpaces(true);
      if (this.#peek() === ",") this.#i++;
      else if (this.#i === before) break;
    }
    this.#i++;
  }

  #inlineTable(node: LocationNode): void {
    this.#i++;
    while (!this.#eof()) {
      this.#skipSpaces(true);
      if (this.#peek() === "}") break;
      const before = this.#i;
      this.#keyValue(node);
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

/** Deepest nesting accepted: far beyond any config, and short of the parser's stack. */
export const MAX_JSON_DEPTH = 256;

class JsonFailure {
  constructor(readonly position: Position, readonly reason: string, readonly expected: string) {}
}

/** A key written twice in one JSON object (`JSON.parse` silently keeps the last). */
export interface DuplicateKey {
  /** Path of the object holding the key. */
  parent: (string | number)[];
  /** The key. */
  key: string;
  /** Where it is written the second (or later) time. */
  at: Position;
  /** Where it was written first. */
  first: Position;
}

const VALUE_EXPECTED = 'a value (an object, array, "string", number, true, false or null)';

// jsonc-parser's ParseErrorCode (a `const enum` in its typings, so not importable at runtime).
const JsoncError = {
  InvalidSymbol: 1,
  InvalidNumberFormat: 2,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  UnexpectedEndOfNumber: 13,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;

type Frame =
  | {
    kind: "object";
    value: { [key: string]: JsonValue };
    node: LocationNode;
    /** The property being read, and the offset of its name. */
    key?: string;
    keyAt?: number;
    /** After "{" or ",": a property name comes next. */
    expectKey: boolean;
  }
  | { kind: "array"; value: JsonValue[]; node: LocationNode };

/** What a jsonc-parser error code means to a person, given the text at the error. */
function explain(
  code: number,
  text: string,
  offset: number,
  inside: "object" | "array" | undefined,
): { reason: string; expected: string } {
  const c = text[offset];
  const found = offset >= text.length
    ? "end of file"
    : JSON.stringify(text.slice(offset, offset + 1));
  const unexpected = `unexpected ${found}`;
  switch (code) {
    case JsoncError.InvalidSymbol:
      return {
        reason: `${unexpected}${c === "'" ? "; JSON strings need double quotes" : ""}`,
        expected: VALUE_EXPECTED,
      };
    case JsoncError.InvalidNumberFormat:
    case JsoncError.UnexpectedEndOfNumber:
      return { reason: "incomplete number", expected: "a number such as 12, -3 or 1.5e3" };
    case JsoncError.PropertyNameExpected:
      return {
        reason: `${unexpected}${c === "}" ? " (JSON allows no trailing comma)" : ""}`,
        expected: "a double-quoted property name",
      };
    case JsoncError.ValueExpected:
      return c === "]"
        ? { reason: `${unexpected} (JSON allows no trailing comma)`, expected: "a value" }
        : { reason: unexpected, expected: VALUE_EXPECTED };
    case JsoncError.ColonExpected:
      return { reason: unexpected, expected: `":" after the name` };
    case JsoncError.CommaExpected:
      return { reason: unexpected, expected: inside === "array" ? `"," or "]"` : `"," or "}"` };
    case JsoncError.CloseBraceExpected:
      return { reason: unexpected, expected: `"," or "}"` };
    case JsoncError.CloseBracketExpected:
      return { reason: unexpected, expected: `"," or "]"` };
    case JsoncError.EndOfFileExpected:
      return { reason: unexpected, expected: "end of file" };
    case JsoncError.InvalidCommentToken:
      return { reason: "a comment", expected: "JSON without comments" };
    case JsoncError.UnexpectedEndOfComment:
      return { reason: "unterminated /* comment", expected: '"*/"' };
    case JsoncError.UnexpectedEndOfString:
      return { reason: "unterminated string", expected: 'a closing "' };
    case JsoncError.InvalidUnicode:
      return { reason: "invalid \\u escape", expected: "four hex digits after \\u" };
    case JsoncError.InvalidEscapeCharacter:
      return {
        reason: "invalid escape",
        expected: 'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
      };
    case JsoncError.InvalidCharacter:
      return { reason: "control character in string", expected: "an escaped character" };
    default:
      return { reason: unexpected, expected: "valid JSON" };
  }
}

/**
 * One pass of jsonc-parser's visitor: builds the value, records where every
 * key and element is written (in the trie, O(1) per entry) and notes
 * duplicate keys. Stops at the first syntax error, or past
 * {@linkcode MAX_JSON_DEPTH} (before the recursive parser can overflow).
 */
function parseJsonText(
  text: string,
  comments: boolean,
): { value: JsonValue; locations: KeyLocations; duplicates: DuplicateKey[] } {
  // Positions from offsets, counting lines as the TOML side does (a lone "\r" is no line break).
  const lines = new LineIndex(text);
  const pos = (offset: number): Position => lines.position(offset);
  const locations = new KeyLocations(lines);
  const duplicates: DuplicateKey[] = [];
  const stack: Frame[] = [];
  let root: { value: JsonValue } | undefined;
  // Adds a value to the open container (or makes it the root) and records where it is.
  const place = (value: JsonValue, offset: number): LocationNode => {
    const top = stack.at(-1);
    if (!top) {
      root = { value };
      return locations.root;
    }
    if (top.kind === "array") {
      const node = top.node.child(top.value.length);
      locations.markOffsets(node, offset, offset);
      top.value.push(value);
      return node;
    }
    const key = top.key!;
    top.value[key] = value;
    const node = top.node.child(key);
    locations.markOffsets(node, top.keyAt!, offset);
    return node;
  };
  // The path of the innermost open container (only a duplicate key needs it).
  const currentPath = (): (string | number)[] =>
    stack.slice(0, -1).map((frame) => frame.kind === "array" ? frame.value.length - 1 : frame.key!);
  const open = (kind: "object" | "array", offset: number): void => {
    if (stack.length >= MAX_JSON_DEPTH) {
      throw new JsonFailure(pos(offset), "nesting too deep", `at most ${MAX_JSON_DEPTH} levels`);
    }
    const value = kind === "object" ? {} : [];
    const node = place(value, offset);
    stack.push(
      kind === "object"
        ? { kind, value: value as { [key: string]: JsonValue }, node, expectKey: true }
        : { kind, value: value as JsonValue[], node },
    );
  };
  visit(text, {
    onObjectBegin: (offset) => open("object", offset),
    onArrayBegin: (offset) => open("array", offset),
    onObjectEnd: () => void stack.pop(),
    onArrayEnd: () => void stack.pop(),
    onObjectProperty: (key, offset) => {
      const top = stack.at(-1);
      if (top?.kind !== "object") return;
      if (key === "__proto__") {
        throw new JsonFailure(pos(offset), 'unsafe property name "__proto__"', "another name");
      }
      if (Object.hasOwn(top.value, key)) {
        const first = locations.keyOffset(top.node.child(key)) ?? offset;
        duplicates.push({ parent: currentPath(), key, at: pos(offset), first: pos(first) });
      }
      top.key = key;
      top.keyAt = offset;
      top.expectKey = false;
    },
    onSeparator: (separator) => {
      const top = stack.at(-1);
      if (separator === "," && top?.kind === "object") top.expectKey = true;
    },
    onLiteralValue: (value: JsonValue, offset) => void place(value, offset),
    onError: (parseError, offset) => {
      const code: number = parseError;
      const top = stack.at(-1);
      const { reason, expected } = explain(code, text, offset, top?.kind);
      if (code === JsoncError.InvalidSymbol && top?.kind === "object" && top.expectKey) {
        throw new JsonFailure(
          pos(offset),
          reason.replace(/;.*/, ""),
          "a double-quoted property name",
        );
      }
      if (code === JsoncError.InvalidSymbol && top === undefined && root !== undefined) {
        throw new JsonFailure(pos(offset), reason.replace(/;.*/, ""), "end of file");
      }
      if (code === JsoncError.UnexpectedEndOfString) {
        // Point at the line break that ends the string, as editors do.
        const end = text.slice(offset).search(/[\r\n]/);
        if (end !== -1) {
          throw new JsonFailure(
            pos(offset + end),
            "control character in string",
            'a closing " on the same line (or \\n)',
          );
        }
      }
      if (code === JsoncError.ValueExpected && root === undefined && text.trim() === "") {
        throw new JsonFailure(
          pos(offset),
          "empty document",
          'a JSON object such as {"mcpServers": {}}',
        );
      }
      throw new JsonFailure(pos(offset), reason, expected);
    },
  }, { disallowComments: !comments, allowTrailingComma: false, allowEmptyContent: false });
  if (root === undefined) {
    throw new JsonFailure(
      { line: 1, column: 1 },
      "empty document",
      'a JSON object such as {"mcpServers": {}}',
    );
  }
  return { value: root.value, locations, duplicates };
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
): { value: JsonValue; locations: KeyLocations; duplicates: DuplicateKey[] } {
  // A UTF-8 byte order mark is common in files saved by Windows editors; editors do not count it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return parseJsonText(body, options.comments ?? false);
  } catch (error) {
    if (!(error instanceof JsonFailure)) throw error;
    const { line, column } = error.position;
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
