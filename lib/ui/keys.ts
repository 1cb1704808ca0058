// deno-lint-ignore-file no-control-regex -- decoding escape sequences is this module's job
/**
 * Turns the bytes a terminal sends in raw mode into keys: printable text,
 * control keys, Alt (ESC-prefixed) keys, CSI/SS3 sequences for arrows,
 * Home/End and friends, and bracketed paste as one `paste` key.
 *
 * Why not `node:readline`'s `emitKeypressEvents`: it works under Deno, but it
 * is bound to Node streams and only times out a lone ESC when a whole
 * `readline.Interface` is attached; this decoder is a pure function of its
 * input (driven by tests byte by byte) and hands a paste over whole.
 *
 * @module
 */

/** One decoded key. */
export interface Key {
  /**
   * `char` for printable text (in `text`), `paste` for a bracketed paste (in
   * `text`), otherwise the key's name: `return`, `enter` (Ctrl-J / Alt-Enter),
   * `tab`, `backspace`, `delete`, `escape`, `up`, `down`, `left`, `right`,
   * `home`, `end`, `pageup`, `pagedown`, `insert`, or a letter with `ctrl`/`meta`;
   * `cursor-position` is the terminal's answer to `ESC [6n` (in `row`/`column`).
   */
  name: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
  /** The text of a `char` or `paste` key. */
  text?: string;
  /** A `cursor-position` report: the cursor's row and column, from 1. */
  row?: number;
  column?: number;
}

const PASTE_START = "\x1b[200~";
const PASTE_END = "\x1b[201~";

const CSI_FINAL: Record<string, string> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
  Z: "tab",
};
const CSI_TILDE: Record<string, string> = {
  "1": "home",
  "2": "insert",
  "3": "delete",
  "4": "end",
  "5": "pageup",
  "6": "pagedown",
  "7": "home",
  "8": "end",
};

/**
 * A stateful decoder: feed it what the terminal sends, in chunks of any size;
 * it returns the keys that are complete. A chunk ending in a lone ESC (or in
 * the middle of a sequence) is held until the next chunk or {@linkcode flush}.
 *
 * @example
 * ```ts
 * import { KeyDecoder } from "./keys.ts";
 * const keys = new KeyDecoder().feed("hi\x1b[D\x01\x1bb\r");
 * console.log(keys.map((k) => k.name)); // ["char", "left", "a", "b", "return"]
 * ```
 */
export class KeyDecoder {
  #pending = "";
  #paste: string | undefined;

