import assert from "node:assert/strict";
import { Runtime } from "../../lib/cli/runtime.ts";
import { isolatedEnv } from "../_helpers/cli.ts";
import { EVERYTHING, within } from "./helpers.ts";

Deno.test("the app's runtime: mcp-manager worker with no permissions, transports in the pooled worker", async () => {
  const env = await isolatedEnv();
  await Deno.mkdir(`${env.HOME}/.config/mcpchat`, { recursive: true });
  await Deno.writeTextFile(
    `${env.HOME}/.config/mcpchat/config.toml`,
    `[mcp]\nstartup_mode = "eager"\n[mcp.servers.everything]\ncommand = "node"\nargs = [${
      JSON.stringify(EVERYTHING)
    }, "stdio"]\n`,
  );
  const sampled: unknown[] = [];
  // --config, as the CLI passes it: the config worker reads the process's own environment.
  const runtime = await Runtime.boot({
    env,
    cwd: env.HOME,
    configPath: `${env.HOME}/.config/mcpchat/config.toml`,
  });
  try {
    const { config } = await runtime.loadConfig();
    const mcp = await within(
      runtime.mcp(config, {
        sampling: (p) => {
          sampled.push(p);
          return Promise.resolve({
            role: "assistant",
            model: "stub",
            content: { type: "text", text: "from the host via RPC" },
          });
        },
      }),
      30_000,
      "manager start",
    );
    const servers = await mcp.call("startServers", {}, { timeoutMs: 30_000 });
    assert.equal(servers[0].state.status, "ready", "eager server ready when startServers resolves");
    const { tools } = await mcp.call("listTools", {});
    assert.ok(tools.some((t) => t.name === "everything__echo"));
    const r = await mcp.call("callTool", {
      name: "everything__trigger-long-running-operation",
      arguments: { duration: 0.5, steps: 5 },
      callId: "c1",
    }, { timeoutMs: 20_000 });
    assert.match(JSON.stringify(r.content), /completed/i);
    const sampledR = await mcp.call("callTool", {
      name: "everything__trigger-sampling-request",
      arguments: { prompt: "hi", maxTokens: 5 },
    }, { timeoutMs: 20_000 });
    assert.match(JSON.stringify(sampledR.content), /from the host via RPC/);
    assert.equal(sampled.length, 1);
    // One pooled transport worker and one actor per server under the server supervisor.
    const ids = runtime.services().map((s) => s.id);
    assert.ok(ids.includes("mcp-manager"));
    assert.ok(ids.includes("mcp-servers"));
  } finally {
    await runtime.shutdown();
    await Deno.remove(env.HOME, { recursive: true }).catch(() => {});
  }
});
