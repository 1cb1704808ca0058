import assert from "node:assert/strict";
import { PausableDeadline } from "../../lib/mcp/deadline.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";
import { EVERYTHING, harness, within } from "./helpers.ts";

Deno.test("deadline: pauses keep the time left, progress restarts it, expiry fires once", async () => {
  const clock = fakeClock();
  let fired = 0;
  const d = new PausableDeadline(100, () => fired++, clock);
  await clock.tick(60);
  d.pause();
  await clock.tick(10_000); // the user reads a form
  assert.equal(fired, 0);
  d.resume();
  await clock.tick(39);
  assert.equal(fired, 0);
  d.touch(); // progress: the whole time again
  await clock.tick(99);
  assert.equal(fired, 0);
  await clock.tick(1);
  assert.equal(fired, 1);
  d.resume();
  d.touch();
  await clock.tick(1_000);
  assert.equal(fired, 1);
});

Deno.test("a tool call's timeout stops while the user answers the server's sampling request", async () => {
  const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } }, {
    request_timeout_ms: 1_000,
    host: {
      // The user takes three times the request timeout to approve.
      sampling: async () => {
        await new Promise((r) => setTimeout(r, 3_000));
        return { role: "assistant", model: "m", content: { type: "text", text: "approved late" } };
      },
    },
  });
  try {
    const r = await within(
      h.manager.callTool({
        server: "ev",
        tool: "trigger-sampling-request",
        arguments: { prompt: "hi", maxTokens: 5 },
      }),
      20_000,
      "call",
    );
    assert.match(JSON.stringify(r.content), /approved late/);
  } finally {
    await h.close();
  }
});
