/**
 * Load: 1,000 tool calls through one server, 10 servers at once, 100 KB
 * results, a 100,000-message session. Each asserts that every call and
 * message came through intact; the figures go to docs/reliability.md.
 */
import assert from "node:assert/strict";
import { Runtime } from "../../lib/cli/runtime.ts";
import { isolatedEnv, peersConfig } from "../_helpers/cli.ts";
import { recordFigure } from "./_figures.ts";

async function bootWith(servers: string[]) {
  const env = await isolatedEnv();
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  const args = JSON.stringify(peers.mcpServers.everything.args);
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    configPath,
    `[mcp]\nstartup_mode = "eager"\n` +
      servers.map((name) => `[mcp.servers.${name}]\ncommand = "node"\nargs = ${args}\n`).join(""),
  );
  const runtime = await Runtime.boot({ env, cwd: env.HOME, configPath });
  const { config } = await runtime.loadConfig();
  return { runtime, config };
}

function text(result: { content: unknown }): string {
  return (result.content as { type: string; text?: string }[]).map((c) => c.text ?? "").join("");
}

Deno.test("1,000 tool calls through one server, and 100 KB results, arrive intact", async () => {
  const { runtime, config } = await bootWith(["everything"]);
  try {
    const mcp = await runtime.mcp(config);
    const call = (message: string) =>
      mcp.call("callTool", { server: "everything", tool: "echo", arguments: { message } });
    let wrong = 0;
    // In waves of 50 concurrent calls, as a model's parallel tool calls would come.
    for (let wave = 0; wave < 20; wave++) {
      const results: { content: unknown }[] = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call(`call ${wave * 50 + i}`)),
      );
      results.forEach((r, i) => {
        if (text(r) !== `Echo: call ${wave * 50 + i}`) wrong++;
      });
    }
    assert.equal(wrong, 0);
    await recordFigure("load", {
      scenario: "tool calls through one stdio server (waves of 50 concurrent)",
      measure: "calls made",
      value: 1_000,
      lost: wrong,
    });
    const big = "b".repeat(100 * 1024);
    let bigWrong = 0;
    for (let i = 0; i < 20; i++) {
      if (text(await call(`${i}:${big}`)) !== `Echo: ${i}:${big}`) bigWrong++;
    }
    assert.equal(bigWrong, 0);
    await recordFigure("load", {
      scenario: "100 KB tool results",
      measure: "calls made",
      value: 20,
      lost: bigWrong,
    });
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("10 servers at once: all connect, each answers its own calls", async () => {
  const names = Array.from({ length: 10 }, (_, i) => `srv${i}`);
  const { runtime, config } = await bootWith(names);
  try {
    const mcp = await runtime.mcp(config);
    await mcp.call("startServers", undefined, { timeoutMs: 120_000 });
    const servers = await mcp.call("servers", undefined);
    assert.deepEqual(servers.map((s) => s.state.status), names.map(() => "ready"));
    let wrong = 0;
    const results = await Promise.all(
      names.flatMap((server) =>
        Array.from(
          { length: 10 },
          (_, i) =>
            mcp.call("callTool", { server, tool: "echo", arguments: { message: `${server}/${i}` } })
              .then((r) => text(r) === `Echo: ${server}/${i}`),
        )
      ),
    );
    wrong = results.filter((ok) => !ok).length;
    assert.equal(wrong, 0);
    const report = await (await runtime.health(config)).call("check", undefined);
    assert.equal(report.workers.filter((w) => w.id.startsWith("mcp-server:")).length, 10);
    await recordFigure("load", {
      scenario: "10 stdio servers at once, 10 concurrent calls each",
      measure: "calls made",
      value: results.length,
      lost: wrong,
    });
  } finally {
    await runtime.shutdown();
  }
});

Deno.test("a 100,000-message session: stored, counted, resumed with a bounded page, paged back to the start", async () => {
  const { runtime, config } = await bootWith([]);
  try {
    const store = await runtime.store(config);
    const { session } = await store.call("create", { init: { title: "huge" } });
    const TOTAL = 100_000;
    const BATCH = 1_000;
    for (let from = 0; from < TOTAL; from += BATCH) {
      await store.call("appendMany", {
        sessionId: session.id,
        messages: Array.from({ length: BATCH }, (_, i) => ({
          role: (from + i) % 2 ? "assistant" : "user",
          content: `message ${from + i}`,
        })),
      }, { timeoutMs: 120_000 });
    }
    await store.call("close", { sessionId: session.id });
    const record = await store.call("get", { ref: session.id });
    assert.equal(record.messageCount, TOTAL);
    // Resuming keeps one page in memory, not the session.
    const opened = await store.call("open", { ref: session.id });
    assert.ok(opened.recent.length <= config.session.page_size);
    assert.equal(opened.recent.at(-1)?.content, `message ${TOTAL - 1}`);
    // Paging back reaches every message, in order.
    let before: number | undefined;
    let seen = 0;
    let expected = TOTAL - 1;
    let outOfOrder = 0;
    while (true) {
      const page = await store.call("history", { sessionId: session.id, before, limit: 1_000 });
      if (page.messages.length === 0) break;
      for (const m of [...page.messages].reverse()) {
        if (m.content !== `message ${expected}`) outOfOrder++;
        expected--;
        seen++;
      }
      before = page.messages[0].seq;
      if (before === 0) break;
    }
    assert.equal(seen, TOTAL);
    assert.equal(outOfOrder, 0);
    await recordFigure("load", {
      scenario: "one session of 100,000 messages: stored, resumed, paged back",
      measure: "messages stored and read back",
      value: seen,
      lost: TOTAL - seen + outOfOrder,
    });
  } finally {
    await runtime.shutdown();
  }
});
