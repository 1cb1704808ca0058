import assert from "node:assert/strict";
import {
  BodyTooLargeError,
  checkBearer,
  isLoopback,
  OriginPolicy,
  parseJsonRpc,
  RateLimiter,
  readBodyCapped,
} from "../../lib/serve/guard.ts";
import { publicMessage } from "../../lib/serve/public_error.ts";
import { LineTransport } from "../../lib/serve/stdio_transport.ts";
import { MemoryEventStore } from "../../lib/serve/event_store.ts";
import { mcpServePermissions } from "../../plugins/manifest.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";

Deno.test("isLoopback: this machine's names only", () => {
  for (const name of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "LOCALHOST"]) {
    assert.ok(isLoopback(name), name);
  }
  for (const name of ["0.0.0.0", "192.168.1.2", "example.com", "localhost.evil.com", "::"]) {
    assert.ok(!isLoopback(name), name);
  }
});

Deno.test("OriginPolicy: loopback bind wants a loopback Host and a same-machine or listed Origin", () => {
  const policy = new OriginPolicy({
    hostname: "127.0.0.1",
    port: 8931,
    allowedOrigins: ["https://ide.example/"],
  });
  assert.equal(policy.check("127.0.0.1:8931", undefined), undefined);
  assert.equal(policy.check("localhost:8931", "http://localhost:8931"), undefined);
  assert.equal(policy.check("[::1]:8931", "http://[::1]:8931"), undefined);
  assert.equal(policy.check("127.0.0.1:8931", "https://ide.example"), undefined);
  assert.equal(policy.check("evil.example.com", undefined)?.status, 403);
  assert.equal(policy.check("127.0.0.1:8931", "http://evil.example.com")?.status, 403);
  assert.equal(policy.check("127.0.0.1:8931", "http://localhost:9999")?.status, 403);
  assert.equal(policy.check("127.0.0.1:8931", "null")?.status, 403);
  // Off loopback the token guards; any Host passes, a foreign Origin still does not.
  const wide = new OriginPolicy({ hostname: "0.0.0.0", port: 8931 });
  assert.equal(wide.check("my-box.lan:8931", undefined), undefined);
  assert.equal(wide.check("my-box.lan:8931", "http://evil.example.com")?.status, 403);
});

Deno.test("checkBearer: exact token only, nothing required when none is set", () => {
  assert.equal(checkBearer(null, undefined), undefined);
  assert.equal(checkBearer("Bearer abc", "abc"), undefined);
  assert.equal(checkBearer("bearer abc", "abc"), undefined);
  for (const header of [null, "", "Bearer", "Bearer ab", "Bearer abcd", "Basic abc", "abc"]) {
    const refusal = checkBearer(header, "abc");
    assert.equal(refusal?.status, 401, String(header));
    assert.match(refusal!.headers!["www-authenticate"], /^Bearer/);
  }
});

Deno.test("readBodyCapped: a declared or streamed body over the cap is refused", async () => {
  const small = new Request("http://x/", { method: "POST", body: "hello" });
  assert.equal(await readBodyCapped(small, 5), "hello");
  const declared = new Request("http://x/", {
    method: "POST",
    body: "x",
    headers: { "content-length": "999999" },
  });
  await assert.rejects(readBodyCapped(declared, 10), BodyTooLargeError);
  const streamed = new Request("http://x/", {
    method: "POST",
    body: ReadableStream.from([new Uint8Array(8), new Uint8Array(8)]),
  });
  await assert.rejects(readBodyCapped(streamed, 10), BodyTooLargeError);
});

