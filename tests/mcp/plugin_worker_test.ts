import assert from "node:assert/strict";
import { startPlugin } from "../../lib/plugin/mod.ts";
import { createMcpHost } from "../../lib/mcp/host_wiring.ts";
import type { McpManagerInit } from "../../plugins/mcp_manager.ts";
import { EVERYTHING, until, within } from "./helpers.ts";

Deno.test("mcp-manager as a narrowed plugin worker (no permissions), transports spawned by the host", async () => {
  const sampled: unknown[] = [];
  const mcp = createMcpHost<McpManagerInit>({
    init: {
      servers: { everything: { command: "node", args: [EVERYTHING, "stdio"] } },
      startup_mode: "eager",
      roots: [{ uri: "file:///tmp", name: "tmp" }],
      ping_interval_ms: 0,
    },
    heartbeat: false,
    handlers: {
      sampling: (p) => {
        sampled.push(p);
        return Promise.resolve({
          role: "assistant",
          model: "stub",
          content: { type: "text", text: "from the host via RPC" },
        });
      },
    },
  });
  const spec = mcp.spec();
  assert.deepEqual(spec.permissions, {});
  const events: { name: string; data: unknown }[] = [];
  const manager = await within(startPlugin({ ...spec, heartbeat: false }), 30_000, "manager start");
  mcp.bind(manager);
  for (const e of ["server-state", "progress", "notifications"]) {
    manager.peer.on(e, (data) => events.push({ name: e, data }));
  }
  try {
    const call = manager.peer as unknown as {
      call(method: string, params: unknown, opts?: { timeoutMs?: number }): Promise<unknown>;
    };
    const servers = (await call.call("startServers", {}, { timeoutMs: 30_000 })) as {
      state: { status: string };
    }[];
    assert.equal(servers[0].state.status, "ready", "eager server ready when startServers resolves");
    assert.ok(events.some((e) => e.name === "server-state"));
    const { tools } = (await call.call("listTools", {})) as { tools: { name: string }[] };
    assert.ok(tools.some((t) => t.name === "everything__echo"));
    const r = (await call.call("callTool", {
      name: "everything__trigger-long-running-operation",
      arguments: { duration: 0.5, steps: 5 },
      callId: "c1",
    }, { timeoutMs: 20_000 })) as { content: unknown[] };
    assert.match(JSON.stringify(r.content), /completed/i);
    await until(() => events.some((e) => e.name === "progress"), 2_000, "progress event");
    const sampledR = (await call.call("callTool", {
      name: "everything__trigger-sampling-request",
      arguments: { prompt: "hi", maxTokens: 5 },
    }, { timeoutMs: 20_000 })) as { content: unknown[] };
    assert.match(JSON.stringify(sampledR.content), /from the host via RPC/);
    assert.equal(sampled.length, 1);
    assert.equal(mcp.transports.running().length, 1);
  } finally {
    await manager.stop();
    await mcp.transports.stopAll();
  }
});
