// deno-lint-ignore-file no-control-regex -- the tests read what the terminal received
import assert from "node:assert/strict";
import { MarkdownStream } from "../../lib/ui/markdown.ts";

/** Renders `text` fed in pieces of `size`; returns what stays on screen, styling removed. */
function render(text: string, size = 3, columns = 40) {
  let out = "";
  const md = new MarkdownStream({
    write: (t) => void (out += t),
    columns: () => columns,
    rows: () => 24,
  });
  for (let i = 0; i < text.length; i += size) md.push(text.slice(i, i + size));
  md.end();
  // A raw line is erased by "\r ESC[J" (after moving up) and drawn again rendered.
  let screen: string[] = [];
  for (const piece of out.split(/(?=\x1b\[\d+A\r\x1b\[J)|(?=\r\x1b\[J)/)) {
    const up = /^\x1b\[(\d+)A\r\x1b\[J/.exec(piece);
    if (up) screen = screen.slice(0, Math.max(0, screen.length - Number(up[1])));
    const body = piece.replace(/^(?:\x1b\[\d+A)?\r\x1b\[J/, "");
    const lines = body.split("\n");
    if (!up && piece.startsWith("\r\x1b[J")) screen.pop();
    if (screen.length && !up && !piece.startsWith("\r\x1b[J")) {
      screen[screen.length - 1] += lines.shift();
    } else if (up) screen.push(lines.shift()!);
    else screen.push(lines.shift()!);
    screen.push(...lines);
  }
  return { raw: out, screen: screen.join("\n").replace(/\x1b\[[\d;]*m/g, "") };
}

Deno.test("markdown: emphasis, code, links, headings, lists and quotes lose their marks", () => {
  const { screen, raw } = render(
    "# Title\n**bold** _em_ `code` [site](https://x.y)\n- a\n1. b\n> said\n- [x] done\n",
  );
  assert.equal(
    screen,
    "Title\nbold em code site (https://x.y)\n• a\n1. b\n│ said\n☑ done\n",
  );
  assert.match(raw, /\x1b\[1mbold\x1b\[22m/);
});

Deno.test("markdown: a table is drawn aligned when it ends; fenced code keeps its text", () => {
  const { screen } = render("| name | n |\n|---|---|\n| ada | 1 |\n\n```js\nlet a = 1;\n```\n");
  assert.match(screen, /│ name │ n │\n├─+┼─+┤\n│ ada {2}│ 1 │/);
  assert.match(screen, /┌ js\n│ let a = 1;\n└/);
});

Deno.test("markdown: long lines wrap to the width; escape sequences from the model never pass", () => {
  const { screen, raw } = render(
    `${"word ".repeat(20)}\nevil \x1b]52;c;aGk=\x07\x1b[2Jtext\n`,
    4,
    30,
  );
  for (const line of screen.split("\n")) assert.ok(line.length <= 30, line);
  assert.equal(raw.includes("\x1b]52"), false);
  assert.equal(raw.includes("\x1b[2J"), false);
  assert.match(screen, /evil text/);
});

Deno.test("markdown: after a resize the segment on screen is drawn again at the new width", () => {
  let out = "";
  let columns = 60;
  const md = new MarkdownStream({
    write: (t) => void (out += t),
    columns: () => columns,
    rows: () => 24,
  });
  const paragraph = "one two three four five six seven eight nine ten eleven twelve thirteen";
  md.push(`# Title\n${paragraph}\nstill typ`);
  // Title, the paragraph in two rows at 60, the line in progress: 3 rows above the cursor.
  assert.equal(md.rowsAbove(60), 3);
  // At 30 columns the terminal re-wraps each row: 1 + 2 + 1 above, the cursor on the raw line.
  assert.equal(md.rowsAbove(30), 4);
  columns = 30;
  const again = md.redraw(30).replace(/\x1b\[[\d;]*m/g, "").replace(/ +\n/g, "\n");
  assert.equal(
    again,
    "Title\none two three four five six\nseven eight nine ten eleven\ntwelve thirteen\nstill typ",
  );
  assert.equal(md.rowsAbove(30), 4);
  // Streaming goes on from there: the raw line is replaced by its rendered form.
  out = "";
  md.push("ing\n");
  assert.match(out, /^\r\x1b\[J/);
  assert.equal(md.rowsAbove(30), 5);
  // Something else wrote after it: it is history, a resize leaves it alone.
  md.interrupted();
  assert.equal(md.rowsAbove(30), 0);
  assert.equal(md.redraw(30), "");
});

Deno.test("markdown: a line whose raw text outgrows the screen is never erased (it would be drawn twice)", () => {
  let out = "";
  const md = new MarkdownStream({
    write: (t) => void (out += t),
    columns: () => 40,
    rows: () => 10,
  });
  const words = Array.from({ length: 200 }, (_, i) => `w${i} `);
  for (let i = 0; i < words.length; i += 5) md.push(words.slice(i, i + 5).join(""));
  md.push("**tail**\nnext **line**\n");
  md.end();
  const plain = out.replace(/\x1b\[[\d;]*m/g, "");
  // Nothing moved the cursor up: the raw paragraph stays as it was shown, every word once.
  assert.doesNotMatch(out.slice(0, out.indexOf("next")), /\x1b\[\d+A/);
  assert.equal([...plain.matchAll(/\bw\d+\b/g)].length, 200);
  // The next line is rendered as usual.
  assert.match(plain, /next line\n$/);
  assert.match(out, /next \x1b\[1mline/);
});

Deno.test("markdown: a short line is still replaced by its rendered form", () => {
  let out = "";
  const md = new MarkdownStream({
    write: (t) => void (out += t),
    columns: () => 40,
    rows: () => 10,
  });
  md.push("some **bo");
  md.push("ld** text\n");
  md.end();
  assert.match(out, /^some \*\*bo\r\x1b\[Jsome \x1b\[1mbold\x1b\[22m text\n$/);
});

/**
 * What a terminal `columns` wide shows after `out` (rows wrap at the width; `\n`, `\r`, cursor
 * up and erase-below are followed), styling removed.
 */
function terminal(out: string, columns: number): string {
  const rows: string[] = [""];
  let row = 0;
  let col = 0;
  const text = out.replace(/\x1b\[[\d;]*m/g, "");
  for (let i = 0; i < text.length; i++) {
    const esc = /^\x1b\[(\d*)([AJ])/.exec(text.slice(i, i + 8));
    if (esc) {
      if (esc[2] === "A") row = Math.max(0, row - Number(esc[1] || 1));
      else {
        rows[row] = rows[row].slice(0, col);
        rows.length = row + 1;
      }
      i += esc[0].length - 1;
    } else if (text[i] === "\r") col = 0;
    else if (text[i] === "\n") {
      row++;
      col = 0;
      rows[row] ??= "";
    } else {
      if (col === columns) {
        row++;
        col = 0;
        rows[row] ??= "";
      }
      rows[row] = rows[row].slice(0, col) + text[i] + rows[row].slice(col + 1);
      col++;
    }
  }
  return rows.join("\n");
}

/** `text` streamed in pieces of `size` at `columns`, as the terminal then shows it. */
function shown(text: string, size: number, columns: number) {
  let out = "";
  const md = new MarkdownStream({
    write: (t) => void (out += t),
    columns: () => columns,
    rows: () => 24,
  });
  for (let i = 0; i < text.length; i += size) md.push(text.slice(i, i + size));
  md.end();
  return { raw: out, screen: terminal(out, columns) };
}

Deno.test("markdown: bold across lines is rendered once it closes; a span never closed is shown as it came", () => {
  const { screen, raw } = shown(
    "**bold across\nlines** and more\nnext\n\n**never\nclosed\n\nend\n",
    3,
    40,
  );
  assert.equal(screen, "bold across\nlines and more\nnext\n\n**never\nclosed\n\nend\n");
  assert.match(raw, /\x1b\[1mbold across\nlines\x1b\[22m and more/);
});

Deno.test("markdown: wrapped rows start without a space; wrapped code keeps its gutter; table cells wrap", () => {
  const { screen } = shown(
    `${"alpha beta gamma ".repeat(4)}\n\`\`\`\n${"x".repeat(50)}\n\`\`\`\n` +
      "| name | description |\n|---|---|\n| ada | a description long enough to wrap in its cell |\n",
    5,
    40,
  );
  const lines = screen.split("\n");
  for (const line of lines) assert.ok(line.length <= 40, line);
  assert.ok(lines.every((l) => !/^ \S/.test(l)), screen);
  assert.match(screen, /│ x{38}\n│ x{12}\n└/);
  assert.doesNotMatch(screen, /…/);
  assert.match(screen, /│ ada {2}│ a description long enough to +│\n│ {6}│ wrap in its cell +│/);
});
