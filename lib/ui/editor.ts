/**
 * The REPL's line editor on a raw-mode terminal: emacs keys, history with
 * Up/Down and Ctrl-R, multi-line input (Alt-Enter, Ctrl-J, a trailing `\`),
 * bracketed paste as one `[pasted N lines]` atom, Tab completion with a menu,
 * and keys typed while the program is busy kept for the next prompt.
 *
 * Why not `node:readline`: it works under Deno for arrows, history and a Tab
 * completer, but it has no multi-line buffer, no reverse search, no paste
 * handling, and when paused it stops reading, so Ctrl-C during an answer
 * would never arrive (in raw mode Ctrl-C is a byte, not a signal). What is
 * built here is only that editing layer; display widths come from
 * `string-width`.
 *
 * The terminal stays in raw mode for the whole REPL: Ctrl-C is read as a key
 * (one press is one cancel, also under `deno task`, which would otherwise
 * forward a second SIGINT), and typing during an answer is never echoed into
 * it.
 *
 * @module
 */

import stringWidth from "string-width";
import { type Key, KeyDecoder } from "./keys.ts";
import { LineBuffer } from "./line_buffer.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** What a read at the prompt ends with. */
export type ReadResult =
  | { kind: "line"; text: string }
  | { kind: "eof" }
  | { kind: "interrupt" };

/** Candidates for the word before the cursor: `text.slice(from, cursor)` is replaced by one. */
export interface Completion {
  from: number;
  items: string[];
}

/** Finds completions; may be slow (asks a server), the editor waits for it. */
export type Completer = (text: string, cursor: number) => Promise<Completion> | Completion;

/** The terminal the editor draws on and reads from. */
export interface EditorTerminal {
  /** Raw key bytes. */
  input: ReadableStream<Uint8Array>;
  setRaw(on: boolean): void;
  write(text: string): void;
  columns(): number;
  /** Subscribes to window size changes; returns an unsubscribe function. */
  onResize?(listener: () => void): () => void;
}

/** Lines typed before, oldest first; `add` decides what is kept. */
export interface EditorHistory {
  readonly entries: readonly string[];
  add(line: string): void;
}

/** Options of one {@linkcode LineEditor.read}. */
export interface ReadOptions {
  /** The prompt (may hold colour). */
  prompt: string;
  /** Up/Down, Ctrl-R and saving to history; also makes Ctrl-C on a typed line clear it. */
  history?: boolean;
  complete?: Completer;
  /** Withdraws the question (its asker went away): the read ends as `interrupt`. */
  signal?: AbortSignal;
  /**
   * A one-key menu instead of a line: pressing a choice's key answers at once
   * (the result's text is that key); Left/Right or Tab move, Enter takes the
   * highlighted one.
   */
  choices?: readonly { key: string; label: string }[];
  /** A status line drawn under the prompt (cut to the width), asked for at each redraw. */
  footer?: () => string | undefined;
}

interface ActiveRead {
  options: ReadOptions;
  buffer: LineBuffer;
  resolve(result: ReadResult): void;
  pastes: Map<string, string>;
  historyIndex: number;
  draft: string;
  search?: { query: string; index: number; failed: boolean; saved: string };
  selected: number;
  menu?: { items: string[]; from: number; to: number; selected: number };
}

