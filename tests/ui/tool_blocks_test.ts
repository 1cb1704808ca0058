import assert from "node:assert/strict";
import { ToolBlocks } from "../../lib/ui/tool_blocks.ts";
import { memoryOutput } from "../../lib/ui/output.ts";
import type { Clock } from "../../lib/util/clock.ts";

/** A clock the test moves by hand. */
function manualClock() {
  let now = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let next = 1;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(next, { at: now + ms, fn });
      return next++;
    },
    clearTimeout: (id) => void timers.delete(id),
  };
  const advance = (ms: number) => {
    const until = now + ms;
    while (true) {
      const due = [...timers.entries()].filter(([, t]) =>
        t.at <= until
      ).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  };
  return { clock, advance };
}

function setup(width = 40) {
  let columns = width;
  let out = "";
  const { clock, advance } = manualClock();
  const blocks = new ToolBlocks({
    write: (t) => void (out += t),
    color: memoryOutput().color,
    columns: () => columns,
    live: true,
    clock,
  });
  return { blocks, advance, out: () => out, resize: (to: number) => void (columns = to) };
}

const count = (text: string, pattern: RegExp) =>
  text.split("\n").filter((line) => pattern.test(line)).length;

Deno.test("tool blocks: a call's header, live progress lines cut to the width, then its result", () => {
  const { blocks, advance, out } = setup(40);
  blocks.start({
    id: "a",
    server: "everything",
    tool: "long-running-operation",
    arguments: { n: 1 },
  });
  blocks.start({
    id: "b",
    server: "everything",
    tool: "echo",
    arguments: { message: "x".repeat(80) },
  });
  blocks.progress({ callId: "a", progress: 1, total: 4, message: "step one of a long series" });
  advance(1500);
  const live = out().slice(out().lastIndexOf("\r\x1b[J"));
  for (const line of live.slice(4).split("\n")) assert.ok(line.length <= 39, JSON.stringify(line));
  assert.match(live, /1 s · 25% long-running-operation/);
  assert.match(live, /Ctrl-C to cancel/);
  blocks.end({
    id: "b",
    server: "everything",
    tool: "echo",
    status: "ok",
    isError: false,
    durationMs: 1500,
    result: "1\n2\n3\n4\n5\n6\n7",
  });
  blocks.finish();
  const text = out();
  assert.match(text, /⏺ echo · everything\n {2}\{\n {4}"message": "x{20,}…/);
  assert.match(text, /⎿ ✓ 1\.5 s · echo\n {4}1\n {4}2\n {4}3\n {4}4\n {4}5\n {4}… 2 more lines\n/);
  // The call still running when the turn ends gets its last line; nothing live is left.
  assert.ok(
    text.endsWith("\r\x1b[J  ⎿ ✗ not finished · long-running-… n=1\n"),
    JSON.stringify(text.slice(-120)),
  );
});

Deno.test("tool blocks: concurrent calls of one tool: each result says which call it is, and leaves the live lines", () => {
  const { blocks, advance, out } = setup(40);
  const call = (id: string, n: number) => ({
    id,
    server: "everything",
    tool: "trigger-long-running-operation",
    arguments: { duration: n },
  });
  blocks.start(call("a", 1));
  blocks.start(call("b", 5));
  advance(300);
  blocks.end({ ...call("a", 1), status: "ok", isError: false, durationMs: 1000, result: "done" });
  advance(300);
  const live = out().slice(out().lastIndexOf("\r\x1b[J"));
  assert.equal(count(live, /trigger-long/), 1, live);
  blocks.end({ ...call("b", 5), status: "ok", isError: false, durationMs: 5000, result: "done" });
  blocks.finish("cancelled");
  const results = out().split("\n").filter((l) => l.includes("⎿"))
    .map((l) => l.slice(l.indexOf("  ⎿")));
  assert.equal(results.length, 2, out());
  assert.notEqual(results[0].replace(/✓ [\d.]+ s/, ""), results[1].replace(/✓ [\d.]+ s/, ""));
  assert.match(results[0], /trigger-long-… duration=1$/);
  assert.match(results[1], /trigger-long-… duration=5$/);
  for (const line of results) assert.ok(line.length <= 40, line);
});

Deno.test("tool blocks: paused while someone else asks, hidden before another's write; cancelled calls say so", () => {
  const { blocks, advance, out } = setup(60);
  blocks.start({ id: "a", server: "s", tool: "slow", arguments: {} });
  advance(200);
  blocks.pause();
  assert.ok(out().endsWith("\r\x1b[J"), "the live lines are erased");
  const before = out();
  advance(2000);
  assert.equal(out(), before, "nothing is drawn while paused");
  blocks.resume();
  assert.match(out().slice(before.length), /2 s · slow · s\nCtrl-C to cancel$/);
  blocks.hide();
  assert.ok(out().endsWith("\r\x1b[J"));
  advance(200);
  assert.match(out(), /Ctrl-C to cancel$/, "drawn again on the next tick");
  blocks.finish("cancelled");
  assert.ok(out().endsWith("\r\x1b[J  ⎿ ✗ cancelled · slow\n"), JSON.stringify(out().slice(-60)));
});

Deno.test("tool blocks: waiting for the model shows a spinner only after a moment", () => {
  const { blocks, advance, out } = setup();
  blocks.thinking();
  advance(200);
  assert.equal(out(), "");
  advance(1000);
  assert.match(out(), /waiting for the model · 1 s\nCtrl-C to cancel/);
  blocks.suspend();
  assert.ok(out().endsWith("\x1b[1A\r\x1b[J"));
  const before = out();
  advance(1000);
  assert.equal(out(), before, "no redraw after it was erased");
});

Deno.test("tool blocks: after the window narrows, the live lines are erased as the terminal re-wrapped them", () => {
  const { blocks, advance, out, resize } = setup(60);
  blocks.start({ id: "1", server: "everything", tool: "a-rather-long-tool-name", arguments: {} });
  blocks.progress({ callId: "1", progress: 1, total: 4, message: "a message long enough to fill" });
  advance(100);
  // Two live rows drawn at 60 columns, each up to 59 cells; at 30 the terminal makes each two rows.
  resize(30);
  const before = out().length;
  blocks.end({
    id: "1",
    server: "everything",
    tool: "a-rather-long-tool-name",
    status: "ok",
    isError: false,
    durationMs: 5,
  });
  // The progress row is two rows now, "Ctrl-C to cancel" one: up 2 (at the old width it was 1).
  assert.equal(out().slice(before, before + 8), "\x1b[2A\r\x1b[J");
});
