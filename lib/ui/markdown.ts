/**
 * Streamed markdown on a terminal, rendered as it arrives: each line is
 * shown raw while it is being typed out, then replaced by its rendered form
 * when its newline comes (headings, emphasis, code spans, links, lists, block
 * quotes, rules); fenced code is highlighted line by line; a table is shown
 * raw row by row, then drawn aligned when it ends. Text is wrapped to the
 * terminal's width; after a resize the part still on screen since the last
 * interruption is drawn again at the new width (`rowsAbove` / `redraw`, the
 * editor's live region). Everything passes through the sanitiser first.
 *
 * Loaded lazily (dynamic import) only when an answer is rendered, with its
 * libraries: `marked` (inline lexer), `lowlight` (highlight.js grammars,
 * returning a tree we colour), `wrap-ansi` and `string-width`.
 *
 * @module
 */

import { Lexer, type Token } from "marked";
// @ts-types="./lowlight.d.ts"
import { common, createLowlight } from "lowlight";
import wrapAnsi from "wrap-ansi";
import stringWidth from "string-width";
import pc from "picocolors";
import { sanitizeText } from "./sanitize.ts";
import { rowsAt } from "./reflow.ts";

/** Where rendered text goes. */
export interface MarkdownSink {
  write(text: string): void;
  /** Width to wrap to. */
  columns(): number;
  /** Height of the screen (a raw region taller than this cannot be redrawn). */
  rows(): number;
}