  /** Decodes `chunk`; returns the complete keys in order. */
  feed(chunk: string): Key[] {
    this.#pending += chunk;
    const keys: Key[] = [];
    while (this.#pending.length > 0) {
      if (this.#paste !== undefined) {
        const end = this.#pending.indexOf(PASTE_END);
        if (end < 0) {
          // Keep a possible partial end marker for the next chunk.
          const keep = partialSuffix(this.#pending, PASTE_END);
          this.#paste += this.#pending.slice(0, this.#pending.length - keep);
          this.#pending = this.#pending.slice(this.#pending.length - keep);
          break;
        }
        this.#paste += this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end + PASTE_END.length);
        keys.push({ name: "paste", text: this.#paste.replace(/\r\n?/g, "\n") });
        this.#paste = undefined;
        continue;
      }
      const taken = this.#one(this.#pending, false);
      if (!taken) break;
      this.#pending = this.#pending.slice(taken.length);
      if (taken.key) keys.push(taken.key);
    }
    return keys;
  }

  /** Whether input is held back, waiting for the rest of a sequence. */
  get pending(): boolean {
    return this.#pending.length > 0 && this.#paste === undefined;
  }

  /** Ends a held sequence (a lone ESC after a short wait): returns its keys. */
  flush(): Key[] {
    const keys: Key[] = [];
    while (this.#pending.length > 0 && this.#paste === undefined) {
      const taken = this.#one(this.#pending, true)!;
      this.#pending = this.#pending.slice(taken.length);
      if (taken.key) keys.push(taken.key);
    }
    return keys;
  }

  /** Decodes one key at the start of `s`; `undefined` when `s` is an incomplete sequence. */
  #one(s: string, final: boolean): { length: number; key?: Key } | undefined {
    const c = s[0];
    if (c === "\x1b") {
      if (s.startsWith(PASTE_START)) {
        this.#paste = "";
        return { length: PASTE_START.length };
      }
      if (s.length === 1) return final ? { length: 1, key: { name: "escape" } } : undefined;
      const next = s[1];
      if (next === "[" || next === "O") {
        const match = /^\x1b[[O]([\d;]*)([\x40-\x7e])/.exec(s);
        if (!match) {
          if (/^\x1b[[O][\d;]*$/.test(s) && !final) return undefined;
          return { length: 2, key: { name: next === "[" ? "[" : "o", meta: true } };
        }
        return { length: match[0].length, key: csiKey(match[1], match[2]) };
      }
      // Alt + a key: ESC then the key (one character of text: Alt-B is the key `b`).
      const cp = s.codePointAt(1)!;
      if (cp >= 0x20 && cp !== 0x7f && next !== "\x1b") {
        const ch = String.fromCodePoint(cp);
        return { length: 1 + ch.length, key: { name: ch.toLowerCase(), meta: true, text: ch } };
      }
      const inner = this.#one(s.slice(1), final);
      if (!inner) return undefined;
      const key = inner.key ?? { name: "escape" };
      if (key.name === "return") {
        return { length: 1 + inner.length, key: { name: "enter", meta: true } };
      }
      return { length: 1 + inner.length, key: { ...key, meta: true } };
    }
    const code = c.charCodeAt(0);
    if (c === "\r") return { length: 1, key: { name: "return" } };
    if (c === "\n") return { length: 1, key: { name: "enter", ctrl: true } };
    if (c === "\t") return { length: 1, key: { name: "tab" } };
    if (c === "\x7f" || c === "\b") return { length: 1, key: { name: "backspace" } };
    if (code < 0x20) {
      return { length: 1, key: { name: String.fromCharCode(code + 0x60), ctrl: true } };
    }
    // Printable text: take the whole run up to the next control character.
    let end = 1;
    while (end < s.length && s.charCodeAt(end) >= 0x20 && s[end] !== "\x7f") end++;
    // Keep surrogate pairs whole.
    const last = s.charCodeAt(end - 1);
    if (end === s.length && last >= 0xd800 && last <= 0xdbff && !final) {
      if (end === 1) return undefined;
      end--;
    }
    return { length: end, key: { name: "char", text: s.slice(0, end) } };
  }
}

function csiKey(params: string, final: string): Key {
  const [first = "", modifier = ""] = params.split(";");
  // A cursor position report (`ESC [ row ; column R`). Shift-F3 with modifiers has the same
  // form (`ESC [1;2R`); the editor only takes a report while it waits for one.
  if (final === "R" && first && modifier) {
    return { name: "cursor-position", row: Number(first), column: Number(modifier) };
  }
  const name = final === "~" ? CSI_TILDE[first] ?? `unknown` : CSI_FINAL[final] ?? "unknown";
  const key: Key = { name };
  if (final === "Z") key.shift = true;
  // xterm modifiers: 1 + (shift 1 | alt 2 | ctrl 4).
  const bits = Number(modifier) - 1;
  if (bits > 0) {
    if (bits & 1) key.shift = true;
    if (bits & 2) key.meta = true;
    if (bits & 4) key.ctrl = true;
  }
  return key;
}

/** How many characters at the end of `s` are a proper prefix of `marker`. */
function partialSuffix(s: string, marker: string): number {
  for (let n = Math.min(marker.length - 1, s.length); n > 0; n--) {
    if (s.endsWith(marker.slice(0, n))) return n;
  }
  return 0;
}
