/** The pooled transport worker: one worker for every server, widened when a server needs more. */

import assert from "node:assert/strict";
import { EVERYTHING, harness, until, within } from "./helpers.ts";

const SPY = new URL("../fixtures/mcp/spy_server.mjs", import.meta.url).pathname;
const WRAPPER = new URL("../fixtures/mcp/wrapper.sh", import.meta.url).pathname;

Deno.test("pool: servers share one worker; one needing another command widens it, the others reconnect", async () => {
  const h = harness({
    a: { command: "node", args: [SPY] },
    b: { command: "node", args: [EVERYTHING, "stdio"] },
  }, { reconnect: { max_attempts: 5, base_ms: 20, max_ms: 100 } });
  try {
    await within(Promise.all([h.manager.connect("a"), h.manager.connect("b")]), 20_000, "connect");
    const first = h.transports.poolPermissions();
    assert.equal(first?.run.filter((r) => r.endsWith("/node")).length, 1, JSON.stringify(first));
    assert.deepEqual(h.transports.running().sort(), ["a", "b"]);
    // A server with a command the pool may not run yet: the pool restarts with both.
    await h.manager.addServer("c", { command: "sh", args: [WRAPPER, SPY] });
    await within(h.manager.connect("c"), 20_000, "connect c");
    const widened = h.transports.poolPermissions();
    assert.ok(widened?.run.some((r) => r.endsWith("/sh")), JSON.stringify(widened));
    assert.ok(widened?.run.some((r) => r.endsWith("/node")));
    await until(
      () => h.manager.servers().every((s) => s.state.status === "ready"),
      20_000,
      "all ready again",
    );
    const r = await within(
      h.manager.callTool({ server: "a", tool: "env", arguments: { name: "HOME" } }),
      10_000,
      "call a",
    );
    assert.equal(r.isError, false);
  } finally {
    await h.close();
  }
});
