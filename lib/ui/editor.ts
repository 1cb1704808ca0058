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
 * `string-width` (through `text_width.ts`, which loads it after the first prompt).
 *
 * The terminal stays in raw mode for the whole REPL: Ctrl-C is read as a key
 * (one press is one cancel, also under `deno task`, which would otherwise
 * forward a second SIGINT), and typing during an answer is never echoed into
 * it.
 *
 * @module
 */

import { textWidth as stringWidth } from "./text_width.ts";
import { type Key, KeyDecoder } from "./keys.ts";
import { LineBuffer } from "./line_buffer.ts";
import { rowsAboveCursor } from "./reflow.ts";
import { suspendJob } from "./job_control.ts";
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
  /** A note shown after an item in the menu (a session's title and date), never inserted. */
  notes?: ReadonlyMap<string, string>;
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
  /** Height of the screen (when known). */
  rows?(): number;
  /** Subscribes to window size changes; returns an unsubscribe function. */
  onResize?(listener: () => void): () => void;
  /**
   * Stops the job as Ctrl-Z does in a shell (the terminal is already
   * restored); returns `true` once it is continued (`fg`), `false` at once
   * when nothing could continue it (no job control).
   */
  suspend?(): boolean;
  /** Subscribes to SIGCONT (continued after a stop); returns an unsubscribe function. */
  onContinue?(listener: () => void): () => void;
}

/**
 * Output above the prompt that can draw itself again at another width: the
 * answer being streamed, or the last one while nothing else was written
 * after it. It writes through {@linkcode LineEditor.print} with itself as
 * the source.
 */
export interface LiveRegion {
  /** Rows from its first row to where its output ended, once reflowed to `columns`. */
  rowsAbove(columns: number): number;
  /** Its text drawn again at `columns` (the editor erased the old one and writes this). */
  redraw(columns: number): string;
  /** Something else was written after it (or a clear, or a job stop): what it drew is history. */
  detach(): void;
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
   * highlighted one. Once answered, the menu's line is replaced by `⎿ done`
   * (or the label), so the screen keeps what was chosen.
   */
  choices?: readonly Choice[];
  /** A status line drawn under the prompt (cut to the width), asked for at each redraw. */
  footer?: () => string | undefined;
}

/** One entry of a one-key menu. */
export interface Choice {
  key: string;
  label: string;
  /** What stays on screen once it is chosen (e.g. "allowed"); the label when absent. */
  done?: string;
}

interface Menu {
  items: string[];
  notes?: ReadonlyMap<string, string>;
  from: number;
  to: number;
  selected: number;
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
  /** The menu's answer, drawn in place of the menu. */
  answered?: Choice;
  menu?: Menu;
}

