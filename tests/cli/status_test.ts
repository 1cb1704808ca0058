import assert from "node:assert/strict";
import { progressText, StatusLine } from "../../lib/ui/status.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";

function line(enabled = true) {
  const clock = fakeClock();
  let screen = "";
  const status = new StatusLine({
    write: (t) => void (screen += t),
    enabled,
    clock,
    delayMs: 300,
    intervalMs: 100,
  });
  return { clock, status, screen: () => screen };
}

Deno.test("a quick operation never shows a status", async () => {
  const { clock, status, screen } = line();
  status.set("waiting for the model…");
  await clock.tick(250);
  status.clear();
  await clock.tick(1_000);
  assert.equal(screen(), "");
});

Deno.test("a slow one shows after the delay, updates at most every interval, then erases", async () => {
  const { clock, status, screen } = line();
  status.set("everything long-op 0%");
  await clock.tick(300);
  assert.equal(screen(), "\r\x1b[2Keverything long-op 0%");
  for (let i = 1; i <= 10; i++) {
    status.set(`everything long-op ${i * 10}%`);
    await clock.tick(10);
  }
  // 10 updates in 100 ms: one redraw with the latest text.
  assert.equal(screen().split("\r\x1b[2K").length - 1, 2);
  assert.ok(screen().endsWith("everything long-op 100%"));
  await clock.tick(1_000);
  assert.match(screen(), /\(1 s\)$/);
  status.clear();
  assert.ok(screen().endsWith("\r\x1b[2K"));
  await clock.tick(5_000);
  assert.ok(screen().endsWith("\r\x1b[2K"), "nothing drawn after clear");
});

Deno.test("off a terminal nothing is written", async () => {
  const { clock, status, screen } = line(false);
  status.set("x");
  await clock.tick(5_000);
  status.clear();
  assert.equal(screen(), "");
});

Deno.test("progress text shows a percentage when the total is known", () => {
  assert.equal(
    progressText("ev", "op", { progress: 2, total: 5, message: "step 2" }),
    "ev op 40% step 2",
  );
  assert.equal(progressText("ev", "op", { progress: 7 }), "ev op 7");
});

Deno.test("paused (a question on its line), it is erased and draws nothing until resumed", async () => {
  const { clock, status, screen } = line();
  status.set("running everything ask…");
  await clock.tick(300);
  status.pause();
  assert.ok(screen().endsWith("\r\x1b[2K"), "erased for the question");
  const before = screen();
  await clock.tick(5_000); // no elapsed-time redraw
  status.set("everything ask 50%"); // nor a progress update
  await clock.tick(5_000);
  assert.equal(screen(), before);
  status.resume();
  await clock.tick(100);
  assert.equal(screen().slice(before.length), "\r\x1b[2Keverything ask 50% (10 s)");
  status.clear();
});