const c = pc.createColors(true);
let lowlight: ReturnType<typeof createLowlight> | undefined;

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^\s{0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

/**
 * A markdown stream: `push` the answer's text as it comes, `end` at the end.
 *
 * @example
 * ```ts
 * import { MarkdownStream } from "./markdown.ts";
 * let out = "";
 * const md = new MarkdownStream({ write: (t) => void (out += t), columns: () => 80, rows: () => 24 });
 * md.push("# Title\nsome **bold** text\n");
 * md.end();
 * console.log(out.includes("**")); // false
 * ```
 */
export class MarkdownStream {
  #sink: MarkdownSink;
  #line = "";
  /** Raw text of the current line already on screen. */
  #shown = "";
  /**
   * The current line's raw text grew taller than the screen: its top may be in
   * the scrollback, where no erase reaches, so it stays raw (never drawn twice).
   */
  #spilled = false;
  /**
   * Complete lines of a paragraph kept raw on screen because an emphasis or
   * code span opened in them is still open (`**bold across` … `lines**`):
   * rendered together once it closes (or the paragraph ends).
   */
  #held: string[] = [];
  #fence: { marker: string; lang: string } | undefined;
  #table: string[] = [];
  /** How many of the last rows on screen are the open table's raw rows. */
  #tableRaw = 0;
  /**
   * What is on screen since the segment began (the stream's start or its last
   * interruption): the rows ended by a newline (measured only on a resize),
   * then the row being written. A resize draws the segment again from its source.
   */
  #rows: string[] = [];
  #partial = "";
  #segment: {
    fence: { marker: string; lang: string } | undefined;
    table: string[];
    lines: string[];
    /** The last line, rendered by `end()` without a newline. */
    tail?: string;
  } = { fence: undefined, table: [], lines: [] };
  /** The width a redraw renders at (instead of the sink's). */
  #columns: number | undefined;

  constructor(sink: MarkdownSink) {
    this.#sink = sink;
  }

  /** Adds streamed text. */
  push(text: string): void {
    let rest = text;
    let newline: number;
    while ((newline = rest.indexOf("\n")) >= 0) {
      const unshown = rest.slice(0, newline);
      this.#line += unshown;
      rest = rest.slice(newline + 1);
      this.#segment.lines.push(this.#line);
      this.#complete(this.#line, true, unshown);
      this.#line = "";
    }
    if (rest) {
      this.#line += rest;
      // The line in progress is shown raw, to be replaced when it is complete.
      const raw = sanitizeText(rest);
      if (!this.#fits(this.#shown + raw)) this.#spilled = true;
      this.#write(raw);
      this.#shown += raw;
    }
  }

  /** Something else wrote to the terminal: the raw text shown so far stays as it is. */
  interrupted(): void {
    if (this.#shown) this.#write("\n");
    this.detach();
  }

  /**
   * What was drawn is history now (something else was written after it, or
   * the job stopped): a resize leaves it alone; the segment starts again here.
   */
  detach(): void {
    // The part of the line shown raw stays on screen as it is; the rest follows on its own.
    if (this.#shown) this.#line = "";
    this.#shown = "";
    this.#spilled = false;
    this.#held = [];
    this.#tableRaw = 0;
    this.#rows = [];
    this.#partial = "";
    this.#segment = { fence: this.#fence, table: [...this.#table], lines: [] };
  }

  /**
   * Rows from the segment's first row to the cursor once the terminal
   * reflowed them to `columns` (`Infinity` when it is too tall to redraw).
   */
  rowsAbove(columns: number): number {
    if (this.#rows.length > 4 * Math.max(24, this.#sink.rows())) return Infinity;
    let rows = 0;
    for (const row of this.#rows) rows += rowsAt(stringWidth(row), columns);
    return rows + (this.#partial ? rowsAt(stringWidth(this.#partial), columns) - 1 : 0);
  }

  /** The segment rendered again at `columns` (the caller erased the old one and writes this). */
  redraw(columns: number): string {
    const sink = this.#sink;
    const segment = this.#segment;
    let out = "";
    this.#sink = { ...sink, write: (text) => void (out += text) };
    this.#columns = columns;
    try {
      this.#fence = segment.fence;
      this.#table = [...segment.table];
      this.#tableRaw = 0;
      this.#rows = [];
      this.#partial = "";
      this.#shown = "";
      this.#held = [];
      for (const line of segment.lines) this.#complete(line);
      if (segment.tail !== undefined) this.#complete(segment.tail, false);
      else if (this.#line) {
        const raw = sanitizeText(this.#line);
        this.#write(raw);
        this.#shown = raw;
        this.#spilled = !this.#fits(raw);
      }
    } finally {
      this.#sink = sink;
      this.#columns = undefined;
    }
    return out;
  }

  /** Renders what is left (a last line without newline, an open table). */
  end(): void {
    if (this.#line) {
      const line = this.#line;
      this.#line = "";
      this.#segment.tail = line;
      this.#complete(line, false);
    }
    this.#releaseHeld();
    this.#flushTable();
    this.#fence = undefined;
  }

  /** Writes text that adds to the screen, and keeps the rows' widths. */
  #write(text: string): void {
    this.#sink.write(text);
    const rows = text.split("\n");
    for (let i = 0; i < rows.length - 1; i++) {
      this.#rows.push(this.#partial + rows[i]);
      this.#partial = "";
    }
    this.#partial += rows.at(-1)!;
  }

  #width(): number {
    return this.#columns ?? this.#sink.columns();
  }

  /** Whether raw text shown from a row's start can still be erased: it all fits on the screen. */
  #fits(raw: string): boolean {
    return rowsAt(stringWidth(raw), this.#width()) <= Math.max(1, this.#sink.rows() - 2);
  }

  /** A line is complete: rendered in place of its raw text; `unshown` is its end not shown yet. */
  #complete(raw: string, newline = true, unshown = ""): void {
    const line = sanitizeText(raw);
    if (this.#shown && (this.#spilled || !this.#fits(this.#shown + sanitizeText(unshown)))) {
      // Taller than the screen (or made so by a resize): left as it is, raw, and ended.
      this.#spilled = false;
      this.#shown = "";
      this.#held = [];
      this.#flushTable();
      this.#write(sanitizeText(unshown) + (newline ? "\n" : ""));
      return;
    }
    const paragraph = !this.#fence && isParagraphLine(line);
    if (paragraph && newline && this.#held.length < MAX_HELD && !closed([...this.#held, line])) {
      // An emphasis or code span is still open: kept raw until a later line closes it.
      this.#write(sanitizeText(unshown) + "\n");
      this.#shown = "";
      this.#partial = "";
      this.#held.push(line);
      return;
    }
    if (this.#held.length > 0) {
      if (paragraph) {
        // The line that closes it: the held lines and this one rendered as one.
        const lines = [...this.#held, line];
        if (!this.#eraseHeld()) {
          this.#write(sanitizeText(unshown) + (newline ? "\n" : ""));
          return;
        }
        this.#write(
          wrap(inline(lines.join("\n")), Math.max(20, this.#width()), "") +
            (newline ? "\n" : ""),
        );
        return;
      }
      this.#eraseShown();
      this.#releaseHeld();
    }
    this.#eraseShown();
    if (!this.#fence && TABLE_ROW.test(line)) {
      this.#table.push(line);
      this.#write(line + "\n");
      this.#tableRaw++;
      return;
    }
    this.#flushTable();
    const out = this.#render(line);
    this.#write(out + (newline ? "\n" : ""));
  }

  #render(line: string): string {
    const width = Math.max(20, this.#width());
    if (this.#fence) {
      if (line.trim().startsWith(this.#fence.marker) && line.trim().replace(/[`~]/g, "") === "") {
        this.#fence = undefined;
        return c.dim("└");
      }
      // Wrapped here, not by the terminal, so every row keeps the gutter.
      const code = highlight(line, this.#fence.lang);
      if (stringWidth(line) <= width - 2) return c.dim("│ ") + code;
      return wrapAnsi(code, width - 2, { hard: true, trim: false, wordWrap: false }).split("\n")
        .map((row) => c.dim("│ ") + row).join("\n");
    }
    const fence = FENCE.exec(line);
    if (fence) {
      this.#fence = { marker: fence[2], lang: fence[3] };
      return c.dim(`┌ ${fence[3]}`.trimEnd());
    }
    if (line.trim() === "") return "";
    const heading = HEADING.exec(line);
    if (heading) {
      const text = inline(heading[2]);
      const styled = heading[1].length <= 2 ? c.bold(c.underline(text)) : c.bold(text);
      return wrap(heading[1].length === 1 ? c.magenta(styled) : styled, width, "");
    }
    if (RULE.test(line)) return c.dim("─".repeat(Math.min(width, 80)));
    const quote = QUOTE.exec(line);
    if (quote) return wrap(c.italic(inline(quote[1])), width, c.dim("│ "));
    const item = ITEM.exec(line);
    if (item) {
      const indent = " ".repeat(Math.min(item[1].length, 12));
      let text = item[3];
      let bullet = /\d/.test(item[2]) ? `${item[2]}` : "•";
      const task = /^\[([ xX])\]\s+(.*)$/.exec(text);
      if (task) {
        bullet = task[1] === " " ? "☐" : "☑";
        text = task[2];
      }
      const first = `${indent}${c.cyan(bullet)} `;
      return wrap(inline(text), width, first, " ".repeat(stringWidth(first)));
    }
    return wrap(inline(line), width, "");
  }

  #flushTable(): void {
    if (this.#table.length === 0) return;
    const rows = this.#table;
    this.#table = [];
    // Drawn again aligned, if the raw rows are still on screen.
    const raw = this.#rows.slice(this.#rows.length - this.#tableRaw);
    const onScreen = raw.reduce((sum, row) => sum + rowsAt(stringWidth(row), this.#width()), 0);
    if (this.#tableRaw > 0 && !this.#partial && onScreen < this.#sink.rows()) {
      this.#sink.write(`\x1b[${onScreen}A\r\x1b[J`);
      this.#rows.length -= this.#tableRaw;
      this.#write(renderTable(rows, Math.max(20, this.#width())));
    }
    this.#tableRaw = 0;
  }

  /**
   * Erases the held lines (and the current line's raw text), when all of it is
   * on the screen; `false` (nothing erased, the held lines stay raw) when not.
   */
  #eraseHeld(): boolean {
    const held = this.#held;
    this.#held = [];
    const rows = this.#rows.slice(this.#rows.length - held.length);
    const heldRows = rows.reduce((sum, row) => sum + rowsAt(stringWidth(row), this.#width()), 0);
    const current = this.#shown ? rowsAt(stringWidth(this.#shown), this.#width()) : 0;
    if (heldRows + current > Math.max(1, this.#sink.rows() - 2)) {
      this.#shown = "";
      return false;
    }
    const up = heldRows + Math.max(0, current - 1);
    this.#sink.write(`${up > 0 ? `\x1b[${up}A` : ""}\r\x1b[J`);
    this.#rows.length -= held.length;
    this.#shown = "";
    this.#partial = "";
    return true;
  }

  /** The paragraph ended with a span still open: its held lines are rendered as they are. */
  #releaseHeld(): void {
    if (this.#held.length === 0) return;
    const lines = this.#held;
    if (this.#shown || this.#partial) return void (this.#held = []);
    if (!this.#eraseHeld()) return;
    this.#write(wrap(inline(lines.join("\n")), Math.max(20, this.#width()), "") + "\n");
  }

  #eraseShown(): void {
    if (!this.#shown) return;
    const rows = rowsAt(stringWidth(this.#shown), this.#width());
    this.#sink.write(`${rows > 1 ? `\x1b[${rows - 1}A` : ""}\r\x1b[J`);
    this.#shown = "";
    this.#partial = "";
  }
}

/** Lines held at most, waiting for a span to close (then they are rendered as they are). */
const MAX_HELD = 4;

/** A line of a plain paragraph (not a heading, item, quote, rule, fence or table row, not blank). */
function isParagraphLine(line: string): boolean {
  return line.trim() !== "" && !HEADING.test(line) && !RULE.test(line) && !QUOTE.test(line) &&
    !ITEM.test(line) && !FENCE.test(line) && !TABLE_ROW.test(line);
}

/** Whether every `**` and code span opened in these lines is closed. */
function closed(lines: string[]): boolean {
  const text = lines.join("\n").replace(/\\[*`]/g, "");
  const ticks = (text.match(/`/g) ?? []).length;
  const strong = (text.replace(/`[^`]*`/g, "").match(/\*\*/g) ?? []).length;
  return ticks % 2 === 0 && strong % 2 === 0;
}

/** Inline markdown of one line as terminal styling. */
function inline(text: string): string {
  // Most lines have no inline markup at all: skip the lexer for them.
  if (!/[*_`[\]!<~\\&]|https?:|www\./.test(text)) return text;
  return tokens(Lexer.lexInline(text));
}

function tokens(list: Token[]): string {
  return list.map((t) => {
    const children = "tokens" in t && Array.isArray(t.tokens) ? tokens(t.tokens as Token[]) : "";
    switch (t.type) {
      case "strong":
        return c.bold(children);
      case "em":
        return c.italic(children);
      case "del":
        return c.strikethrough(children);
      case "codespan":
        return c.cyan(unescape(t.text));
      case "link": {
        const label = children || t.href;
        return c.underline(c.blue(label)) +
          (t.href && t.href !== t.text ? c.dim(` (${t.href})`) : "");
      }
      case "image":
        return c.dim(`[image: ${t.text || "untitled"}] (${t.href})`);
      case "br":
        return "\n";
      case "text":
      case "escape":
        return children || unescape(t.text);
      default:
        return "raw" in t ? String(t.raw) : "";
    }
  }).join("");
}

function unescape(text: string): string {
  return text.replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"').replaceAll("&#39;", "'");
}

/** Wraps styled text to the width; `first` starts the first row, `rest` the others. */
function wrap(text: string, width: number, first: string, rest = first): string {
  const room = Math.max(10, width - stringWidth(first));
  // Short enough as it is (escape codes only make `length` larger than the width): no wrapping.
  if (!text.includes("\n") && (text.length <= room / 2 || stringWidth(text) <= room)) {
    return first + text;
  }
  // Trimmed: a row broken at a space does not start with it.
  const lines = wrapAnsi(text, room, { hard: true, trim: true }).split("\n");
  return lines.map((l, i) => (i === 0 ? first : rest) + l).join("\n");
}

const HLJS_COLOURS: Record<string, (s: string) => string> = {
  keyword: c.magenta,
  built_in: c.cyan,
  type: c.cyan,
  literal: c.yellow,
  number: c.yellow,
  string: c.green,
  regexp: c.red,
  comment: c.gray,
  doc: c.gray,
  meta: c.gray,
  title: c.blue,
  "title.function": c.blue,
  "title.class": c.blue,
  attr: c.cyan,
  property: c.cyan,
  params: (s) => s,
  symbol: c.yellow,
  variable: (s) => s,
  tag: c.blue,
  name: c.blue,
  "selector-tag": c.magenta,
  addition: c.green,
  deletion: c.red,
};

interface HastNode {
  type: string;
  value?: string;
  properties?: { className?: string[] };
  children?: HastNode[];
}

/** One line of code, coloured by its language's grammar (plain when unknown). */
function highlight(code: string, lang: string): string {
  lowlight ??= createLowlight(common);
  const language = lang && lowlight.registered(lang) ? lang : undefined;
  if (!language) return code;
  const tree = lowlight.highlight(language, code) as unknown as HastNode;
  const walk = (node: HastNode): string => {
    if (node.type === "text") return node.value ?? "";
    const inner = (node.children ?? []).map(walk).join("");
    const cls = node.properties?.className?.[0]?.replace(/^hljs-/, "");
    const colour = cls ? HLJS_COLOURS[cls] ?? HLJS_COLOURS[cls.split(".")[0]] : undefined;
    return colour ? colour(inner) : inner;
  };
  return walk(tree);
}

/** A markdown table, its columns aligned (cells' inline markdown rendered). */
function renderTable(lines: string[], width: number): string {
  const rows = lines.filter((l) => !TABLE_RULE.test(l)).map((l) =>
    l.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((cell) => inline(cell.trim()))
  );
  const count = Math.max(...rows.map((r) => r.length));
  const widths = Array.from(
    { length: count },
    (_, i) => Math.max(...rows.map((r) => stringWidth(r[i] ?? ""))),
  );
  // Too wide: every column gets its share.
  const total = widths.reduce((a, b) => a + b, 0) + 3 * count + 1;
  if (total > width) {
    // Columns narrower than an equal share keep their width; the others share what is left.
    let room = width - 3 * count - 1;
    let wide = widths.map((_, i) => i);
    while (wide.length > 0) {
      const share = Math.floor(room / wide.length);
      const narrow = wide.filter((i) => widths[i] <= share);
      if (narrow.length === 0) break;
      for (const i of narrow) room -= widths[i];
      wide = wide.filter((i) => widths[i] > share);
    }
    for (const i of wide) widths[i] = Math.max(4, Math.floor(room / wide.length));
  }
  // A cell wider than its column wraps onto more rows of the table (nothing is cut off).
  const fit = (text: string, w: number) =>
    (stringWidth(text) > w ? wrapAnsi(text, w, { hard: true, trim: true }) : text).split("\n")
      .map((row) => row + " ".repeat(Math.max(0, w - stringWidth(row))));
  const line = (l: string, m: string, r: string) =>
    c.dim(l + widths.map((w) => "─".repeat(w + 2)).join(m) + r);
  const out = [line("┌", "┬", "┐")];
  rows.forEach((row, i) => {
    const cells = widths.map((w, j) => fit(row[j] ?? "", w));
    const height = Math.max(...cells.map((cell) => cell.length));
    for (let r = 0; r < height; r++) {
      const parts = cells.map((cell, j) => cell[r] ?? " ".repeat(widths[j]));
      out.push(
        c.dim("│ ") + parts.map((part) => (i === 0 ? c.bold(part) : part)).join(c.dim(" │ ")) +
          c.dim(" │"),
      );
    }
    if (i === 0 && rows.length > 1) out.push(line("├", "┼", "┤"));
  });
  out.push(line("└", "┴", "┘"));
  return out.join("\n") + "\n";
}
