import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startHttpServer } from "../../lib/serve/http_server.ts";
import { createServeApp, ServeHub } from "../../lib/serve/app.ts";
import type { ServeBackend, SessionSummary } from "../../lib/serve/backend.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";
import { httpClient } from "./_helpers.ts";

/** An in-memory backend: the HTTP layer is what is under test here. */
function memoryBackend(): ServeBackend {
  const sessions: SessionSummary[] = [];
  return {
    chat: () => Promise.reject(new Error("no model in this test")),
    newSession: () => {
      const s = {
        id: `s${sessions.length}`,
        title: "",
        createdAt: 0,
        lastActive: 0,
        messageCount: 0,
      };
      sessions.push(s);
      return Promise.resolve(s);
    },
    listSessions: () => Promise.resolve({ sessions, cursor: null }),
    getHistory: () => Promise.reject(new Error("not here")),
    clearHistory: (p) => Promise.resolve({ sessionId: p.sessionId }),
    checkBackend: (p) => Promise.resolve({ backend: p.backend, configured: true }),
    backends: () => Promise.resolve([]),
    listServers: () => Promise.resolve([]),
  };
}

Deno.test("http server: a session left idle is closed, and its id then answers 404", async () => {
  const clock = fakeClock();
  const hub = new ServeHub();
  const backend = memoryBackend();
  const handle = await startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1 << 20,
    rateLimitPerSecond: 0,
    idleMs: 1_000,
    clock,
    createServer: () => createServeApp({ backend, hub, version: "test" }),
  });
  try {
    const client = await httpClient(handle.url);
    const sessionId = client.transport?.sessionId;
    assert.ok(sessionId);
    assert.equal(handle.sessions(), 1);
    assert.equal(hub.size, 1);
    await clock.tick(500);
    await client.listTools(); // activity keeps it
    await clock.tick(1_200);
    assert.equal(handle.sessions(), 1);
    await clock.tick(2_100);
    assert.equal(handle.sessions(), 0);
    assert.equal(hub.size, 0, "its server instance is gone too");
    const late = await fetch(handle.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 5, method: "tools/list" }),
    });
    assert.equal(late.status, 404);
    await late.body?.cancel();
    await client.close().catch(() => {});
  } finally {
    await handle.shutdown();
  }
});

Deno.test("http server: DELETE ends a session at once", async () => {
  const hub = new ServeHub();
  const handle = await startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1 << 20,
    rateLimitPerSecond: 0,
    createServer: () => createServeApp({ backend: memoryBackend(), hub, version: "test" }),
  });
  try {
    const client = await httpClient(handle.url);
    assert.equal(handle.sessions(), 1);
    assert.ok(client.transport instanceof StreamableHTTPClientTransport);
    await client.transport.terminateSession();
    assert.equal(handle.sessions(), 0);
    assert.equal(hub.size, 0);
    await client.close();
  } finally {
    await handle.shutdown();
  }
});

Deno.test("http server: a legacy SSE client's message that is not valid JSON-RPC gets a 400 instead of no answer, and the session serves on", async () => {
  const hub = new ServeHub();
  const handle = await startHttpServer({
    hostname: "127.0.0.1",
    port: 0,
    maxBodyBytes: 1 << 20,
    rateLimitPerSecond: 0,
    createServer: () => createServeApp({ backend: memoryBackend(), hub, version: "test" }),
  });
  const stream = await fetch(handle.url.replace(/\/mcp$/, "/sse"), {
    headers: { accept: "text/event-stream" },
  });
  const events = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
  let received = "";
  /** Reads the stream until `pattern` shows up in it. */
  const until = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    for (;;) {
      const found = received.match(pattern);
      if (found) return found;
      const { value, done } = await events.read();
      if (done) throw new Error(`stream ended before ${pattern}: ${received}`);
      received += value;
    }
  };
  try {
    const endpoint = new URL((await until(/event: endpoint\ndata: (\S+)\n/))[1], handle.url);
    const post = (body: unknown) =>
      fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    // An id is a string or a number, a result an object: the guard passes the shape, not these.
    const bad = [
      { jsonrpc: "2.0", id: { n: 1 }, method: "ping" },
      [{ jsonrpc: "2.0", id: 7, result: "pong" }],
    ];
    for (const message of bad) {
      const refused = await post(message);
      assert.equal(refused.status, 400, JSON.stringify(message));
      const body = await refused.json();
      assert.equal(body.error.code, -32600);
      assert.match(body.error.message, /not a valid JSON-RPC 2\.0 message/);
    }
    const accepted = await post({ jsonrpc: "2.0", id: 8, method: "ping" });
    assert.equal(accepted.status, 202);
    await accepted.body?.cancel();
    await until(/event: message\ndata: \{"result":\{\},"jsonrpc":"2\.0","id":8\}/);
  } finally {
    await events.cancel();
    await handle.shutdown();
  }
});
