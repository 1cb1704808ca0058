import assert from "node:assert/strict";
import { Runtime } from "../../lib/cli/runtime.ts";
import type { Config } from "../../lib/config/schema.ts";
import { sessionRecorder } from "../../lib/cli/sessions.ts";
import { PeerClosedError } from "../../lib/plugin/mod.ts";
import type { SupervisorEvent } from "../../lib/supervisor/mod.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, peersConfig } from "../_helpers/cli.ts";

async function boot(extraToml = "") {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    configPath,
    `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
      `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n[health]\nheartbeat_ms = 500\n` +
      `[mcp.servers.everything]\ncommand = "node"\nargs = ${
        JSON.stringify(peers.mcpServers.everything.args)
      }\n` +
      extraToml,
  );
  const events: SupervisorEvent[] = [];
  const runtime = await Runtime.boot({
    env,
    cwd: env.HOME,
    configPath,
    onEvent: (e) => events.push(e),
  });
  const { config } = await runtime.loadConfig();
  return { fake, runtime, config, events };
}

function restarted(events: SupervisorEvent[], id: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () =>
      events.some((e) => e.type === "restarted" && e.id === id) ? resolve() : setTimeout(check, 10);
    check();
  });
}

Deno.test("the store worker dies mid-session: it is restarted and the session is intact", async () => {
  const { runtime, config, events } = await boot();
  try {
    const store = await runtime.store(config);
    const opened = await store.call("create", { init: { title: "crash test" } });
    const recorder = sessionRecorder(store, opened.session.id, undefined, opened.recent);
    await recorder.append({ role: "user", content: "before the crash" }, {});
    store.current!.kill(); // the worker thread is gone, with its open session and lease
    await restarted(events, "store");
    await recorder.append({ role: "assistant", content: "after the restart" }, {});
    await recorder.append({ role: "user", content: "and again" }, {});
    const { messages } = await store.call("history", { sessionId: opened.session.id, limit: 10 });
    assert.deepEqual(messages.map((m) => m.content), [
      "before the crash",
      "after the restart",
      "and again",
    ]);
    assert.equal(runtime.services().find((s) => s.id === "store")?.restarts, 1);
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("the store worker dies while an answer streams: its checkpoints and final form carry on", async () => {
  const { runtime, config, events } = await boot();
  try {
    const store = await runtime.store(config);
    const opened = await store.call("create", { init: {} });
    const recorder = sessionRecorder(store, opened.session.id, undefined, opened.recent);
    await recorder.append({ role: "user", content: "q" }, {});
    const answer = recorder.answer();
    answer.update({ role: "assistant", content: "Hel" });
    await new Promise((r) => setTimeout(r, 300));
    store.current!.kill();
    await restarted(events, "store");
    answer.update({ role: "assistant", content: "Hello, wor" });
    await answer.finish({ role: "assistant", content: "Hello, world" }, { model: "m" });
    const { messages } = await store.call("history", { sessionId: opened.session.id, limit: 10 });
    assert.deepEqual(messages.map((m) => [m.role, m.content, m.status]), [
      ["user", "q", undefined],
      ["assistant", "Hello, world", "complete"],
    ]);
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("the LLM worker dies mid-stream: the caller gets a clear error, the next call works", async () => {
  const { fake, runtime, config, events } = await boot();
  try {
    const llm = await runtime.llm(config);
    fake.reply({ chunks: openaiChunks({ text: ["partial", "never"] }), hangAfter: 2 });
    const stream = llm.stream("chat", { messages: [{ role: "user", content: "hi" }] }, {
      timeoutMs: Infinity,
    });
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const event of stream) {
        if (event.type === "text-delta") {
          seen.push(event.text);
          llm.current!.kill();
        }
      }
    }, PeerClosedError);
    assert.deepEqual(seen, ["partial"]);
    await restarted(events, "llm");
    fake.reply({ chunks: openaiChunks({ text: ["fine again"] }) });
    let text = "";
    for await (
      const event of llm.stream("chat", { messages: [{ role: "user", content: "hi" }] }, {
        timeoutMs: Infinity,
      })
    ) {
      if (event.type === "text-delta") text += event.text;
    }
    assert.equal(text, "fine again");
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("the MCP manager dies: it is restarted, its servers are reaped and reconnected", async () => {
  const { runtime, config, events } = await boot();
  try {
    const mcp = await runtime.mcp(config);
    const first = await mcp.call("callTool", {
      server: "everything",
      tool: "echo",
      arguments: { message: "one" },
    });
    assert.match(JSON.stringify(first.content), /Echo: one/);
    const [before] = (await mcp.call("servers", undefined)).map((s) => s.pid);
    mcp.current!.kill();
    await restarted(events, "mcp-manager");
    const second = await mcp.call("callTool", {
      server: "everything",
      tool: "echo",
      arguments: { message: "two" },
    });
    assert.match(JSON.stringify(second.content), /Echo: two/);
    const [after] = (await mcp.call("servers", undefined)).map((s) => s.pid);
    assert.notEqual(after, before, "a new server process serves the new manager");
    if (before) {
      // The old server process does not outlive its manager.
      for (
        let i = 0;
        i < 50 && await Deno.stat(`/proc/${before}`).then(() => true, () => false);
        i++
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(await Deno.stat(`/proc/${before}`).then(() => true, () => false), false);
    }
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("the MCP manager starts before the config is loaded and connects once it is", async () => {
  const { fake, runtime: booted, config } = await boot();
  await booted.shutdown();
  await fake.close();
  const env = await isolatedEnv();
  const runtime = await Runtime.create({ env, cwd: env.HOME });
  try {
    let give!: (loaded: Config) => void;
    const later = new Promise<Config>((resolve) => (give = resolve));
    const starting = runtime.mcp(later);
    starting.catch(() => {}); // awaited below
    // The manager's worker is spawned (loading the SDK) while its init waits for the config.
    assert.equal(runtime.started("mcp-manager"), true);
    give(config);
    const mcp = await starting;
    const { tools } = await mcp.call("listTools", { server: "everything" }, { timeoutMs: 60_000 });
    assert.ok(tools.some((t) => t.tool === "echo"));
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("releaseConfig stops the config worker; loading the config again starts it", async () => {
  const { fake, runtime } = await boot();
  try {
    assert.ok(runtime.services().some((s) => s.id === "config"));
    await runtime.releaseConfig();
    assert.equal(runtime.services().some((s) => s.id === "config"), false);
    const { config } = await runtime.loadConfig();
    assert.equal(config.llm.default, "local");
    assert.ok(runtime.services().some((s) => s.id === "config"));
  } finally {
    await runtime.shutdown();
    await fake.close();
  }
});
