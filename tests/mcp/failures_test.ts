import assert from "node:assert/strict";
import {
  alive,
  childrenOf,
  EVERYTHING,
  harness,
  type RecordedEvent,
  until,
  within,
} from "./helpers.ts";
import { startEverythingHttp } from "./everything_suite.ts";

const FIXTURES = new URL("../fixtures/mcp/", import.meta.url).pathname;
const fast = { max_attempts: 20, base_ms: 50, max_ms: 300 };

function sawReconnecting(events: RecordedEvent[], since: number): boolean {
  return events.slice(since).some((e) =>
    e.event === "server-state" && (e.data as { status: string }).status.startsWith("reconnecting")
  );
}

Deno.test("a command that does not exist: failed with an actionable reason", async () => {
  const h = harness({ bad: { command: "mcpchat-no-such-command-xyz" } }, { startup_mode: "eager" });
  try {
    await within(h.manager.start(), 10_000, "start");
    const [info] = h.manager.servers();
    assert.equal(info.state.status, "failed");
    assert.equal(
      info.status,
      "failed: command not found: mcpchat-no-such-command-xyz (check mcp.servers.bad.command)",
    );
    await assert.rejects(
      h.manager.listTools({ server: "bad" }),
      (e: Error & { code?: string }) =>
        e.code === "MCP_SERVER_UNAVAILABLE" && /command not found/.test(e.message),
    );
    // Aggregate listing reports it instead of failing.
    const all = await h.manager.listTools();
    assert.equal(all.errors[0].server, "bad");
  } finally {
    await h.close();
  }
});

Deno.test("a server that never answers initialize: timeout, failed, child reaped", async () => {
  const h = harness(
    { silent: { command: "node", args: [`${FIXTURES}silent_server.mjs`] } },
    { initialize_timeout_ms: 1000, startup_mode: "eager" },
  );
  try {
    await within(h.manager.start(), 15_000, "start");
    const info = h.manager.servers()[0];
    assert.equal(info.state.status, "failed");
    assert.match(info.status, /did not answer initialize within 1000 ms/);
    assert.ok(info.pid && info.pid > 0);
    await until(() => !alive(info.pid!), 5_000, "silent child reaped");
  } finally {
    await h.close();
  }
});

Deno.test("kill a stdio server mid-call: clear error, reconnect, next call works", async () => {
  const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } }, { reconnect: fast });
  try {
    await within(h.manager.connect("ev"), 15_000, "connect");
    const pid = h.manager.servers()[0].pid!;
    let killed = false;
    const call = h.manager.callTool(
      {
        server: "ev",
        tool: "trigger-long-running-operation",
        arguments: { duration: 30, steps: 30 },
      },
      undefined,
      () => {
        if (!killed) {
          killed = true;
          Deno.kill(pid, "SIGKILL");
        }
      },
    );
    await assert.rejects(
      within(call, 10_000, "killed call"),
      (e: Error & { code?: string }) =>
        e.code === "MCP_CONNECTION_LOST" && /SIGKILL/.test(e.message) && /retry/.test(e.message),
    );
    const states = () =>
      h.events.filter((e) => e.event === "server-state").map((e) =>
        (e.data as { status: string }).status
      );
    await until(
      () => states().some((s) => s.startsWith("reconnecting (1/20)")),
      5_000,
      "reconnecting",
    );
    await until(() => h.manager.servers()[0].state.status === "ready", 15_000, "ready again");
    assert.notEqual(h.manager.servers()[0].pid, pid);
    const r = await within(
      h.manager.callTool({ server: "ev", tool: "echo", arguments: { message: "again" } }),
      10_000,
      "call after reconnect",
    );
    assert.match(JSON.stringify(r.content), /again/);
    assert.ok(h.manager.notifications({ categories: ["connection"] }).length > 0);
  } finally {
    await h.close();
  }
});

