/**
 * An MCP stdio server that crashes on every call (and, once crashed, while
 * starting): reconnects back off with growing windows, stop at
 * `[mcp.reconnect] max_attempts`, the server is marked failed with a clear
 * reason, and another server keeps answering all along.
 */
import assert from "node:assert/strict";
import { Runtime } from "../../lib/cli/runtime.ts";
import { isolatedEnv, peersConfig } from "../_helpers/cli.ts";
import { recordFigure } from "./_figures.ts";

const FIXTURE = new URL("./fixtures/crash_on_call.mjs", import.meta.url).pathname;
const MAX_ATTEMPTS = 4;
const BASE_MS = 40;

interface Seen {
  at: number;
  status: string;
  attempt?: number;
  retryAt?: number;
  reason?: string;
}

Deno.test("a server crashing on every call: backoff grows, attempts stop at the limit, the rest keeps working", async () => {
  const env = await isolatedEnv();
  const marker = `${env.HOME}/crashed`;
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    configPath,
    `[mcp.reconnect]\nmax_attempts = ${MAX_ATTEMPTS}\nbase_ms = ${BASE_MS}\nmax_ms = 5000\n` +
      `[mcp.servers.crasher]\ncommand = "node"\nargs = ${JSON.stringify([FIXTURE, marker])}\n` +
      `[mcp.servers.everything]\ncommand = "node"\nargs = ${
        JSON.stringify(peers.mcpServers.everything.args)
      }\n`,
  );
  const runtime = await Runtime.boot({ env, cwd: env.HOME, configPath });
  try {
    const { config } = await runtime.loadConfig();
    const mcp = await runtime.mcp(config);
    const seen: Seen[] = [];
    mcp.on("server-state", ({ name, state }) => {
      if (name === "crasher") seen.push({ ...state, at: Date.now() });
    });
    await mcp.call("startServers", undefined, { timeoutMs: 60_000 });
    const echo = async (message: string) =>
      JSON.stringify(
        (await mcp.call("callTool", { server: "everything", tool: "echo", arguments: { message } }))
          .content,
      );
    let calls = 0;
    await assert.rejects(
      mcp.call("callTool", { server: "crasher", tool: "boom", arguments: {} }),
      (error: Error) => {
        assert.match(error.message, /crasher/, "the error names the server");
        return true;
      },
    );
    calls++;
    // While it retries, the other server answers.
    assert.match(await echo("during"), /Echo: during/);
    calls++;
    const deadline = Date.now() + 60_000;
    while (!seen.some((s) => s.status === "failed") && Date.now() < deadline) {
      assert.match(await echo(`tick ${calls}`), /Echo: tick/);
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const failed = seen.find((s) => s.status === "failed");
    assert.ok(failed, `never failed: ${JSON.stringify(seen)}`);
    assert.match(
      failed.reason ?? "",
      new RegExp(`gave up after ${MAX_ATTEMPTS} reconnect attempts`),
    );
    const retries = seen.filter((s) => s.status === "reconnecting");
    // Attempts are numbered 1…max and stop there.
    assert.deepEqual([...new Set(retries.map((s) => s.attempt))], [1, 2, 3, 4]);
    // Each wait stays within its window, and the windows double (full jitter: base × 2^n).
    const waits = retries.map((s) => Math.max(0, (s.retryAt ?? s.at) - s.at));
    retries.forEach((s, i) => {
      const window = BASE_MS * 2 ** ((s.attempt ?? 1) - 1);
      assert.ok(
        waits[i] <= window + 5,
        `attempt ${s.attempt}: waited ${waits[i]} ms > ${window} ms`,
      );
    });
    // Failed for good: a call fails at once with a clear error; the other server still answers.
    await assert.rejects(
      mcp.call("callTool", { server: "crasher", tool: "boom", arguments: {} }),
      (error: Error) => /crasher/.test(error.message),
    );
    assert.match(await echo("after"), /Echo: after/);
    calls += 2;
    await recordFigure("mcp_crash_loop", {
      scenario: `stdio server crashing on every call, ${MAX_ATTEMPTS} reconnects allowed`,
      measure: "reconnect attempts, then failed",
      value: new Set(retries.map((s) => s.attempt)).size,
      lost: 0,
      note: `windows ${retries.map((s) => BASE_MS * 2 ** ((s.attempt ?? 1) - 1)).join("→")} ms; ` +
        `${calls} calls made, the other server answered every one`,
    });
  } finally {
    await runtime.shutdown();
  }
});
