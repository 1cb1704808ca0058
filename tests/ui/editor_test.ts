// deno-lint-ignore-file no-control-regex -- the tests read what the terminal received
import assert from "node:assert/strict";
import { type EditorTerminal, LineEditor, type LiveRegion } from "../../lib/ui/editor.ts";
import { History } from "../../lib/cli/repl/history.ts";

/** A terminal whose keyboard the test types on and whose screen it reads. */
function fakeTerminal(columns = 80) {
  let push!: (bytes: Uint8Array) => void;
  let end!: () => void;
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      push = (bytes) => controller.enqueue(bytes);
      end = () => controller.close();
    },
  });
  let written = "";
  const raw: boolean[] = [];
  const stops: string[] = [];
  const continued = new Set<() => void>();
  const resized = new Set<() => void>();
  /** The row the cursor is on, as the terminal answers `ESC [6n` (none: it does not answer). */
  let cursorRow: number | undefined;
  const term: EditorTerminal = {
    input,
    setRaw: (on) => void raw.push(on),
    write: (text) => {
      written += text;
      if (text.includes("\x1b[6n") && cursorRow !== undefined) {
        queueMicrotask(() => push(new TextEncoder().encode(`\x1b[${cursorRow! + 1};1R`)));
      }
    },
    columns: () => columns,
    rows: () => 24,
    suspend: () => {
      stops.push(written);
      return true;
    },
    onContinue: (listener) => {
      continued.add(listener);
      return () => continued.delete(listener);
    },
    onResize: (listener) => {
      resized.add(listener);
      return () => resized.delete(listener);
    },
  };
  return {
    term,
    raw,
    stops,
    /** The process gets SIGCONT. */
    continue: async () => {
      for (const listener of continued) listener();
      await new Promise((r) => setTimeout(r, 5));
    },
    /** The window becomes `to` columns wide; the cursor is then on `row` of the screen. */
    resize: async (to: number, row?: number) => {
      columns = to;
      cursorRow = row;
      for (const listener of resized) listener();
      await new Promise((r) => setTimeout(r, 20));
    },
    clear: () => void (written = ""),
    type: async (text: string) => {
      push(new TextEncoder().encode(text));
      await new Promise((r) => setTimeout(r, 5));
    },
    end,
    get written() {
      return written;
    },
  };
}

function setup(entries: string[] = []) {
  const t = fakeTerminal();
  const history = new History();
  for (const e of entries) history.add(e);
  const editor = new LineEditor(t.term, { history });
  editor.start();
  return { t, editor, history };
}

Deno.test("editor: emacs keys edit the line before it is sent", async () => {
  const { t, editor } = setup();
  const line = editor.read({ prompt: "› ", history: true });
  // hello world, Left×3, X, Home, Y, Ctrl-E, Z, Alt-B, Ctrl-K, Ctrl-Y twice
  await t.type("hello world\x1b[D\x1b[D\x1b[DX\x1b[HY\x05Z");
  await t.type("\x1bb\x0b\x19\x19\r");
  assert.deepEqual(await line, { kind: "line", text: "Yhello woXrldZwoXrldZ" });
  editor.close();
  assert.deepEqual(t.raw, [true, false]);
});

Deno.test("editor: Ctrl-W, Ctrl-U, Alt-D and Ctrl-A/F/B", async () => {
  const { t, editor } = setup();
  const line = editor.read({ prompt: "› ", history: true });
  await t.type("one two three\x17four\x01\x1bd\x06\x06X\x15abc\r");
  assert.deepEqual(await line, { kind: "line", text: "abcwo four" });
  const second = editor.read({ prompt: "› ", history: true });
  await t.type("one two\x01\x1bdzero\x02\x02!\r");
  assert.deepEqual(await second, { kind: "line", text: "ze!ro two" });
  editor.close();
});

Deno.test("editor: Up/Down walk the history, Ctrl-R finds an old line", async () => {
  const { t, editor } = setup(["first question", "/mcp tools", "second question"]);
  let line = editor.read({ prompt: "› ", history: true });
  await t.type("draft\x1b[A\x1b[A\x1b[B\r");
  assert.deepEqual(await line, { kind: "line", text: "second question" });
  line = editor.read({ prompt: "› ", history: true });
  await t.type("\x1b[A\x1b[A\x1b[B\x1b[Bdraft2\r");
  assert.deepEqual(await line, { kind: "line", text: "draft2" });
  line = editor.read({ prompt: "› ", history: true });
  await t.type("\x12quest");
  assert.match(t.written, /reverse-i-search\)'quest': second question/);
  await t.type("\x12\r");
  assert.deepEqual(await line, { kind: "line", text: "first question" });
  line = editor.read({ prompt: "› ", history: true });
  await t.type("\x12mcp\x05 everything\r");
  assert.deepEqual(await line, { kind: "line", text: "/mcp tools everything" });
  editor.close();
});