const ESC_WAIT_MS = 40;
/** Text that leaves the cursor at the start of a line (styling codes after it aside). */
// deno-lint-ignore no-control-regex -- escape sequences are what is matched
const AT_LINE_START = /(?:\n|\r|\r\x1b\[2K|\x1b\[J)(?:\x1b\[[\d;]*m)*$/;
const MENU_ROWS = 6;

/**
 * A line editor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type EditorTerminal, LineEditor } from "./editor.ts";
 * // A terminal in memory: the keys `h`, `i`, Enter (the REPL passes `denoTerminal()`).
 * let drawn = "";
 * const term: EditorTerminal = {
 *   input: ReadableStream.from([new TextEncoder().encode("hi\r")]),
 *   setRaw: () => {},
 *   write: (text) => void (drawn += text),
 *   columns: () => 80,
 * };
 * const entries: string[] = [];
 * const editor = new LineEditor(term, { history: { entries, add: (l) => entries.push(l) } });
 * editor.start();
 * const result = await editor.read({ prompt: "› ", history: true });
 * editor.close();
 * assert.deepEqual(result, { kind: "line", text: "hi" });
 * assert.deepEqual(entries, ["hi"]);
 * assert.ok(drawn.includes("› "));
 * ```
 */
export class LineEditor {
  #term: EditorTerminal;
  #history: EditorHistory;
  #clock: Clock;
  #decoder = new KeyDecoder();
  #reads: ActiveRead[] = [];
  #typeAhead: Key[] = [];
  #interrupts = new Set<() => void>();
  #queue: Promise<void> = Promise.resolve();
  #escTimer: TimerHandle | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #offResize: (() => void) | undefined;
  /** Row of the cursor within what is drawn (0 = first row of the prompt); -1 when nothing is. */
  #drawnRow = -1;
  #atLineStart = true;
  #ended = false;
  #continuation: string;

  constructor(
    term: EditorTerminal,
    options: { history: EditorHistory; clock?: Clock; continuation?: string },
  ) {
    this.#term = term;
    this.#history = options.history;
    this.#clock = options.clock ?? systemClock;
    this.#continuation = options.continuation ?? "… ";
  }

  /** Raw mode, bracketed paste on, starts reading keys. */
  start(): void {
    this.#term.setRaw(true);
    this.#term.write("\x1b[?2004h");
    this.#offResize = this.#term.onResize?.(() => this.#enqueue(() => this.#redraw()));
    void this.#pump();
  }

  /** Restores the terminal. */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#offResize?.();
    if (this.#escTimer !== undefined) this.#clock.clearTimeout(this.#escTimer);
    this.#term.write("\x1b[?2004l");
    try {
      this.#term.setRaw(false);
    } catch {
      // the terminal is gone
    }
    void this.#reader?.cancel().catch(() => {});
    for (const read of this.#reads.splice(0)) read.resolve({ kind: "eof" });
  }

  /** Ctrl-C while no prompt is waiting (or at a question): cancel what runs. */
  onInterrupt(listener: () => void): () => void {
    this.#interrupts.add(listener);
    return () => this.#interrupts.delete(listener);
  }

  /** Whether a prompt is on screen. */
  get reading(): boolean {
    return this.#reads.length > 0;
  }

  /**
   * Writes program output. While a prompt is on screen the text appears above
   * it and the prompt is drawn again below.
   */
  print(text: string): void {
    if (text === "") return;
    // A transient status line ("\r…", no newline) is not drawn over a prompt.
    if (this.#reads.length > 0 && text.startsWith("\r") && !text.includes("\n")) return;
    if (this.#reads.length === 0 || this.#drawnRow < 0) {
      this.#term.write(text);
      this.#atLineStart = AT_LINE_START.test(text);
      return;
    }
    this.#erase();
    this.#term.write(text.endsWith("\n") ? text : `${text}\n`);
    this.#atLineStart = true;
    this.#render();
  }

  /**
   * Reads one line. A read started while another waits (a question from a
   * server) is answered first; the earlier prompt comes back after it.
   */
  read(options: ReadOptions): Promise<ReadResult> {
    if (this.#ended) return Promise.resolve({ kind: "eof" });
    if (options.signal?.aborted) return Promise.resolve({ kind: "interrupt" });
    return new Promise((resolve) => {
      options.signal?.addEventListener("abort", () => {
        this.#enqueue(() => {
          const read = this.#reads.find((r) => r.options === options);
          if (!read) return;
          if (read === this.#reads.at(-1)) return this.#finish(read, { kind: "interrupt" });
          this.#reads.splice(this.#reads.indexOf(read), 1);
          read.resolve({ kind: "interrupt" });
        });
      }, { once: true });
      this.#enqueue(() => {
        if (this.#reads.length > 0) this.#erase();
        if (!this.#atLineStart) {
          this.#term.write("\n");
          this.#atLineStart = true;
        }
        this.#reads.push({
          options,
          buffer: new LineBuffer(),
          resolve,
          pastes: new Map(),
          historyIndex: this.#history.entries.length,
          draft: "",
          selected: 0,
        });
        this.#render();
        // What was typed while busy goes to the next prompt, never to a question
        // (a "y" typed early must not approve a tool call nobody has seen yet).
        if (options.history) this.#keys(this.#typeAhead.splice(0));
      });
    });
  }

  #enqueue(step: () => void | Promise<void>): void {
    this.#queue = this.#queue.then(step).catch((error) => {
      this.#term.write(
        `\r\nline editor error: ${error instanceof Error ? error.message : error}\r\n`,
      );
    });
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    this.#reader = this.#term.input.getReader();
    try {
      while (true) {
        const { value, done } = await this.#reader.read();
        if (done) break;
        this.#keys(this.#decoder.feed(decoder.decode(value, { stream: true })));
        if (this.#escTimer !== undefined) this.#clock.clearTimeout(this.#escTimer);
        this.#escTimer = undefined;
        if (this.#decoder.pending) {
          this.#escTimer = this.#clock.setTimeout(() => {
            this.#escTimer = undefined;
            this.#keys(this.#decoder.flush());
          }, ESC_WAIT_MS);
        }
      }
    } catch {
      // stdin closed under us
    } finally {
      if (!this.#ended) this.#enqueue(() => this.#endOfInput());
    }
  }

  #endOfInput(): void {
    for (const read of this.#reads.splice(0).reverse()) read.resolve({ kind: "eof" });
  }

  #keys(keys: Key[]): void {
    for (const key of keys) this.#enqueue(() => this.#handle(key));
  }

  #handle(key: Key): void | Promise<void> {
    const read = this.#reads.at(-1);
    if (!read) {
      if (key.ctrl && key.name === "c") {
        this.#typeAhead.length = 0;
        for (const listener of this.#interrupts) listener();
      } else {
        this.#typeAhead.push(key);
      }
      return;
    }
    if (read.search) return this.#searchKey(read, key);
    if (read.options.choices) return this.#chooseKey(read, read.options.choices, key);
    if (key.name === "tab" && !key.shift && read.options.complete) return this.#complete(read);
    if (read.menu && (key.name === "return") && read.menu.selected >= 0) {
      read.menu = undefined;
      this.#render();
      return;
    }
    read.menu = undefined;
    this.#edit(read, key);
  }

  #edit(read: ActiveRead, key: Key): void {
    const b = read.buffer;
    const name = key.name;
    if (key.ctrl && !key.meta) {
      switch (name) {
        case "c":
          return this.#interrupt(read);
        case "d":
          if (b.text === "") return this.#finish(read, { kind: "eof" });
          b.deleteForward();
          break;
        case "a":
          b.home();
          break;
        case "e":
          b.end();
          break;
        case "b":
          b.left();
          break;
        case "f":
          b.right();
          break;
        case "w":
          b.killWordBack();
          break;
        case "u":
          b.killToStart();
          break;
        case "k":
          b.killToEnd();
          break;
        case "y":
          b.yank();
          break;
        case "h":
          b.backspace();
          break;
        case "p":
          this.#historyMove(read, -1);
          break;
        case "n":
          this.#historyMove(read, 1);
          break;
        case "l":
          this.#term.write("\x1b[H\x1b[2J");
          this.#drawnRow = -1;
          break;
        case "r":
          if (read.options.history) {
            read.search = {
              query: "",
              index: this.#history.entries.length,
              failed: false,
              saved: b.text,
            };
          }
          break;
        case "enter": // Ctrl-J
          b.insert("\n");
          break;
        case "left":
          b.wordLeft();
          break;
        case "right":
          b.wordRight();
          break;
        case "up":
        case "down":
          break;
        default:
          return;
      }
      return this.#render();
    }
    if (key.meta && name !== "enter") {
      switch (name) {
        case "b":
        case "left":
          b.wordLeft();
          break;
        case "f":
        case "right":
          b.wordRight();
          break;
        case "d":
          b.killWordForward();
          break;
        case "backspace":
          b.killWordBack();
          break;
        default:
          return;
      }
      return this.#render();
    }
    switch (name) {
      case "char":
        b.insert(key.text ?? "");
        break;
      case "paste":
        this.#paste(read, key.text ?? "");
        break;
      case "enter": // Alt-Enter
        b.insert("\n");
        break;
      case "return":
        if (b.text.endsWith("\\") && b.cursor === b.text.length) {
          b.backspace();
          b.insert("\n");
          break;
        }
        return this.#submit(read);
      case "backspace":
        b.backspace();
        break;
      case "delete":
        b.deleteForward();
        break;
      case "left":
        b.left();
        break;
      case "right":
        b.right();
        break;
      case "home":
        b.home();
        break;
      case "end":
        b.end();
        break;
      case "up":
        if (!b.lineUp()) this.#historyMove(read, -1);
        break;
      case "down":
        if (!b.lineDown()) this.#historyMove(read, 1);
        break;
      default:
        return;
    }
    this.#render();
  }

  #paste(read: ActiveRead, text: string): void {
    // deno-lint-ignore no-control-regex -- pasted control characters are dropped, not acted on
    const clean = text.replace(/\t/g, "  ").replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");
    const lines = clean.replace(/\n$/, "").split("\n").length;
    if (lines < 2) return read.buffer.insert(clean.replace(/\n$/, ""));
    let label = `[pasted ${lines} lines]`;
    for (let n = 2; read.pastes.has(label); n++) label = `[pasted ${lines} lines #${n}]`;
    read.pastes.set(label, clean.replace(/\n$/, ""));
    read.buffer.atoms.add(label);
    read.buffer.insert(label);
  }

  #chooseKey(
    read: ActiveRead,
    choices: readonly { key: string; label: string }[],
    key: Key,
  ): void {
    if (key.ctrl && key.name === "c") return this.#interrupt(read);
    if (key.ctrl && key.name === "d") return this.#finish(read, { kind: "eof" });
    if (key.name === "return") {
      return this.#finish(read, { kind: "line", text: choices[read.selected].key });
    }
    if (key.name === "left" || (key.name === "tab" && key.shift)) {
      read.selected = (read.selected + choices.length - 1) % choices.length;
    } else if (key.name === "right" || key.name === "tab") {
      read.selected = (read.selected + 1) % choices.length;
    } else if (key.name === "char" && key.text) {
      const picked = choices.find((ch) => ch.key === key.text!.toLowerCase());
      if (picked) {
        read.selected = choices.indexOf(picked);
        return this.#finish(read, { kind: "line", text: picked.key });
      }
      return;
    } else return;
    this.#render();
  }

  #historyMove(read: ActiveRead, step: number): void {
    if (!read.options.history) return;
    const entries = this.#history.entries;
    const next = read.historyIndex + step;
    if (next < 0 || next > entries.length) return;
    if (read.historyIndex === entries.length) read.draft = read.buffer.text;
    read.historyIndex = next;
    read.buffer.set(next === entries.length ? read.draft : entries[next]);
  }

  #searchKey(read: ActiveRead, key: Key): void {
    const search = read.search!;
    const entries = this.#history.entries;
    const find = (from: number) => {
      for (let i = Math.min(from, entries.length - 1); i >= 0; i--) {
        if (search.query && entries[i].includes(search.query)) {
          search.index = i;
          search.failed = false;
          return;
        }
      }
      search.failed = search.query !== "";
    };
    if (key.ctrl && key.name === "r") {
      find(search.index - 1);
    } else if (key.name === "char") {
      search.query += key.text ?? "";
      find(search.index);
    } else if (key.name === "backspace") {
      search.query = search.query.slice(0, -1);
      find(entries.length - 1);
    } else if ((key.ctrl && (key.name === "g" || key.name === "c")) || key.name === "escape") {
      read.search = undefined;
      read.buffer.set(search.saved);
    } else {
      // Any other key takes the match and goes on editing with that key.
      read.search = undefined;
      if (!search.failed && search.query && entries[search.index] !== undefined) {
        read.buffer.set(entries[search.index]);
        read.historyIndex = search.index;
      }
      return this.#edit(read, key);
    }
    this.#render();
  }

  async #complete(read: ActiveRead): Promise<void> {
    const b = read.buffer;
    const menu = read.menu;
    if (menu && menu.items.length > 1) {
      // Tab again walks through the menu.
      menu.selected = (menu.selected + 1) % menu.items.length;
      b.text = b.text.slice(0, menu.from) + menu.items[menu.selected] + b.text.slice(menu.to);
      menu.to = menu.from + menu.items[menu.selected].length;
      b.cursor = menu.to;
      return this.#render();
    }
    const completer = read.options.complete!;
    let found: Completion;
    try {
      found = await completer(b.text, b.cursor);
    } catch {
      return;
    }
    if (this.#reads.at(-1) !== read) return;
    const typed = b.text.slice(found.from, b.cursor);
    const items = [...new Set(found.items)].filter((item) => item.startsWith(typed));
    if (items.length === 0) return;
    if (items.length === 1) {
      const item = items[0];
      const space = /[/:=]$/.test(item) ? "" : " ";
      const rest = b.text.slice(b.cursor);
      b.text = b.text.slice(0, found.from) + item + (rest.startsWith(" ") ? "" : space) + rest;
      b.cursor = found.from + item.length + (rest.startsWith(" ") ? 1 : space.length);
      return this.#render();
    }
    const common = commonPrefix(items);
    b.text = b.text.slice(0, found.from) + common + b.text.slice(b.cursor);
    b.cursor = found.from + common.length;
    read.menu = { items, from: found.from, to: b.cursor, selected: -1 };
    this.#render();
  }

  #interrupt(read: ActiveRead): void {
    if (read.options.history && (read.buffer.text !== "" || read.search)) {
      // A typed line is dropped (as in a shell); the prompt stays.
      read.search = undefined;
      this.#render(true);
      this.#term.write("^C\n");
      this.#drawnRow = -1;
      read.buffer = new LineBuffer();
      read.pastes.clear();
      read.historyIndex = this.#history.entries.length;
      return this.#render();
    }
    this.#finish(read, { kind: "interrupt" });
    // A question is part of what runs: Ctrl-C there cancels that too.
    if (!read.options.history) { for (const listener of this.#interrupts) listener(); }
  }

  #submit(read: ActiveRead): void {
    let text = read.buffer.text;
    for (const [label, pasted] of read.pastes) text = text.split(label).join(pasted);
    if (read.options.history && text.trim() !== "") this.#history.add(text);
    this.#finish(read, { kind: "line", text });
  }

  #finish(read: ActiveRead, result: ReadResult): void {
    const b = read.buffer;
    // Drawn again only when the screen differs from the final text (menu, search, cursor).
    if (
      read.menu || read.search || b.cursor !== b.text.length || b.text.includes("\n") ||
      read.options.footer?.()
    ) {
      read.menu = undefined;
      read.search = undefined;
      this.#render(true);
    }
    this.#term.write("\n");
    this.#drawnRow = -1;
    this.#atLineStart = true;
    this.#reads.pop();
    read.resolve(result);
    if (this.#reads.length > 0) this.#render();
  }

  #redraw(): void {
    if (this.#reads.length > 0) this.#render();
  }

  /** Draws the prompt again where it is (its content changed: a status line). */
  refresh(): void {
    this.#enqueue(() => this.#redraw());
  }

  /** Draws the prompt again, e.g. after something outside wrote over its line. */
  redraw(): void {
    this.#enqueue(() => {
      if (this.#reads.length === 0) return;
      // Whatever was drawn may be gone: start again on the current row.
      this.#drawnRow = 0;
      this.#render();
    });
  }

  /** Erases what the editor drew (the cursor ends at the start of the prompt's row). */
  #erase(): void {
    if (this.#drawnRow < 0) return;
    this.#term.write(`${this.#drawnRow > 0 ? `\x1b[${this.#drawnRow}A` : ""}\r\x1b[J`);
    this.#drawnRow = -1;
  }

  /**
   * Draws the prompt, the text (wrapped to the width), the menu or search; the
   * cursor goes where it belongs, or to the end with `toEnd` (before a newline).
   */
  #render(toEnd = false): void {
    const read = this.#reads.at(-1);
    if (!read) return;
    const columns = Math.max(10, this.#term.columns());
    const segments: { prefix: string; text: string }[] = [];
    let cursorLine = 0;
    let cursorIndex = 0;
    if (read.search) {
      const s = read.search;
      const match = s.failed || !s.query ? "" : this.#history.entries[s.index] ?? "";
      const label = `(${s.failed ? "failed " : ""}reverse-i-search)'${s.query}': `;
      const lines = match.split("\n");
      lines.forEach((text, i) => segments.push({ prefix: i ? this.#continuation : label, text }));
      cursorLine = 0;
      cursorIndex = 0;
      segments[0].prefix = label;
      toEnd = toEnd || true;
    } else {
      const b = read.buffer;
      const lines = b.text.split("\n");
      let offset = 0;
      const prompt = read.options.choices
        ? read.options.prompt + choiceLine(read.options.choices, read.selected)
        : read.options.prompt;
      lines.forEach((text, i) => {
        segments.push({ prefix: i ? this.#continuation : prompt, text });
        if (b.cursor >= offset && b.cursor <= offset + text.length) {
          cursorLine = i;
          cursorIndex = b.cursor - offset;
        }
        offset += text.length + 1;
      });
    }
    const rows: string[] = [];
    let cursorRow = 0;
    let cursorCol = 0;
    segments.forEach(({ prefix, text }, line) => {
      // The prompt may hold several lines and colour: its last line starts the text's row.
      let row = "";
      let width = 0;
      for (const cell of promptCells(prefix)) {
        if (cell === "\n" || width + stringWidth(cell) > columns) {
          rows.push(row);
          row = "";
          width = 0;
          if (cell === "\n") continue;
        }
        row += cell;
        width += stringWidth(cell);
      }
      let index = 0;
      for (const ch of text) {
        const w = stringWidth(ch);
        if (width + w > columns) {
          rows.push(row);
          row = "";
          width = 0;
        }
        if (line === cursorLine && index === cursorIndex) {
          cursorRow = rows.length;
          cursorCol = width;
        }
        row += ch;
        width += w;
        index += ch.length;
      }
      if (line === cursorLine && index <= cursorIndex) {
        if (width >= columns) {
          rows.push(row);
          row = "";
          width = 0;
        }
        cursorRow = rows.length;
        cursorCol = width;
      }
      rows.push(row);
    });
    const contentRows = rows.length;
    if (read.menu && !toEnd) rows.push(...menuRows(read.menu, columns));
    const footer = toEnd ? undefined : read.options.footer?.();
    if (footer) rows.push(fitStyled(footer, columns - 1));
    if (toEnd) {
      cursorRow = contentRows - 1;
      cursorCol = stringWidth(rows[cursorRow]);
      if (cursorCol >= columns) cursorCol = columns - 1;
    }
    let out = "\x1b[?25l";
    if (this.#drawnRow > 0) out += `\x1b[${this.#drawnRow}A`;
    out += "\r\x1b[J" + rows.join("\r\n");
    const up = rows.length - 1 - cursorRow;
    if (up > 0) out += `\x1b[${up}A`;
    out += "\r" + (cursorCol > 0 ? `\x1b[${cursorCol}C` : "") + "\x1b[?25h";
    this.#term.write(out);
    this.#drawnRow = cursorRow;
  }
}

/** A prompt cut into what the terminal draws: escape sequences (no width), characters, newlines. */
function promptCells(prompt: string): string[] {
  // deno-lint-ignore no-control-regex -- splitting out escape sequences is the point
  return prompt.match(/\x1b\[[\d;?]*[A-Za-z]|[\s\S]/gu) ?? [];
}

/** Styled text cut to `width` cells (escape sequences kept, styles reset at the end). */
function fitStyled(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const cell of promptCells(text)) {
    if (cell === "\n") break;
    const w = stringWidth(cell);
    if (used + w > width - 1) break;
    out += cell;
    used += w;
  }
  return out + "…\x1b[0m";
}

/** `[y]es  [n]o …` with the highlighted choice in reverse video. */
function choiceLine(choices: readonly { key: string; label: string }[], selected: number): string {
  return choices.map((choice, i) => {
    // The key is marked where a word starts with it ("always this [s]erver"), else anywhere.
    const lower = choice.label.toLowerCase();
    const wordStart = [...lower].findIndex((ch, i) =>
      ch === choice.key && (i === 0 || lower[i - 1] === " ")
    );
    const at = wordStart >= 0 ? wordStart : lower.indexOf(choice.key);
    const text = at >= 0
      ? `${choice.label.slice(0, at)}[${choice.label.slice(at, at + 1)}]${
        choice.label.slice(at + 1)
      }`
      : `[${choice.key}] ${choice.label}`;
    return i === selected ? `\x1b[7m${text}\x1b[27m` : text;
  }).join("  ") + " ";
}

function menuRows(
  menu: { items: string[]; selected: number },
  columns: number,
): string[] {
  const width = Math.min(columns - 1, Math.max(...menu.items.map((i) => stringWidth(i))) + 2);
  const perRow = Math.max(1, Math.floor((columns - 1) / width));
  const rows: string[] = [];
  const shown = menu.items.slice(0, perRow * MENU_ROWS);
  for (let i = 0; i < shown.length; i += perRow) {
    rows.push(
      shown.slice(i, i + perRow).map((item, j) => {
        const cell = fit(item, width - 2).padEnd(width - 2) + "  ";
        return i + j === menu.selected ? `\x1b[7m${cell.trimEnd()}\x1b[27m  ` : cell;
      }).join("").trimEnd(),
    );
  }
  if (menu.items.length > shown.length) {
    rows.push(`\x1b[2m… ${menu.items.length - shown.length} more (type to narrow)\x1b[22m`);
  }
  return rows;
}

function fit(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = "";
  for (const ch of text) {
    if (stringWidth(out + ch) > width - 1) break;
    out += ch;
  }
  return out + "…";
}

/**
 * The longest common prefix of some strings.
 *
 * @example
 * ```ts
 * import { commonPrefix } from "./editor.ts";
 * console.log(commonPrefix(["/alias", "/all"])); // "/al"
 * ```
 */
export function commonPrefix(items: readonly string[]): string {
  if (items.length === 0) return "";
  let prefix = items[0];
  for (const item of items) {
    while (!item.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}

/**
 * The process's terminal for the editor: stdin in raw mode, drawing on stdout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { denoTerminal } from "./editor.ts";
 * // `new LineEditor(denoTerminal(), { history })` in the REPL; `start()` puts stdin in raw
 * // mode, so a non-terminal only gets looked at here.
 * const term = denoTerminal();
 * assert.equal(term.input, Deno.stdin.readable);
 * assert.ok(term.columns() > 0); // $COLUMNS, or 80, when stdout is no terminal
 * ```
 */
export function denoTerminal(): EditorTerminal {
  const encoder = new TextEncoder();
  return {
    input: Deno.stdin.readable,
    setRaw: (on) => Deno.stdin.setRaw(on),
    write: (text) => {
      const bytes = encoder.encode(text);
      let written = 0;
      while (written < bytes.length) written += Deno.stdout.writeSync(bytes.subarray(written));
    },
    columns: () => {
      let columns = 0;
      try {
        columns = Deno.consoleSize().columns;
      } catch {
        // not a terminal after all
      }
      // A pty opened without a size (script, some CI) says 0: use $COLUMNS, then 80.
      return columns || Number(Deno.env.get("COLUMNS")) || 80;
    },
    onResize: (listener) => {
      if (Deno.build.os === "windows") return () => {};
      Deno.addSignalListener("SIGWINCH", listener);
      return () => Deno.removeSignalListener("SIGWINCH", listener);
    },
  };
}
