/**
 * Health as a user meets it: /health in the REPL (real pty), the alert line
 * and automatic restart when a worker breaks a [health] threshold,
 * `mcpchat health --json`, and the health check of `doctor`.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, PtySession, runCli } from "../_helpers/cli.ts";

const setup = localChat;

Deno.test("REPL: the LLM worker dies mid-turn; the user is told, the next turn works, the session is intact, /health counts the restart", async () => {
  const { fake, env, config } = await setup("", { MCPCHAT_TEST_FAULT: "llm@chat" });
  // The fault may land before the first request reaches the provider: identical answers.
  fake.reply(
    { chunks: openaiChunks({ text: ["Still here."] }) },
    { chunks: openaiChunks({ text: ["Still here."] }) },
  );
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("first question\r");
    mark = await pty.waitFor(/llm crashed: .*injected fault/, mark);
    mark = await pty.waitFor("llm restarted", mark);
    await pty.type("second question\r");
    mark = await pty.waitFor("Still here.", mark);
    await pty.type("/history\r");
    mark = await pty.waitFor("(start of session)", mark);
    const history = pty.output.slice(0, mark);
    assert.match(history, /user: first question/);
    assert.match(history, /user: second question/);
    assert.match(history, /assistant: Still here\./);
    await pty.type("/health\r");
    mark = await pty.waitFor(/up \d+m?\d*s · \d+ restarts?/, mark);
    const table = pty.output.slice(pty.output.lastIndexOf("SERVICE"));
    assert.match(table, /\nllm\s+running\s+1\s+\d+\.\d MB/);
    assert.match(table, /\nconfig\s+running\s+0/);
    assert.match(table, /1 restart · \d+ alerts? since start/);
    await pty.type("/exit\r");
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  } finally {
    await fake.close();
  }
});

Deno.test("REPL: a worker over max_heap_mb raises an alert line and is restarted by the health service", async () => {
  // 1 MB: every worker is over it; the config worker is the first one watched.
  const { fake, env, config } = await setup(`[health]\nmax_heap_mb = 1\nheartbeat_ms = 500\n`);
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    mark = await pty.waitFor(/! health: config heap \d+(\.\d)? MB \(limit 1\.0 MB\)/, mark);
    mark = await pty.waitFor(
      /config crashed: restarted by the health service: unhealthy for 3 checks/,
      mark,
    );
    mark = await pty.waitFor("config restarted", mark);
    // A fresh worker is over 1 MB too: not restarted again, the user is told why.
    mark = await pty.waitFor(/! health: config still heap .* after a restart: left running/, mark);
    await pty.type("/health\r");
    mark = await pty.waitFor(/up \d+m?\d*s · /, mark);
    assert.match(pty.output.slice(pty.output.lastIndexOf("SERVICE")), /\nconfig\s+running\s+1\s/);
    await pty.type("/exit\r");
    await pty.close();
  } finally {
    await fake.close();
  }
});

Deno.test("REPL: a provider failing again and again opens the circuit breaker; the user gets a health line, /health shows it", async () => {
  const { fake, env, config } = await setup(
    `[llm.retry]\nmax_attempts = 1\n[llm.breaker]\nfailure_threshold = 2\nreset_seconds = 600\n`,
  );
  const failing = {
    status: 500,
    json: { error: { message: "upstream down", type: "server_error" } },
  };
  fake.reply(failing, failing);
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    await pty.type("one\r");
    mark = await pty.waitFor(/error: .*500|upstream down/, mark);
    await pty.type("two\r");
    mark = await pty.waitFor(/! health: llm local circuit breaker open/, mark);
    await pty.type("/health\r");
    mark = await pty.waitFor(/up \d+m?\d*s · /, mark);
    assert.match(
      pty.output.slice(pty.output.lastIndexOf("SERVICE")),
      /\nllm local\s+breaker open\s.*2 failures in a row, retry in \d+ s/,
    );
    await pty.type("/exit\r");
    await pty.close();
  } finally {
    await fake.close();
  }
});

Deno.test("mcpchat health --json: every service's figures, restarts and alerts; exit 0 when healthy", async () => {
  const { fake, env, config } = await setup();
  try {
    const r = await runCli(["--config", config, "health", "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, true);
    const ids = report.workers.map((w: { id: string }) => w.id);
    for (const id of ["config", "health", "store", "llm"]) assert.ok(ids.includes(id), ids.join());
    for (const w of report.workers.filter((w: { inWorker: boolean }) => w.inWorker)) {
      assert.ok(w.heapUsed > 0, `${w.id} reported its heap`);
      assert.equal(w.state, "running");
    }
    assert.deepEqual(report.restarts, []);
    assert.equal(report.restartCount, 0);
    assert.equal(report.thresholds.maxQueue, 1000);
    assert.equal(report.thresholds.maxHeapBytes, 100 * 2 ** 20);
    assert.deepEqual(report.breakers.map((b: { backend: string }) => b.backend), ["local"]);

    const text = await runCli(["--config", config, "health"], { env });
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^SERVICE\s+STATE\s+RESTARTS/);
    assert.match(text.stderr, /checking services/);
  } finally {
    await fake.close();
  }
});

Deno.test("mcpchat health --json over the thresholds: alerts, exit 1; doctor says so", async () => {
  const { fake, env, config } = await setup(`[health]\nmax_heap_mb = 1\n`);
  try {
    const r = await runCli(["--config", config, "health", "--json"], { env });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.equal(report.ok, false);
    assert.ok(
      report.alerts.some((a: { kind: string; message: string }) =>
        a.kind === "heap" && /limit 1\.0 MB/.test(a.message)
      ),
      JSON.stringify(report.alerts),
    );
    const doctor = await runCli(["--config", config, "doctor", "--json"], { env });
    const health = JSON.parse(doctor.stdout).checks.find((c: { name: string }) =>
      c.name === "health"
    );
    assert.equal(health.status, "warn");
    assert.match(
      health.detail,
      /services watched \(heap ≤ 1 MB, queue ≤ 1000, 3 missed heartbeats\)/,
    );
    assert.match(health.detail, /alerts? since start/);
  } finally {
    await fake.close();
  }
});
