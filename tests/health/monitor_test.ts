import assert from "node:assert/strict";
import { HealthMonitor, problemsOf } from "../../lib/health/monitor.ts";
import { alertLine, renderHealthTable } from "../../lib/health/render.ts";
import type { HealthThresholds, WorkerSample } from "../../lib/health/types.ts";

const limits: HealthThresholds = {
  maxHeapBytes: 100 * 2 ** 20,
  maxQueue: 1_000,
  missedHeartbeats: 3,
  restartAfterChecks: 3,
};

function worker(overrides: Partial<WorkerSample> = {}): WorkerSample {
  return {
    id: "store",
    supervisor: "root",
    state: "running",
    restarts: 0,
    inWorker: true,
    heapUsed: 10 * 2 ** 20,
    queued: 0,
    unansweredHeartbeats: 0,
    ...overrides,
  };
}

Deno.test("each threshold of [health] is a problem only above its limit", () => {
  assert.deepEqual(problemsOf(worker({ heapUsed: 100 * 2 ** 20 }), limits), []);
  assert.equal(problemsOf(worker({ heapUsed: 100 * 2 ** 20 + 1 }), limits)[0].kind, "heap");
  assert.deepEqual(problemsOf(worker({ queued: 1_000 }), limits), []);
  assert.equal(problemsOf(worker({ queued: 1_001 }), limits)[0].kind, "queue");
  assert.deepEqual(problemsOf(worker({ unansweredHeartbeats: 1 }), limits), []);
  assert.equal(problemsOf(worker({ unansweredHeartbeats: 2 }), limits)[0].kind, "heartbeat");
  // A worker that is not running is the supervisor's business, not a threshold's.
  assert.deepEqual(problemsOf(worker({ state: "restarting", heapUsed: 2 ** 40 }), limits), []);
});

Deno.test("one alert when a worker turns unhealthy; a restart after three checks in a row; again after that", () => {
  let now = 0;
  const monitor = new HealthMonitor({ thresholds: limits, now: () => now });
  const hungry = worker({ id: "llm", heapUsed: 300 * 2 ** 20 });
  const first = monitor.check([hungry, worker()]);
  assert.equal(first.alerts.length, 1);
  assert.match(first.alerts[0].message, /heap 300 MB \(limit 100 MB\)/);
  assert.deepEqual(first.restart, []);
  now += 2_000;
  assert.deepEqual(monitor.check([hungry, worker()]).alerts, [], "no repeated alert");
  now += 2_000;
  const third = monitor.check([hungry, worker()]);
  assert.deepEqual(third.restart.map((r) => r.id), ["llm"]);
  assert.match(third.restart[0].reason, /unhealthy for 3 checks: heap 300 MB/);
  assert.equal(third.alerts[0].kind, "restart");
  // Still unhealthy after the restart: a new episode, a new alert.
  assert.equal(monitor.check([hungry]).alerts.length, 1);
  assert.equal(monitor.alerts.length, 3);
});

Deno.test("a worker that recovers between checks starts its count again", () => {
  const monitor = new HealthMonitor({ thresholds: limits, now: () => 0 });
  const busy = worker({ queued: 5_000 });
  monitor.check([busy]);
  monitor.check([busy]);
  monitor.check([worker()]);
  monitor.check([busy]);
  assert.deepEqual(monitor.check([busy]).restart, []);
  assert.equal(monitor.check([busy]).restart.length, 1);
});

Deno.test("inline plugins are not judged by worker thresholds", () => {
  const monitor = new HealthMonitor({ thresholds: limits, now: () => 0 });
  const inline = worker({ id: "health", inWorker: false, inline: true, queued: 10_000 });
  assert.deepEqual(monitor.check([inline]).alerts, []);
});

Deno.test("the table shows every worker, breaker and server; foreign text is sanitised", () => {
  const text = renderHealthTable({
    since: 0,
    at: 65_000,
    thresholds: limits,
    restartCount: 2,
    restarts: [],
    alerts: [{ at: 1, id: "llm", kind: "heap", message: "heap 300 MB (limit 100 MB)" }],
    workers: [
      { ...worker(), problems: [], healthy: true },
      {
        ...worker({ id: "llm", heapUsed: 300 * 2 ** 20, restarts: 2 }),
        problems: [{ kind: "heap", heapUsed: 300 * 2 ** 20, limit: limits.maxHeapBytes }],
        healthy: false,
      },
    ],
    breakers: [{ backend: "local", state: "open", consecutiveFailures: 5, retryInMs: 9_500 }],
    mcpServers: [{ name: "evil", state: "failed", status: "failed: \x1b]0;pwned\x07 bye" }],
  });
  const lines = text.trimEnd().split("\n");
  assert.match(lines[0], /^SERVICE\s+STATE\s+RESTARTS\s+HEAP\s+QUEUE\s+BEATS\s+NOTE$/);
  assert.match(lines[1], /^store\s+running\s+0\s+10\.0 MB\s+0\s+0\/3$/);
  assert.match(
    lines[2],
    /^llm\s+running\s+2\s+300\.0 MB\s+0\s+0\/3\s+heap 300 MB \(limit 100 MB\)$/,
  );
  assert.match(lines[3], /^llm local\s+breaker open .*5 failures in a row, retry in 10 s$/);
  assert.match(lines[4], /^mcp evil\s+failed/);
  assert.ok(!text.includes("\x1b"), "no escape sequence from a server reaches the terminal");
  assert.match(lines[5], /^up 1m5s · 2 restarts · 1 alert since start \(last: llm heap 300 MB/);
  assert.equal(alertLine({ id: "x\x1b[2J", message: "m" }), "! health: x m");
});

Deno.test("a worker still over its limit after a health restart is left running, said once", () => {
  let now = 0;
  const monitor = new HealthMonitor({
    thresholds: { ...limits, restartAfterChecks: 1 },
    now: () => now,
  });
  const big = worker({ id: "config", heapUsed: 300 * 2 ** 20 });
  const restarts = [];
  const notes = [];
  for (let i = 0; i < 6; i++) {
    now += 2_000;
    const outcome = monitor.check([big]);
    restarts.push(...outcome.restart);
    notes.push(...outcome.alerts.filter((a) => /left running/.test(a.message)));
  }
  assert.equal(restarts.length, 1);
  assert.equal(notes.length, 1);
  assert.match(
    notes[0].message,
    /still heap 300 MB \(limit 100 MB\) after a restart: left running/,
  );
  // Ten minutes later the budget is back.
  now += 10 * 60_000;
  assert.equal(monitor.check([big]).restart.length, 1);
});