Deno.test("editor: Alt-Enter, Ctrl-J and a trailing backslash make multi-line input", async () => {
  const { t, editor } = setup();
  const line = editor.read({ prompt: "› ", history: true });
  await t.type("one\x1b\rtwo\nthree\\\rfour\r");
  assert.deepEqual(await line, { kind: "line", text: "one\ntwo\nthree\nfour" });
  editor.close();
});

Deno.test("editor: a bracketed paste is one message, shown as [pasted N lines], editable", async () => {
  const { t, editor } = setup();
  const line = editor.read({ prompt: "› ", history: true });
  await t.type("see: \x1b[200~a\r\nb\r\nc\r\nd\r\ne\x1b[201~ ok");
  assert.match(t.written, /see: \[pasted 5 lines\] ok/);
  await t.type("\r");
  assert.deepEqual(await line, { kind: "line", text: "see: a\nb\nc\nd\ne ok" });
  // Backspace right after a paste opens it up into its text; the next one edits that text.
  const again = editor.read({ prompt: "› ", history: true });
  await t.type("x \x1b[200~1\n2\x1b[201~\x7f\x7fy\r");
  assert.deepEqual(await again, { kind: "line", text: "x 1\ny" });
  editor.close();
});

Deno.test("editor: keys typed while busy wait for the next prompt; Ctrl-C cancels what runs and keeps them", async () => {
  const { t, editor } = setup();
  let interrupts = 0;
  editor.onInterrupt(() => interrupts++);
  await t.type("typed ahead");
  assert.equal(t.written.includes("typed ahead"), false, "nothing echoed while busy");
  await t.type("\x03");
  assert.equal(interrupts, 1);
  await t.type(" kept");
  const line = editor.read({ prompt: "› ", history: true });
  await t.type("\r");
  assert.deepEqual(await line, { kind: "line", text: "typed ahead kept" });
  editor.close();
});

Deno.test("editor: Ctrl-C clears a typed line, on an empty one it ends the read; Ctrl-D is eof", async () => {
  const { t, editor } = setup();
  let line = editor.read({ prompt: "› ", history: true });
  await t.type("abc\x03");
  await t.type("\x03");
  assert.deepEqual(await line, { kind: "interrupt" });
  line = editor.read({ prompt: "› ", history: true });
  await t.type("\x04");
  assert.deepEqual(await line, { kind: "eof" });
  editor.close();
});

Deno.test("editor: a question asked while the prompt waits is answered first", async () => {
  const { t, editor } = setup();
  const prompt = editor.read({ prompt: "› ", history: true });
  await t.type("half");
  const answer = editor.read({ prompt: "allow? " });
  await t.type("y\r");
  assert.deepEqual(await answer, { kind: "line", text: "y" });
  await t.type(" done\r");
  assert.deepEqual(await prompt, { kind: "line", text: "half done" });
  // A question never takes keys typed before it was asked; the next prompt does.
  await t.type("y");
  const q = editor.read({ prompt: "run the tool? " });
  await t.type("n\r");
  assert.deepEqual(await q, { kind: "line", text: "n" });
  const next = editor.read({ prompt: "› ", history: true });
  await t.type("es\r");
  assert.deepEqual(await next, { kind: "line", text: "yes" });
  editor.close();
});

Deno.test("editor: Tab completes one match, shows a menu for several and cycles", async () => {
  const { t, editor } = setup();
  const complete = (text: string, cursor: number) => ({
    from: 0,
    items: ["/alias", "/all", "/backend"].filter((c) => c.startsWith(text.slice(0, cursor))),
  });
  let line = editor.read({ prompt: "› ", history: true, complete });
  await t.type("/b\t\r");
  assert.deepEqual(await line, { kind: "line", text: "/backend " });
  line = editor.read({ prompt: "› ", history: true, complete });
  await t.type("/a\t");
  assert.match(t.written, /\/alias\s+\/all/);
  await t.type("\t\t\r\r");
  assert.deepEqual(await line, { kind: "line", text: "/all" });
  editor.close();
});

Deno.test("editor: several lines typed while busy go to the following prompts in order", async () => {
  const { t, editor } = setup();
  await t.type("\r/exit\r");
  assert.deepEqual(await editor.read({ prompt: "› ", history: true }), { kind: "line", text: "" });
  assert.deepEqual(await editor.read({ prompt: "› ", history: true }), {
    kind: "line",
    text: "/exit",
  });
  editor.close();
});

