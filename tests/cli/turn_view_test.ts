import assert from "node:assert/strict";
import { TurnView } from "../../lib/cli/turn_view.ts";
import { memoryOutput } from "../../lib/ui/output.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";

Deno.test("a stall mid-answer shows a waiting mark after the text, removed when text resumes", async () => {
  const clock = fakeClock();
  const io = memoryOutput();
  const view = new TurnView(io, { statusEnabled: true, clock });
  view.show({ type: "text-delta", text: "Half a sen" });
  await clock.tick(1_900);
  assert.equal(io.stderr(), "", "a short pause shows nothing");
  await clock.tick(1_200);
  assert.equal(
    io.stderr(),
    "\x1b7 … waiting for the model (2 s)\x1b8\x1b[J\x1b7 … waiting for the model (3 s)",
  );
  view.show({ type: "text-delta", text: "tence." });
  assert.ok(io.stderr().endsWith("\x1b8\x1b[J"), "the mark is erased before the text goes on");
  assert.equal(io.stdout(), "Half a sentence.");
  await clock.tick(5_000);
  view.show({ type: "finish", reason: "stop" });
  view.finish();
  assert.equal(clock.pending(), 0);
});

Deno.test("the answer's escapes are made inert; no waiting mark without a terminal", async () => {
  const clock = fakeClock();
  const io = memoryOutput();
  const view = new TurnView(io, { statusEnabled: false, clock });
  view.show({ type: "text-delta", text: "ok\x1b]52;c;AAAA\x07 done" });
  await clock.tick(10_000);
  view.finish();
  assert.equal(io.stdout(), "ok done\n");
  assert.equal(io.stderr(), "");
});