Deno.test("an HTTP server that disappears and returns: reconnecting, then ready", async () => {
  let srv = await startEverythingHttp("streamableHttp", EVERYTHING);
  const port = srv.port;
  const h = harness(
    { web: { type: "http", url: `http://127.0.0.1:${port}/mcp` } },
    {
      reconnect: { max_attempts: 100, base_ms: 50, max_ms: 300 },
      ping_interval_ms: 200,
      ping_timeout_ms: 1000,
    },
  );
  try {
    await within(h.manager.connect("web"), 15_000, "connect");
    const before = h.events.length;
    await srv.stop();
    await until(() => sawReconnecting(h.events, before), 10_000, "loss noticed");
    // A call while it is down waits (bounded) and then says why.
    await assert.rejects(
      h.manager.callTool(
        { server: "web", tool: "echo", arguments: { message: "x" } },
        AbortSignal.timeout(300),
      ),
      (e: Error & { code?: string }) =>
        e.code === "MCP_SERVER_UNAVAILABLE" && /reconnecting \(\d+\/100\)/.test(e.message),
    );
    srv = await startEverythingHttp("streamableHttp", EVERYTHING, port);
    await until(() => h.manager.servers()[0].state.status === "ready", 20_000, "ready again")
      .catch((e) => {
        const states = h.events.filter((x) => x.event === "server-state").map((x) =>
          (x.data as { status: string }).status
        );
        throw new Error(`${e.message}; states: ${states.slice(-6).join(" → ")}`);
      });
    const r = await within(
      h.manager.callTool({ server: "web", tool: "echo", arguments: { message: "back" } }),
      10_000,
      "call after return",
    );
    assert.match(JSON.stringify(r.content), /back/);
  } finally {
    await h.close();
    await srv.stop();
  }
});

Deno.test("reconnect limit: failed after N attempts with the last reason", async () => {
  const h = harness(
    { crashy: { command: "node", args: ["-e", "process.exit(3)"] } },
    { reconnect: { max_attempts: 2, base_ms: 10, max_ms: 20 }, startup_mode: "eager" },
  );
  try {
    await within(h.manager.start(), 10_000, "start");
    await until(() => h.manager.servers()[0].state.status === "failed", 10_000, "failed");
    assert.match(
      h.manager.servers()[0].status,
      /gave up after 2 reconnect attempts: process exited with code 3/,
    );
  } finally {
    await h.close();
  }
});

Deno.test("stop leaves no process of the server behind (grandchild included)", async () => {
  const h = harness({
    wrapped: { command: `${FIXTURES}wrapper.sh`, args: [EVERYTHING, "stdio"] },
  });
  try {
    await within(h.manager.connect("wrapped"), 15_000, "connect");
    const shPid = h.manager.servers()[0].pid!;
    const grandchildren = childrenOf(shPid);
    assert.equal(grandchildren.length, 1, "sh runs node as a child");
    await within(h.manager.disconnect("wrapped"), 10_000, "disconnect");
    await until(() => !alive(shPid) && grandchildren.every((p) => !alive(p)), 5_000, "tree gone")
      .catch((e) => {
        const st = (p: number) => {
          try {
            return Deno.readTextFileSync(`/proc/${p}/stat`);
          } catch {
            return "gone";
          }
        };
        throw new Error(`${e.message}: sh ${st(shPid)}; node ${grandchildren.map(st)}`);
      });
    assert.equal(h.transports.running().length, 0, "transport worker stopped");
  } finally {
    await h.close();
  }
});

Deno.test("the transport worker dies: the host detaches it, the manager reconnects through a new one", async () => {
  const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } }, { reconnect: fast });
  try {
    await within(h.manager.connect("ev"), 15_000, "connect");
    const pid = h.manager.servers()[0].pid!;
    const before = h.events.length;
    assert.ok(h.transports.kill("ev"));
    // Watch the events: with a short backoff the reconnecting state may last only a few ms.
    await until(() => sawReconnecting(h.events, before), 5_000, "loss noticed");
    await until(() => h.manager.servers()[0].state.status === "ready", 15_000, "ready again");
    await until(() => !alive(pid), 5_000, "old child reaped by the host");
    const r = await within(
      h.manager.callTool({ server: "ev", tool: "echo", arguments: { message: "new worker" } }),
      10_000,
      "call",
    );
    assert.match(JSON.stringify(r.content), /new worker/);
    assert.match(
      h.manager.notifications({ categories: ["connection"] }).map((n) => JSON.stringify(n.params))
        .join(),
      /transport worker ended/,
    );
  } finally {
    await h.close();
  }
});

Deno.test("disconnect while a server is still initializing: state idle, child reaped", async () => {
  const h = harness(
    { slow: { command: "node", args: [`${FIXTURES}silent_server.mjs`] } },
    { initialize_timeout_ms: 10_000 },
  );
  try {
    const connecting = h.manager.connect("slow");
    await until(() => (h.manager.servers()[0].pid ?? 0) > 0, 5_000, "child started");
    const pid = h.manager.servers()[0].pid!;
    await within(h.manager.disconnect("slow"), 10_000, "disconnect");
    await within(connecting, 10_000, "connect settles");
    assert.equal(h.manager.servers()[0].state.status, "idle");
    await until(() => !alive(pid), 5_000, "child reaped");
  } finally {
    await h.close();
  }
});