Deno.test("editor: a one-key menu answers on its key, or with arrows and Enter", async () => {
  const { t, editor } = setup();
  const choices = [
    { key: "y", label: "yes" },
    { key: "n", label: "no" },
    { key: "s", label: "always this server" },
  ];
  let answer = editor.read({ prompt: "run it? ", choices });
  await t.type("s");
  assert.match(t.written, /\[y\]es(?:\x1b\[27m)? {2}\[n\]o {2}always this \[s\]erver/);
  assert.deepEqual(await answer, { kind: "line", text: "s" });
  answer = editor.read({ prompt: "run it? ", choices });
  await t.type("\x1b[C\x1b[C\x1b[D\r");
  assert.deepEqual(await answer, { kind: "line", text: "n" });
  answer = editor.read({ prompt: "run it? ", choices });
  await t.type("x\x03");
  assert.deepEqual(await answer, { kind: "interrupt" });
  editor.close();
});

Deno.test("editor: Ctrl-Z gives the terminal back, stops, and on fg draws the prompt with the text", async () => {
  const { t, editor } = setup();
  const line = editor.read({ prompt: "› ", history: true });
  await t.type("half typed\x1a");
  // Before the stop: cooked mode, bracketed paste off, cursor shown, the line ended.
  assert.equal(t.stops.length, 1);
  assert.match(t.stops[0], /› half typed\r\x1b\[12C\x1b\[\?25h\^Z\r\n\x1b\[\?2004l\x1b\[\?25h$/);
  assert.deepEqual(t.raw, [true, false, true]);
  // After it: raw again, bracketed paste on, the prompt drawn anew with the text.
  const after = t.written.slice(t.stops[0].length);
  assert.match(after, /^\x1b\[\?2004h/);
  assert.match(after, /› half typed/);
  // The SIGCONT of that stop (twice under deno task, which forwards it) draws nothing more.
  const drawn = t.written;
  await t.continue();
  await t.continue();
  assert.equal(t.written, drawn);
  await t.type(" and more\r");
  assert.deepEqual(await line, { kind: "line", text: "half typed and more" });
  editor.close();
});

Deno.test("editor: after a resize the prompt is found where the terminal re-wrapped it and drawn again", async () => {
  const { t, editor } = setup();
  const line = editor.read({ prompt: "› ", history: true });
  const text = "x".repeat(60);
  await t.type(text);
  t.clear();
  // 62 cells at 80 columns: one row; at 40 the terminal makes it two, the cursor on the second.
  await t.resize(40, 10);
  assert.match(t.written, /^\x1b\[6n/);
  assert.match(t.written, /\x1b\[1A\r\x1b\[J/);
  assert.match(t.written, new RegExp(`› ${"x".repeat(38)}\r\n${"x".repeat(22)}`));
  await t.type("\r");
  assert.deepEqual(await line, { kind: "line", text });
  editor.close();
});

Deno.test("editor: a resize draws the live region above the prompt again, unless it reaches into the scrollback", async () => {
  const { t, editor } = setup();
  const drawn: number[] = [];
  let detached = 0;
  const region: LiveRegion = {
    rowsAbove: (columns) => (columns >= 80 ? 2 : 4),
    redraw: (columns) => {
      drawn.push(columns);
      return `answer at ${columns}\n`;
    },
    detach: () => void detached++,
  };
  editor.print("answer\nat 80\n", region);
  const line = editor.read({ prompt: "› ", history: true });
  await t.type("q");
  t.clear();
  // Cursor on row 10: the 4 rows of the answer and the prompt's row are on screen.
  await t.resize(40, 10);
  assert.deepEqual(drawn, [40]);
  assert.match(t.written, /\x1b\[4A\r\x1b\[Janswer at 40\n/);
  assert.match(t.written, /› q/);
  // Cursor on row 2: the answer's first rows went into the scrollback: only the prompt is redrawn.
  t.clear();
  await t.resize(30, 2);
  assert.deepEqual(drawn, [40]);
  assert.doesNotMatch(t.written, /answer/);
  assert.match(t.written, /› q/);
  // Sending the line commits it below the answer: the answer is history.
  await t.type("\r");
  await line;
  assert.equal(detached, 1);
  editor.close();
});

Deno.test("editor: while an answer streams (no prompt) a resize draws it again where it began", async () => {
  const { t, editor } = setup();
  const region: LiveRegion = {
    rowsAbove: () => 3,
    redraw: (columns) => `drawn again at ${columns}, still stream`,
    detach: () => {},
  };
  editor.print("first rows of the answer, still stream", region);
  t.clear();
  await t.resize(50, 20);
  // Up to its first row, erase, the new text; the cursor saved where the answer now ends.
  assert.match(t.written, /\x1b\[3A\r\x1b\[Jdrawn again at 50, still stream\x1b7/);
  // More of the answer follows from there.
  editor.print("ing", region);
  assert.ok(t.written.endsWith("ing"));
  editor.close();
});
