/**
 * Every plugin worker killed in the middle of a call, through the test-only
 * fault hook (`MCPCHAT_TEST_FAULT`, lib/plugin/fault.ts): the caller gets a
 * clear error, the supervisor restarts the worker, the next call works, the
 * session is intact and the health service counts the restart.
 */
import assert from "node:assert/strict";
import { Runtime } from "../../lib/cli/runtime.ts";
import { PeerClosedError, RpcError } from "../../lib/plugin/mod.ts";
import { armFaults } from "../../lib/plugin/fault.ts";
import type { SupervisorEvent } from "../../lib/supervisor/mod.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, peersConfig } from "../_helpers/cli.ts";
import { recordFigure } from "./_figures.ts";

async function boot(fault: string, extraToml = "") {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv({ MCPCHAT_TEST_FAULT: fault });
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    configPath,
    `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
      `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n` +
      `[mcp.servers.everything]\ncommand = "node"\nargs = ${
        JSON.stringify(peers.mcpServers.everything.args)
      }\n` + extraToml,
  );
  const events: SupervisorEvent[] = [];
  const runtime = await Runtime.boot({
    env,
    cwd: env.HOME,
    configPath,
    onEvent: (e) => events.push(e),
  });
  const { config } = await runtime.loadConfig();
  return {
    fake,
    runtime,
    config,
    events,
    async close() {
      await runtime.shutdown();
      await fake.close();
      armFaults("", undefined);
    },
  };
}

function until(
  events: SupervisorEvent[],
  type: SupervisorEvent["type"],
  id: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 30_000;
    const check = () => {
      if (events.some((e) => e.type === type && e.id === id)) resolve();
      else if (Date.now() > deadline) {
        reject(new Error(`no ${type} of ${id}: ${JSON.stringify(events)}`));
      } else setTimeout(check, 20);
    };
    check();
  });
}

/** The error a caller sees names the worker and says it crashed. */
function assertClear(error: unknown, worker: string): true {
  assert.ok(error instanceof RpcError, `an RpcError, not ${error}`);
  assert.ok(error instanceof PeerClosedError, `${error.name}: ${error.message}`);
  assert.match(error.message, new RegExp(worker));
  assert.match(error.message, /crashed|injected fault/);
  return true;
}

async function healthRestarts(ctx: Awaited<ReturnType<typeof boot>>, id: string): Promise<number> {
  const report = await (await ctx.runtime.health(ctx.config)).call("check", undefined);
  return report.workers.find((w) => w.id === id)?.restarts ?? -1;
}

Deno.test("store killed mid-append: clear error, restarted, session intact, health counts it", async () => {
  const ctx = await boot("store@append");
  try {
    const store = await ctx.runtime.store(ctx.config);
    const { session } = await store.call("create", { init: { title: "kill test" } });
    // The fault is armed on the first append: give the store one acknowledged message first
    // by appending in bulk, which is not the faulted method.
    await store.call("appendMany", {
      sessionId: session.id,
      messages: [{ role: "user", content: "acknowledged before the crash" }],
    });
    await assert.rejects(
      store.call("append", { sessionId: session.id, message: { role: "assistant", content: "x" } }),
      (e) => assertClear(e, "store"),
    );
    await until(ctx.events, "restarted", "store");
    await store.call("open", { ref: session.id }).catch(() => undefined);
    await store.call("append", {
      sessionId: session.id,
      message: { role: "user", content: "after the restart" },
    });
    const { messages } = await store.call("history", { sessionId: session.id, limit: 10 });
    const contents = messages.map((m) => m.content);
    assert.equal(contents[0], "acknowledged before the crash");
    assert.equal(contents.at(-1), "after the restart");
    assert.equal(await healthRestarts(ctx, "store"), 1);
    await recordFigure("worker_kill", {
      scenario: "store worker crashed mid-append",
      measure: "restarts survived",
      value: 1,
      lost: contents.includes("acknowledged before the crash") ? 0 : 1,
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("llm killed mid-stream: clear error, restarted, next call streams", async () => {
  const ctx = await boot("llm@chat");
  try {
    const llm = await ctx.runtime.llm(ctx.config);
    // The worker dies once the call has started, maybe before the request reached the provider:
    // two identical replies, so the next call gets a whole answer either way.
    ctx.fake.reply({ chunks: openaiChunks({ text: ["fine again"] }) });
    await assert.rejects(async () => {
      for await (
        const _ of llm.stream("chat", { messages: [{ role: "user", content: "hi" }] }, {
          timeoutMs: 20_000,
        })
      ) {
        // the fault lands after the first chunk
      }
    }, (e) => assertClear(e, "llm"));
    await until(ctx.events, "restarted", "llm");
    ctx.fake.reply({ chunks: openaiChunks({ text: ["fine again"] }) });
    let text = "";
    for await (
      const event of llm.stream("chat", { messages: [{ role: "user", content: "hi" }] }, {
        timeoutMs: 20_000,
      })
    ) if (event.type === "text-delta") text += event.text;
    assert.equal(text, "fine again");
    assert.equal(await healthRestarts(ctx, "llm"), 1);
    await recordFigure("worker_kill", {
      scenario: "llm worker crashed mid-stream",
      measure: "restarts survived",
      value: 1,
      lost: 0,
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("config killed mid-load: clear error, restarted, next load works", async () => {
  const env = await isolatedEnv({ MCPCHAT_TEST_FAULT: "config@load" });
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(configPath, `[health]\nmax_queue = 500\n`);
  const events: SupervisorEvent[] = [];
  const runtime = await Runtime.boot({
    env,
    cwd: env.HOME,
    configPath,
    onEvent: (e) => events.push(e),
  });
  try {
    // The config service names the file it was reading when its worker died.
    await assert.rejects(runtime.loadConfig(), (e: Error) => {
      assert.match(
        e.message,
        /config service failed while reading .*config\.toml: config .*crashed/,
      );
      assert.match(e.message, /mcpchat config validate/);
      return true;
    });
    await until(events, "restarted", "config");
    const { config } = await runtime.loadConfig();
    assert.equal(config.health.max_queue, 500);
    const report = await (await runtime.health(config)).call("check", undefined);
    assert.equal(report.workers.find((w) => w.id === "config")?.restarts, 1);
    await recordFigure("worker_kill", {
      scenario: "config worker crashed mid-load",
      measure: "restarts survived",
      value: 1,
      lost: 0,
    });
  } finally {
    await runtime.shutdown();
    armFaults("", undefined);
  }
});

Deno.test("MCP manager killed mid-tool-call: clear error, restarted, next call works", async () => {
  const ctx = await boot("mcp-manager@callTool");
  try {
    const mcp = await ctx.runtime.mcp(ctx.config);
    const call = (message: string) =>
      mcp.call("callTool", { server: "everything", tool: "echo", arguments: { message } });
    await assert.rejects(call("one"), (e) => assertClear(e, "mcp-manager"));
    await until(ctx.events, "restarted", "mcp-manager");
    assert.match(JSON.stringify((await call("two")).content), /Echo: two/);
    assert.equal(await healthRestarts(ctx, "mcp-manager"), 1);
    await recordFigure("worker_kill", {
      scenario: "MCP manager worker crashed mid-tool-call",
      measure: "restarts survived",
      value: 1,
      lost: 0,
    });
  } finally {
    await ctx.close();
  }
});

Deno.test("the MCP transports worker killed mid-call: clear error, reconnected, next call works", async () => {
  // Eager: the transport worker runs before the call, so the fault lands while it is in flight.
  const ctx = await boot("mcp-transports@callTool", `[mcp]\nstartup_mode = "eager"\n`);
  try {
    const mcp = await ctx.runtime.mcp(ctx.config);
    await mcp.call("startServers", undefined, { timeoutMs: 60_000 });
    const slow = mcp.call("callTool", {
      server: "everything",
      tool: "trigger-long-running-operation",
      arguments: { duration: 3, steps: 3 },
    });
    await assert.rejects(slow, (error: Error) => {
      // The manager reports it as the server's failure, naming the server.
      assert.match(error.message, /everything/);
      return true;
    });
    await until(ctx.events, "crashed", "mcp-transports");
    const echo = (message: string) =>
      mcp.call("callTool", { server: "everything", tool: "echo", arguments: { message } });
    let result: Awaited<ReturnType<typeof echo>> | undefined;
    for (let i = 0; i < 100 && !result; i++) {
      result = await echo("two").catch(() => undefined);
      if (!result) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(JSON.stringify(result?.content), /Echo: two/);
    const report = await (await ctx.runtime.health(ctx.config)).call("check", undefined);
    assert.ok(
      report.alerts.some((a) => a.id === "mcp-transports" && a.kind === "crash"),
      JSON.stringify(report.alerts),
    );
    await recordFigure("worker_kill", {
      scenario: "MCP transports worker (every stdio server's pipes) crashed mid-call; reconnected",
      measure: "restarts survived",
      value: 1,
      lost: 0,
    });
  } finally {
    await ctx.close();
  }
});