Deno.test("a hung server (SIGSTOP) fails its health ping: killed, replaced, works again", async () => {
  const h = harness(
    { ev: { command: "node", args: [EVERYTHING, "stdio"] } },
    { reconnect: fast, ping_interval_ms: 200, ping_timeout_ms: 300 },
  );
  try {
    await within(h.manager.connect("ev"), 15_000, "connect");
    const pid = h.manager.servers()[0].pid!;
    const before = h.events.length;
    Deno.kill(pid, "SIGSTOP");
    await until(() => sawReconnecting(h.events, before), 5_000, "ping failure noticed");
    await until(
      () => h.manager.servers()[0].state.status === "ready" && h.manager.servers()[0].pid !== pid,
      15_000,
      "ready with a new process",
    );
    await until(() => !alive(pid), 10_000, "hung process killed");
    const r = await within(
      h.manager.callTool({ server: "ev", tool: "echo", arguments: { message: "alive" } }),
      10_000,
      "call",
    );
    assert.match(JSON.stringify(r.content), /alive/);
    assert.match(
      JSON.stringify(h.manager.notifications({ categories: ["connection"] }).map((n) => n.params)),
      /health check failed/,
    );
  } finally {
    await h.close();
  }
});

Deno.test("listing tools with waitMs leaves a slow server out instead of waiting for it", async () => {
  const h = harness(
    {
      ev: { command: "node", args: [EVERYTHING, "stdio"] },
      silent: { command: "node", args: [`${FIXTURES}silent_server.mjs`] },
    },
    { initialize_timeout_ms: 20_000 },
  );
  try {
    // The first listing starts both connecting; on a loaded machine even the
    // ready server may take longer than waitMs, so wait until it is ready.
    await within(h.manager.listTools({ waitMs: 2_000 }), 15_000, "first listing");
    await until(
      () => h.manager.servers().find((s) => s.name === "ev")?.state.status === "ready",
      20_000,
      "ev ready",
    );
    const { tools, errors } = await within(
      h.manager.listTools({ waitMs: 2_000 }),
      15_000,
      "listing",
    );
    assert.ok(tools.some((t) => t.name === "ev__echo"), "the ready server's tools are there");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].server, "silent");
    assert.match(errors[0].message, /still connecting \(connecting/);
    // It keeps connecting in the background: its state is not failed by being left out.
    assert.notEqual(h.manager.servers().find((s) => s.name === "silent")?.state.status, "failed");
  } finally {
    await h.close();
  }
});

Deno.test("a server that answers ping with an error (no ping: -32601) is alive: never replaced", async () => {
  const h = harness(
    { noisy: { command: "node", args: [`${FIXTURES}noisy_server.mjs`] } },
    { reconnect: fast, ping_interval_ms: 100, ping_timeout_ms: 5_000 },
  );
  try {
    await within(h.manager.connect("noisy"), 15_000, "connect");
    const pid = h.manager.servers()[0].pid!;
    // The server writes a malformed line before each answer: each one is a ping answered.
    const malformed = () =>
      h.manager.notifications({ categories: ["connection"] }).filter((n) =>
        n.method === "mcpchat/transport_error"
      ).length;
    const start = malformed();
    await until(() => malformed() >= start + 5, 10_000, "five pings answered");
    assert.equal(h.manager.servers()[0].pid, pid, "the same process");
    assert.equal(h.manager.servers()[0].state.status, "ready");
    assert.ok(!sawReconnecting(h.events, 0), JSON.stringify(h.events.map((e) => e.data)));
  } finally {
    await h.close();
  }
});

Deno.test("a lazy server that never answers initialize: a listing reports why, not a bare '(connecting)'", async () => {
  const h = harness(
    { silent: { command: "node", args: [`${FIXTURES}silent_server.mjs`] } },
    { initialize_timeout_ms: 500, reconnect: { max_attempts: 3, base_ms: 5_000, max_ms: 5_000 } },
  );
  try {
    const { errors } = await within(h.manager.listTools(), 15_000, "listing");
    assert.equal(errors.length, 1);
    assert.match(errors[0].message, /did not answer initialize within 500 ms/);
  } finally {
    await h.close();
  }
});