Deno.test("parseJsonRpc: JSON-RPC 2.0 messages and batches pass, the rest is named", () => {
  assert.equal(parseJsonRpc("").ok, false);
  const bad = parseJsonRpc("{");
  assert.ok(!bad.ok && bad.refusal.code === -32700);
  for (const text of ["42", "null", "[]", '{"id":1}', '{"jsonrpc":"1.0","method":"x"}', "[1]"]) {
    const r = parseJsonRpc(text);
    assert.ok(!r.ok && r.refusal.code === -32600, text);
  }
  const one = parseJsonRpc('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  assert.ok(one.ok && !one.batch && one.messages.length === 1);
  const batch = parseJsonRpc(
    '[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","id":1,"result":{}}]',
  );
  assert.ok(batch.ok && batch.batch && batch.messages.length === 2);
});

Deno.test("RateLimiter: a burst, then the sustained rate per client; clients are independent", async () => {
  const clock = fakeClock();
  const limiter = new RateLimiter({ perSecond: 2, burst: 3, clock });
  for (let i = 0; i < 3; i++) assert.equal(limiter.take("a"), undefined);
  const refusal = limiter.take("a");
  assert.equal(refusal?.status, 429);
  assert.equal(refusal?.headers?.["retry-after"], "1");
  assert.equal(limiter.take("b"), undefined, "another client is not affected");
  await clock.tick(500); // one token back at 2/s
  assert.equal(limiter.take("a"), undefined);
  assert.equal(limiter.take("a")?.status, 429);
  const off = new RateLimiter({ perSecond: 0, clock });
  for (let i = 0; i < 1000; i++) assert.equal(off.take("a"), undefined);
});

Deno.test("publicMessage: first line, no paths, no secrets", () => {
  const error = new Error(
    "cannot read /home/ada/.config/mcpchat/config.toml: key sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123\n    at foo (file:///src/x.ts:1:1)",
  );
  const text = publicMessage(error, ["my-token"]);
  assert.equal(text.includes("\n"), false);
  assert.doesNotMatch(text, /\/home\/ada|sk-ant|file:/);
  assert.match(text, /cannot read <path>: key <redacted>/);
  assert.equal(
    publicMessage(new Error("token my-token refused"), ["my-token"]),
    "token <redacted> refused",
  );
  assert.equal(publicMessage('no backend named "x"'), 'no backend named "x"');
  assert.equal(publicMessage("serve on /mcp"), "serve on /mcp");
});

Deno.test("LineTransport: messages in order, errors for bad lines, oversized lines refused", async () => {
  const enc = new TextEncoder();
  const input = ReadableStream.from([
    enc.encode('{"jsonrpc":"2.0","id":1,"method":"ping"}\n{"jsonrpc":"2.0",'),
    enc.encode('"method":"notifications/initialized"}\n\nnot json\n'),
    enc.encode(`${"x".repeat(100)}\n`),
    enc.encode('{"jsonrpc":"2.0","id":2,"method":"ping"}'),
  ]);
  const written: unknown[] = [];
  const received: unknown[] = [];
  const transport = new LineTransport({
    input,
    maxLineBytes: 64,
    write: (bytes) => {
      written.push(JSON.parse(new TextDecoder().decode(bytes)));
      return Promise.resolve();
    },
  });
  transport.onmessage = (m) => void received.push(m);
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await transport.start();
  await closed;
  assert.deepEqual(received.map((m) => (m as { method: string }).method), [
    "ping",
    "notifications/initialized",
    "ping",
  ]);
  assert.deepEqual(written.map((m) => (m as { error: { code: number } }).error.code), [
    -32700,
    -32600,
  ]);
  await assert.rejects(transport.send({ jsonrpc: "2.0", id: 3, result: {} }), /closed/);
});

Deno.test("MemoryEventStore: replays a stream's events after the given id, bounded", async () => {
  const store = new MemoryEventStore(3);
  const a1 = await store.storeEvent("a", { jsonrpc: "2.0", method: "a1" });
  await store.storeEvent("b", { jsonrpc: "2.0", method: "b1" });
  await store.storeEvent("a", { jsonrpc: "2.0", method: "a2" });
  await store.storeEvent("a", { jsonrpc: "2.0", method: "a3" });
  const seen: string[] = [];
  const stream = await store.replayEventsAfter(a1, {
    send: (_id, m) => {
      seen.push((m as { method: string }).method);
      return Promise.resolve();
    },
  });
  assert.equal(stream, "a");
  assert.deepEqual(seen, ["a2", "a3"]);
  assert.equal(await store.getStreamIdForEventId(a1), "a");
});

Deno.test("mcp-serve permissions: net for exactly its address over HTTP, nothing over stdio", () => {
  assert.deepEqual(mcpServePermissions({ transport: "stdio", hostname: "127.0.0.1", port: 1 }), {});
  assert.deepEqual(
    mcpServePermissions({ transport: "http", hostname: "127.0.0.1", port: 8931 }),
    { net: ["127.0.0.1:8931"] },
  );
  assert.deepEqual(
    mcpServePermissions({ transport: "http", hostname: "::1", port: 0 }),
    { net: ["[::1]"] },
  );
});

Deno.test("help serve names the variable the config loader reads the token from", async () => {
  const { MCPCHAT_ENV_SETTINGS } = await import("../../lib/config/env_keys.ts");
  const { helpText } = await import("../../lib/cli/help.ts");
  const { TOKEN_VARIABLE } = await import("../../lib/cli/commands/serve.ts");
  const entry = (MCPCHAT_ENV_SETTINGS as Record<string, { path: readonly string[] }>)[
    TOKEN_VARIABLE
  ];
  assert.deepEqual(entry?.path, ["mcp_server", "token"]);
  assert.ok(helpText("serve").includes(TOKEN_VARIABLE));
});
