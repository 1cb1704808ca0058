import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { WorkerBridgeTransport } from "../../lib/mcp/bridge_transport.ts";
import type { FromTransport, ToTransport } from "../../lib/mcp/port_protocol.ts";
import { MessageBatcher } from "../../lib/mcp/transport_relay.ts";
import { within } from "./helpers.ts";

/** A fake transport worker on the other end of a MessageChannel: a tiny scripted server. */
function fakeServer(
  port: MessagePort,
  onRequest: (
    req: { id: number; method: string },
    post: (m: FromTransport) => void,
    s: number,
  ) => void,
) {
  port.onmessage = (e: MessageEvent<ToTransport>) => {
    const msg = e.data;
    const post = (m: FromTransport) => port.postMessage(m);
    if (msg.t === "start") post({ t: "started", s: msg.s, pid: 4242 });
    if (msg.t === "close") post({ t: "closed", s: msg.s, reason: "stopped", code: "MCP_STOPPED" });
    if (msg.t !== "send") return;
    const req = JSON.parse(msg.m);
    if (req.method === "initialize") {
      post({
        t: "message",
        s: msg.s,
        m: JSON.stringify({
          jsonrpc: "2.0",
          id: req.id,
          result: {
            protocolVersion: "2025-11-25",
            capabilities: { tools: {} },
            serverInfo: { name: "fake", version: "1" },
          },
        }),
      });
    } else if (req.id !== undefined) onRequest(req, post, msg.s);
  };
}

Deno.test("bridge: progress batched with the response is delivered before the result", async () => {
  const { port1, port2 } = new MessageChannel();
  fakeServer(port2, (req, post, s) => {
    const token = (req as unknown as { params: { _meta: { progressToken: number } } }).params._meta
      .progressToken;
    const note = (n: number) =>
      JSON.stringify({
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: token, progress: n },
      });
    post({
      t: "batch",
      s,
      m: [
        note(1),
        note(2),
        JSON.stringify({ jsonrpc: "2.0", id: req.id, result: { content: [] } }),
      ],
    });
  });
  const transport = new WorkerBridgeTransport(port1, { server: "fake", session: 1 });
  const client = new Client({ name: "t", version: "1" });
  await within(client.connect(transport), 5_000, "connect");
  assert.equal(transport.pid, 4242);
  const seen: number[] = [];
  await within(
    client.callTool({ name: "x", arguments: {} }, undefined, {
      onprogress: (p: { progress: number }) => seen.push(p.progress),
    }),
    5_000,
    "call",
  );
  assert.deepEqual(seen, [1, 2]);
  await client.close();
  port1.close();
  port2.close();
});

Deno.test("bridge: malformed lines are reported and skipped; a failed send fails its request at once", async () => {
  const { port1, port2 } = new MessageChannel();
  fakeServer(port2, (req, post, s) => {
    post({ t: "message", s, m: "this is not json" });
    post({ t: "error", s, message: "broken pipe", code: "MCP_SEND", id: req.id });
  });
  const errors: string[] = [];
  const transport = new WorkerBridgeTransport(port1, { server: "fake", session: 7 });
  const client = new Client({ name: "t", version: "1" });
  client.onerror = (e: Error) => errors.push(e.message);
  await within(client.connect(transport), 5_000, "connect");
  await assert.rejects(
    within(client.listTools(), 5_000, "listTools"),
    /could not send to the server: broken pipe/,
  );
  assert.ok(
    errors.some((e) => /malformed message from the server: this is not json/.test(e)),
    errors.join("\n"),
  );
  await client.close();
  port1.close();
  port2.close();
});

Deno.test("bridge: a transport that closes during start rejects connect with the worker's reason", async () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = (e: MessageEvent<ToTransport>) => {
    if (e.data.t === "start") {
      port2.postMessage(
        {
          t: "closed",
          s: e.data.s,
          reason: "command not found: nope (check mcp.servers.x.command)",
          code: "MCP_COMMAND_NOT_FOUND",
        } satisfies FromTransport,
      );
    }
  };
  const transport = new WorkerBridgeTransport(port1, { server: "x", session: 3 });
  await assert.rejects(
    within(new Client({ name: "t", version: "1" }).connect(transport), 5_000, "connect"),
    (e: Error & { transportCode?: string }) =>
      e.transportCode === "MCP_COMMAND_NOT_FOUND" && /command not found: nope/.test(e.message),
  );
  port1.close();
  port2.close();
});

Deno.test("batcher: responses are never delayed; notification bursts are batched in order", () => {
  const sent: FromTransport[] = [];
  const b = new MessageBatcher((m) => sent.push(m), 1, 1000, 2);
  const note = (n: number) =>
    JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progress: n } });
  b.push(note(1)); // first: immediate
  b.push(note(2)); // one close notification: under the threshold of 2, immediate
  b.push(note(3));
  b.push(note(4)); // queued
  b.push(JSON.stringify({ jsonrpc: "2.0", id: 5, result: {} })); // flushes, then immediate
  assert.deepEqual(sent.map((m) => m.t), ["message", "message", "batch", "message"]);
  assert.equal((sent[2] as { m: string[] }).m.length, 2);
  b.push({ jsonrpc: "2.0", id: 6, method: "sampling/createMessage" }); // a request object: immediate
  assert.equal(sent.length, 5);
  // Sparse notifications never start a timer.
  const quiet: FromTransport[] = [];
  const q = new MessageBatcher((m) => quiet.push(m), 1, 0);
  for (let i = 0; i < 100; i++) q.push(note(i));
  assert.equal(quiet.length, 100);
});

Deno.test("pagination: every page of tools/list, with a connection over the bridge", async () => {
  const { ServerConnection } = await import("../../lib/mcp/connection.ts");
  const { port1, port2 } = new MessageChannel();
  const pages: Record<
    string,
    { tools: { name: string; inputSchema: { type: "object" } }[]; nextCursor?: string }
  > = {
    "": { tools: [{ name: "a", inputSchema: { type: "object" } }], nextCursor: "p2" },
    p2: { tools: [{ name: "b", inputSchema: { type: "object" } }], nextCursor: "p3" },
    p3: { tools: [{ name: "c", inputSchema: { type: "object" } }] },
  };
  const cursors: string[] = [];
  fakeServer(port2, (req, post, s) => {
    const cursor = (req as unknown as { params?: { cursor?: string } }).params?.cursor ?? "";
    cursors.push(cursor);
    post({
      t: "message",
      s,
      m: JSON.stringify({ jsonrpc: "2.0", id: req.id, result: pages[cursor] }),
    });
  });
  const conn = new ServerConnection({
    name: "paged",
    config: { type: "stdio", command: "unused", args: [], env: {}, enabled: true },
    ports: {
      acquire: () => Promise.resolve(port1),
      invalidate: () => {},
      release: () => Promise.resolve(),
    },
    events: {
      state: () => {},
      notification: () => {},
      toolsChanged: () => {},
      promptsChanged: () => {},
      resourcesChanged: () => {},
      resourceUpdated: () => {},
      connected: () => {},
    },
    roots: () => [],
    pingIntervalMs: 0,
  });
  try {
    await within(conn.connect(), 5_000, "connect");
    const tools = await within(conn.listTools(), 5_000, "listTools");
    assert.deepEqual(tools.map((t) => t.name), ["a", "b", "c"]);
    assert.deepEqual(cursors, ["", "p2", "p3"]);
    assert.equal(conn.info().toolCount, 3);
  } finally {
    await conn.close();
    port1.close();
    port2.close();
  }
});
