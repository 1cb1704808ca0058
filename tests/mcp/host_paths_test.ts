import assert from "node:assert/strict";
import { EVERYTHING, harness, type RecordedEvent, until, within } from "./helpers.ts";
import { startEverythingHttp } from "./everything_suite.ts";

Deno.test("sampling refused by the user and elicitation declined reach the server as such", async () => {
  const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } }, {
    host: {
      sampling: () => Promise.reject(new Error("the user declined the sampling request")),
      elicit: () => Promise.resolve({ action: "decline" }),
    },
  });
  try {
    await within(h.manager.connect("ev"), 15_000, "connect");
    // The conditional tools appear shortly after initialization.
    for (let i = 0; i < 100; i++) {
      const { tools } = await h.manager.listTools({ server: "ev" });
      if (tools.some((t) => t.tool === "trigger-sampling-request")) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const sampled = await within(
      h.manager.callTool({
        server: "ev",
        tool: "trigger-sampling-request",
        arguments: { prompt: "x", maxTokens: 5 },
      })
        .then((r) => JSON.stringify(r), (e: Error) => e.message),
      10_000,
      "sampling",
    );
    assert.match(sampled, /declined the sampling request/);
    const elicited = await within(
      h.manager.callTool({ server: "ev", tool: "trigger-elicitation-request", arguments: {} }),
      10_000,
      "elicitation",
    );
    assert.match(JSON.stringify(elicited.content), /decline/i);
    const recorded = h.manager.notifications({ categories: ["connection"] }).map((n) => n.method);
    assert.ok(
      recorded.includes("mcpchat/sampling_request") &&
        recorded.includes("mcpchat/elicitation_request"),
    );
  } finally {
    await h.close();
  }
});

Deno.test("a legacy SSE server that disappears and returns: reconnecting, then ready", async () => {
  let srv = await startEverythingHttp("sse", EVERYTHING);
  const port = srv.port;
  const h = harness(
    { old: { type: "sse", url: `http://127.0.0.1:${port}/sse` } },
    {
      reconnect: { max_attempts: 100, base_ms: 50, max_ms: 300 },
      ping_interval_ms: 200,
      ping_timeout_ms: 1000,
    },
  );
  const sawReconnecting = (events: RecordedEvent[], since: number) =>
    events.slice(since).some((e) =>
      e.event === "server-state" && (e.data as { status: string }).status.startsWith("reconnecting")
    );
  try {
    await within(h.manager.connect("old"), 15_000, "connect");
    const before = h.events.length;
    await srv.stop();
    await until(() => sawReconnecting(h.events, before), 10_000, "loss noticed");
    srv = await startEverythingHttp("sse", EVERYTHING, port);
    await until(() => h.manager.servers()[0].state.status === "ready", 20_000, "ready again");
    const r = await within(
      h.manager.callTool({ server: "old", tool: "echo", arguments: { message: "sse back" } }),
      10_000,
      "call after return",
    );
    assert.match(JSON.stringify(r.content), /sse back/);
  } finally {
    await h.close();
    await srv.stop();
  }
});

Deno.test("a call that outlives its timeout fails with MCP_TIMEOUT; the server stays usable", async () => {
  const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } });
  try {
    await within(h.manager.connect("ev"), 15_000, "connect");
    await assert.rejects(
      within(
        h.manager.callTool({
          server: "ev",
          tool: "trigger-long-running-operation",
          arguments: { duration: 5, steps: 1 },
          timeoutMs: 300,
        }),
        5_000,
        "timed call",
      ),
      (e: Error & { code?: string }) =>
        e.code === "MCP_TIMEOUT" && /tools\/call failed/.test(e.message),
    );
    const r = await within(
      h.manager.callTool({ server: "ev", tool: "echo", arguments: { message: "still here" } }),
      5_000,
      "next call",
    );
    assert.match(JSON.stringify(r.content), /still here/);
    assert.equal(h.manager.servers()[0].state.status, "ready");
  } finally {
    await h.close();
  }
});
