/**
 * Source locations of keys and values in TOML and JSON text, so a schema
 * error about `mcp.startup_mode` can name the line and column where that key
 * (or better, its value) is written.
 *
 * The TOML locator runs only on text that `smol-toml` has already parsed, so it
 * can be a small forgiving scanner; it never throws, and returns what it found.
 * The JSON side is json_locate.ts (jsonc-parser, loaded only when a JSON file
 * is read). Both record into a trie, so the work is linear in the text
 * however long a dotted key is.
 *
 * @module
 */

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
export class LocationNode {
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
