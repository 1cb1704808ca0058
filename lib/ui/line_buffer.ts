/**
 * The text being edited at the prompt and the emacs-style operations on it,
 * without any terminal: a string (which may hold newlines), a cursor, a kill
 * ring of one, and "atoms" (such as `[pasted 5 lines]`) that the cursor and
 * deletions treat as one character.
 *
 * @module
 */

const WORD = /[\p{L}\p{N}_]/u;

/**
 * An editable line.
 *
 * @example
 * ```ts
 * import { LineBuffer } from "./line_buffer.ts";
 * const line = new LineBuffer("hello world");
 * line.wordLeft();
 * line.insert("big ");
 * console.log(line.text); // "hello big world"
 * ```
 */
export class LineBuffer {
  text: string;
  cursor: number;
  #killed = "";
  /** Labels that move and delete as one unit. */
  readonly atoms = new Set<string>();

  constructor(text = "", cursor = text.length) {
    this.text = text;
    this.cursor = cursor;
  }

  /** Replaces everything, cursor at the end. */
  set(text: string): void {
    this.text = text;
    this.cursor = text.length;
  }

  insert(text: string): void {
    this.text = this.text.slice(0, this.cursor) + text + this.text.slice(this.cursor);
    this.cursor += text.length;
  }

  backspace(): void {
    const atom = this.#atomBefore();
    const n = atom?.length ?? charBefore(this.text, this.cursor);
    if (n === 0) return;
    this.text = this.text.slice(0, this.cursor - n) + this.text.slice(this.cursor);
    this.cursor -= n;
  }

  /** Deletes the character under the cursor (Ctrl-D on a non-empty line, Delete). */
  deleteForward(): void {
    const n = this.#atomAfter()?.length ?? charAfter(this.text, this.cursor);
    this.text = this.text.slice(0, this.cursor) + this.text.slice(this.cursor + n);
  }

  left(): void {
    this.cursor -= this.#atomBefore()?.length ?? charBefore(this.text, this.cursor);
  }

  right(): void {
    this.cursor += this.#atomAfter()?.length ?? charAfter(this.text, this.cursor);
  }

  /** Start of the current line (Home, Ctrl-A). */
  home(): void {
    this.cursor = this.text.lastIndexOf("\n", this.cursor - 1) + 1;
  }

  /** End of the current line (End, Ctrl-E). */
  end(): void {
    const next = this.text.indexOf("\n", this.cursor);
    this.cursor = next < 0 ? this.text.length : next;
  }

  /** Back to the start of the word (Alt-B, Ctrl-Left). */
  wordLeft(): void {
    this.cursor = this.#wordStart();
  }

  /** Forward to the end of the word (Alt-F, Ctrl-Right). */
  wordRight(): void {
    this.cursor = this.#wordEnd();
  }

  /** Ctrl-W: deletes the whitespace-separated word before the cursor. */
  killWordBack(): void {
    let start = this.cursor;
    while (start > 0 && /\s/.test(this.text[start - 1])) start--;
    while (start > 0 && !/\s/.test(this.text[start - 1])) start--;
    this.#kill(start, this.cursor);
  }

  /** Alt-D: deletes to the end of the word. */
  killWordForward(): void {
    this.#kill(this.cursor, this.#wordEnd());
  }

  /** Ctrl-U: deletes to the start of the line. */
  killToStart(): void {
    const start = this.text.lastIndexOf("\n", this.cursor - 1) + 1;
    this.#kill(start, this.cursor);
  }

  /** Ctrl-K: deletes to the end of the line. */
  killToEnd(): void {
    const next = this.text.indexOf("\n", this.cursor);
    this.#kill(this.cursor, next < 0 ? this.text.length : next);
  }

  /** Ctrl-Y: puts back what was last deleted by a kill. */
  yank(): void {
    if (this.#killed) this.insert(this.#killed);
  }

  /** Up one line inside a multi-line text; `false` on the first line. */
  lineUp(): boolean {
    const start = this.text.lastIndexOf("\n", this.cursor - 1) + 1;
    if (start === 0) return false;
    const column = this.cursor - start;
    const prevStart = this.text.lastIndexOf("\n", start - 2) + 1;
    this.cursor = Math.min(prevStart + column, start - 1);
    return true;
  }

  /** Down one line inside a multi-line text; `false` on the last line. */
  lineDown(): boolean {
    const next = this.text.indexOf("\n", this.cursor);
    if (next < 0) return false;
    const start = this.text.lastIndexOf("\n", this.cursor - 1) + 1;
    const column = this.cursor - start;
    const after = this.text.indexOf("\n", next + 1);
    this.cursor = Math.min(next + 1 + column, after < 0 ? this.text.length : after);
    return true;
  }

  #kill(from: number, to: number): void {
    if (to <= from) return;
    this.#killed = this.text.slice(from, to);
    this.text = this.text.slice(0, from) + this.text.slice(to);
    this.cursor = from;
  }

  #wordStart(): number {
    let i = this.cursor;
    while (i > 0 && !WORD.test(this.text[i - 1])) i--;
    while (i > 0 && WORD.test(this.text[i - 1])) i--;
    return i;
  }

  #wordEnd(): number {
    let i = this.cursor;
    while (i < this.text.length && !WORD.test(this.text[i])) i++;
    while (i < this.text.length && WORD.test(this.text[i])) i++;
    return i;
  }

  #atomBefore(): string | undefined {
    for (const atom of this.atoms) {
      if (this.text.slice(0, this.cursor).endsWith(atom)) return atom;
    }
  }

  #atomAfter(): string | undefined {
    for (const atom of this.atoms) {
      if (this.text.startsWith(atom, this.cursor)) return atom;
    }
  }
}

function charBefore(text: string, at: number): number {
  if (at === 0) return 0;
  const code = text.charCodeAt(at - 1);
  return at >= 2 && code >= 0xdc00 && code <= 0xdfff ? 2 : 1;
}

function charAfter(text: string, at: number): number {
  if (at >= text.length) return 0;
  const code = text.charCodeAt(at);
  return code >= 0xd800 && code <= 0xdbff ? 2 : 1;
}