const ESC_WAIT_MS = 40;
/** Text that leaves the cursor at the start of a line (styling codes after it aside). */
// deno-lint-ignore no-control-regex -- escape sequences are what is matched
const AT_LINE_START = /(?:\n|\r|\r\x1b\[2K|\x1b\[J)(?:\x1b\[[\d;]*m)*$/;
const MENU_ROWS = 6;
/** How long a resize waits for the terminal to say where the cursor is. */
const CURSOR_REPORT_WAIT_MS = 300;
/** SIGCONTs this soon after coming back from Ctrl-Z are that stop's own. */
const OWN_CONTINUE_MS = 2_000;

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
  #offContinue: (() => void) | undefined;
  /** Row of the cursor within what is drawn (0 = first row of the prompt); -1 when nothing is. */
  #drawnRow = -1;
  /** What the last render drew: each row's width, the cursor's column, at which width. */
  #drawn: { widths: number[]; cursorColumn: number } | undefined;
  #live: LiveRegion | undefined;
  /** Waiting for the terminal's cursor position report. */
  #cursorReport: ((row: number) => void) | undefined;
  #resizing = false;
  /** The width everything on screen was last drawn at. */
  #columns = 0;
  /**
   * Until when a SIGCONT belongs to a stop this editor made itself (Ctrl-Z), which
   * needs nothing more: `deno task` forwards the shell's SIGCONT, so it may come twice.
   */
  #ownContinueUntil = -Infinity;
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
    this.#columns = Math.max(10, this.#term.columns());
    this.#term.setRaw(true);
    this.#term.write("\x1b[?2004h");
    this.#offResize = this.#term.onResize?.(() => {
      if (this.#resizing) return; // one is queued: it reads the size when it runs
      this.#resizing = true;
      this.#enqueue(() => this.#resized());
    });
    this.#offContinue = this.#term.onContinue?.(() => this.#enqueue(() => this.#continued()));
    void this.#pump();
  }

  /** Restores the terminal. */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#offResize?.();
    this.#offContinue?.();
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
   * it and the prompt is drawn again below. Output from a live region
   * (`source`) makes it the one redrawn after a resize, until something else
   * writes a line.
   */
  print(text: string, source?: LiveRegion): void {
    if (text === "") return;
    // A transient status line ("\r…", no newline) is not drawn over a prompt.
    if (this.#reads.length > 0 && text.startsWith("\r") && !text.includes("\n")) return;
    if (source && source !== this.#live) {
      this.#detachLive();
      this.#live = source;
    } else if (!source && text.includes("\n")) this.#detachLive();
    if (this.#reads.length === 0 || this.#drawnRow < 0) {
      this.#term.write(text);
      this.#atLineStart = AT_LINE_START.test(text);
      return;
    }
    this.#erase();
    this.#term.write(text.endsWith("\n") ? text : `${text}\n`);
    if (!text.endsWith("\n")) this.#detachLive(); // the newline added here is not the region's
    this.#atLineStart = true;
    this.#render();
  }

  #detachLive(): void {
    const live = this.#live;
    this.#live = undefined;
    live?.detach();
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
          this.#detachLive();
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
    for (const key of keys) {
      // The terminal's answer to a question about the cursor, not a key: taken at once
      // (the step that asked waits in the queue).
      if (key.name === "cursor-position") this.#cursorReport?.(key.row! - 1);
      else this.#enqueue(() => this.#handle(key));
    }
  }

  #handle(key: Key): void | Promise<void> {
    if (key.ctrl && !key.meta && key.name === "z") return this.#suspend();
    const read = this.#reads.at(-1);
    if (!read) {
      if (key.ctrl && key.name === "c") {
        // Ctrl-C cancels what runs, not what was typed meanwhile: that waits for the prompt.
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
          this.#detachLive();
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
        // Backspace after `[pasted N lines]` opens it up: the pasted text, editable.
        if (!this.#expandPaste(read)) b.backspace();
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

  /** Replaces the paste label before the cursor by its text; `false` when there is none. */
  #expandPaste(read: ActiveRead): boolean {
    const b = read.buffer;
    const before = b.text.slice(0, b.cursor);
    for (const [label, pasted] of read.pastes) {
      if (!before.endsWith(label)) continue;
      b.text = before.slice(0, -label.length) + pasted + b.text.slice(b.cursor);
      b.cursor = b.cursor - label.length + pasted.length;
      read.pastes.delete(label);
      b.atoms.delete(label);
      return true;
    }
    return false;
  }

  #chooseKey(
    read: ActiveRead,
    choices: readonly Choice[],
    key: Key,
  ): void {
    if (key.ctrl && key.name === "c") return this.#interrupt(read);
    if (key.ctrl && key.name === "d") return this.#finish(read, { kind: "eof" });
    if (key.name === "return") {
      read.answered = choices[read.selected];
      return this.#finish(read, { kind: "line", text: choices[read.selected].key });
    }
    if (key.name === "left" || (key.name === "tab" && key.shift)) {
      read.selected = (read.selected + choices.length - 1) % choices.length;
    } else if (key.name === "right" || key.name === "tab") {
      read.selected = (read.selected + 1) % choices.length;
    } else if (key.name === "char" && key.text) {
      // Keys typed fast arrive in one read ("ylow"): the first answers, the rest is type-ahead.
      const [first, ...rest] = key.text;
      const picked = choices.find((ch) => ch.key === first.toLowerCase());
      if (picked) {
        read.selected = choices.indexOf(picked);
        read.answered = picked;
        this.#finish(read, { kind: "line", text: picked.key });
        if (rest.length) this.#handle({ name: "char", text: rest.join("") });
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
      // The prompt with the match replaces the search line (it is what stays in the scrollback).
      this.#render();
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
    read.menu = { items, notes: found.notes, from: found.from, to: b.cursor, selected: -1 };
    this.#render();
  }

  #interrupt(read: ActiveRead): void {
    if (read.options.history && (read.buffer.text !== "" || read.search)) {
      // A typed line is dropped (as in a shell); the prompt stays.
      read.search = undefined;
      this.#render(true);
      this.#detachLive();
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
      read.menu || read.search || read.answered || b.cursor !== b.text.length ||
      b.text.includes("\n") || read.options.footer?.()
    ) {
      read.menu = undefined;
      read.search = undefined;
      this.#render(true);
    }
    this.#detachLive(); // the line typed stays above whatever comes next
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

  /**
   * The width changed. The terminal has re-wrapped what is on screen; the
   * prompt is found again by that arithmetic (lib/ui/reflow.ts), erased and
   * drawn at the new width, and the live region above it (the answer) is
   * drawn again too when all of it is still on the screen: the terminal says
   * where the cursor is, so nothing that went into the scrollback is touched.
   */
  async #resized(): Promise<void> {
    this.#resizing = false;
    const columns = Math.max(10, this.#term.columns());
    const drawn = this.#drawn;
    const live = this.#live;
    const before = this.#columns;
    this.#columns = columns;
    if (columns === before) return this.#redraw(); // only the height changed
    if (!live && (this.#drawnRow < 0 || !drawn)) return;
    const cursorRow = await this.#cursorRow();
    if (this.#ended) return;
    // Rows of the screen above the cursor. When the terminal does not say, the answer is
    // not drawn again (its top may be in the scrollback); the prompt is.
    const onScreen = cursorRow ?? Math.max(0, (this.#term.rows?.() ?? 24) - 1);
    const prompt = this.#drawnRow >= 0 && drawn
      ? rowsAboveCursor(drawn.widths, this.#drawnRow, drawn.cursorColumn, columns)
      : 0;
    const region = live && this.#live === live && cursorRow !== undefined
      ? live.rowsAbove(columns)
      : Infinity;
    let up: number;
    let text = "";
    if (prompt + region <= onScreen) {
      up = prompt + region;
      text = live!.redraw(columns);
    } else if (this.#drawnRow >= 0) {
      up = Math.min(prompt, onScreen);
    } else return; // the answer reaches into the scrollback: left as the terminal wrapped it
    // While an answer streams, the cursor is saved again where it now ends: an inline waiting
    // mark after a half-written line is taken back by restoring the saved cursor (TurnView).
    const save = text && this.#reads.length === 0 ? "\x1b7" : "";
    this.#term.write(
      `\x1b[?25l${up > 0 ? `\x1b[${up}A` : ""}\r\x1b[J${text}${save}\x1b[?25h`,
    );
    this.#drawnRow = -1;
    this.#atLineStart = text === "" || AT_LINE_START.test(text);
    if (this.#reads.length > 0) this.#render();
  }

  /** The cursor's row on the screen (from 0), as the terminal reports it; `undefined` if it does not. */
  #cursorRow(): Promise<number | undefined> {
    return new Promise((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#cursorReport = undefined;
        resolve(undefined);
      }, CURSOR_REPORT_WAIT_MS);
      this.#cursorReport = (row) => {
        this.#clock.clearTimeout(timer);
        this.#cursorReport = undefined;
        resolve(row);
      };
      this.#term.write("\x1b[6n");
    });
  }

  /**
   * Ctrl-Z: as in a shell program, the terminal gets its modes back (cooked,
   * cursor shown, bracketed paste off) and the process group stops; on `fg`
   * raw mode comes back and the prompt is drawn again with what was typed.
   * What streams meanwhile waits in the pipes and is shown after.
   */
  #suspend(): void {
    if (!this.#term.suspend) return;
    const read = this.#reads.at(-1);
    if (read && this.#drawnRow >= 0) {
      read.menu = undefined;
      this.#render(true);
      this.#term.write("^Z");
      this.#atLineStart = false;
    }
    this.#detachLive();
    this.#term.write(`${this.#atLineStart ? "" : "\r\n"}\x1b[?2004l\x1b[?25h`);
    this.#drawnRow = -1;
    this.#atLineStart = true;
    try {
      this.#term.setRaw(false);
    } catch {
      // the terminal is gone
    }
    let stopped = false;
    try {
      stopped = this.#term.suspend();
    } finally {
      if (stopped) this.#ownContinueUntil = this.#clock.now() + OWN_CONTINUE_MS;
      else this.#term.write("(Ctrl-Z: no job control here, nothing could resume mcpchat)\r\n");
      this.#resume();
    }
  }

  /** Back from a stop: raw mode and bracketed paste again, the prompt drawn anew. */
  #resume(): void {
    if (this.#ended) return;
    try {
      this.#term.setRaw(true);
    } catch {
      return; // no terminal any more
    }
    this.#term.write("\x1b[?2004h");
    this.#drawnRow = -1;
    this.#atLineStart = true;
    this.#redraw();
  }

  /** SIGCONT: after a stop this editor did not make (kill -STOP), the terminal is ours again. */
  #continued(): void {
    if (this.#ended || this.#clock.now() <= this.#ownContinueUntil) return;
    // Whatever the shell printed meanwhile is below the old prompt: draw it on a new line.
    if (this.#drawnRow >= 0) this.#term.write("\r\n");
    this.#detachLive();
    this.#resume();
  }

  /** Draws the prompt again where it is (its content changed: a status line). */
  refresh(): void {
    this.#enqueue(() => this.#redraw());
  }

  /** Draws the prompt again, e.g. after something outside wrote over its line. */
  redraw(): void {
    // What writes over it here (Deno's module-loading progress bar) clears from the cursor's
    // row down and leaves the cursor there: the rows above are intact, so drawing from the
    // prompt's first row (as a refresh does) mends it. Starting on the cursor's row instead
    // left a copy of every row above it (a menu's question) at each server state change.
    this.#enqueue(() => this.#redraw());
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
      const question = read.options.prompt;
      const prompt = read.answered
        ? `${question}\x1b[2m⎿ ${read.answered.done ?? read.answered.label}\x1b[22m`
        : read.options.choices
        ? question +
          choiceLine(read.options.choices, read.selected, columns, lastLineWidth(question))
        : question;
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
    this.#drawn = { widths: rows.map((r) => stringWidth(r)), cursorColumn: cursorCol };
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

/** Width of the last line of styled text (where what follows it starts). */
function lastLineWidth(text: string): number {
  // deno-lint-ignore no-control-regex -- styling codes have no width
  return stringWidth(text.slice(text.lastIndexOf("\n") + 1).replace(/\x1b\[[\d;?]*[A-Za-z]/g, ""));
}

/**
 * `[y]es  [n]o …` with the highlighted choice in reverse video; a choice that
 * would not fit in `columns` starts a new line (indented by two), never cut
 * mid-word.
 */
function choiceLine(
  choices: readonly Choice[],
  selected: number,
  columns: number,
  start: number,
): string {
  let used = start;
  let out = "";
  choices.forEach((choice, i) => {
    const text = choiceText(choice);
    const width = stringWidth(text);
    const gap = i === 0 ? 0 : 2;
    if (i > 0 && used + gap + width + 1 > columns) {
      out += "\n  ";
      used = 2;
    } else {
      out += " ".repeat(gap);
      used += gap;
    }
    out += i === selected ? `\x1b[7m${text}\x1b[27m` : text;
    used += width;
  });
  return out + " ";
}

/** A choice as shown: its key in brackets where a word starts with it. */
function choiceText(choice: Choice): string {
  // The key is marked where a word starts with it ("always this [s]erver"), else anywhere.
  const lower = choice.label.toLowerCase();
  const wordStart = [...lower].findIndex((ch, i) =>
    ch === choice.key && (i === 0 || lower[i - 1] === " ")
  );
  const at = wordStart >= 0 ? wordStart : lower.indexOf(choice.key);
  return at >= 0
    ? `${choice.label.slice(0, at)}[${choice.label.slice(at, at + 1)}]${choice.label.slice(at + 1)}`
    : `[${choice.key}] ${choice.label}`;
}

function menuRows(menu: Menu, columns: number): string[] {
  if (menu.notes?.size) return noteRows(menu, columns);
  const width = Math.min(columns - 1, Math.max(...menu.items.map((i) => stringWidth(i))) + 2);
  const perRow = Math.max(1, Math.floor((columns - 1) / width));
  const rows: string[] = [];
  const shown = menu.items.slice(0, perRow * MENU_ROWS);
  for (let i = 0; i < shown.length; i += perRow) {
    rows.push(
      shown.slice(i, i + perRow).map((item, j) => {
        const text = fit(item, width - 2);
        // Padded by width (not length): columns line up with wide characters and the highlight.
        const pad = " ".repeat(Math.max(0, width - stringWidth(text)));
        return i + j === menu.selected ? `\x1b[7m${text}\x1b[27m${pad}` : text + pad;
      }).join("").trimEnd(),
    );
  }
  if (menu.items.length > shown.length) {
    rows.push(`\x1b[2m… ${menu.items.length - shown.length} more (type to narrow)\x1b[22m`);
  }
  return rows;
}

/** A menu with notes: one item a row, its note after it (dim), cut to the width. */
function noteRows(menu: Menu, columns: number): string[] {
  const rows = Math.max(MENU_ROWS, 8);
  const shown = menu.items.slice(0, rows);
  const width = Math.min(
    Math.floor((columns - 1) / 2),
    Math.max(...shown.map((i) => stringWidth(i))),
  );
  const out = shown.map((item, i) => {
    const text = fit(item, width);
    const cell = text + " ".repeat(Math.max(0, width - stringWidth(text)));
    const note = menu.notes?.get(item);
    const room = columns - 1 - width - 2;
    const tail = note && room > 3 ? `  \x1b[2m${fit(note, room)}\x1b[22m` : "";
    return (i === menu.selected ? `\x1b[7m${cell}\x1b[27m` : cell) + tail;
  });
  if (menu.items.length > shown.length) {
    out.push(`\x1b[2m… ${menu.items.length - shown.length} more (type to narrow)\x1b[22m`);
  }
  return out;
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
    rows: () => {
      try {
        return Deno.consoleSize().rows || 24;
      } catch {
        return 24;
      }
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
    suspend: Deno.build.os === "windows" ? undefined : suspendJob,
    onContinue: (listener) => {
      if (Deno.build.os === "windows") return () => {};
      Deno.addSignalListener("SIGCONT", listener);
      return () => Deno.removeSignalListener("SIGCONT", listener);
    },
  };
}
