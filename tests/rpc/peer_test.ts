import assert from "node:assert/strict";
import {
  MethodNotFoundError,
  PeerClosedError,
  RemoteError,
  RpcCancelledError,
  RpcPeer,
  RpcTimeoutError,
} from "../../lib/rpc/mod.ts";
import type { CallContext } from "../../lib/rpc/mod.ts";
import { fakeClock, flush } from "../_helpers/fake_clock.ts";

interface Surface {
  add(p: { a: number; b: number }): number;
  fail(p: { why: string }): never;
  slow(p: { ms: number }, ctx: CallContext): Promise<string>;
  tokens(p: { n: number }, ctx: CallContext): AsyncGenerator<string>;
  forever(p: Record<string, never>, ctx: CallContext): Promise<never>;
}

function pair(clock = fakeClock()) {
  const { port1, port2 } = new MessageChannel();
  const log: string[] = [];
  const handlers: Surface = {
    add: ({ a, b }) => a + b,
    fail: ({ why }) => {
      const error = new Error(why) as Error & { code: string; file: string };
      error.name = "ConfigError";
      error.code = "CONFIG_SYNTAX";
      error.file = "config.toml";
      throw error;
    },
    slow: ({ ms }, ctx) =>
      new Promise((resolve, reject) => {
        const t = setTimeout(() => resolve("done"), ms);
        ctx.signal.addEventListener("abort", () => {
          clearTimeout(t);
          log.push("slow aborted");
          reject(ctx.signal.reason);
        });
      }),
    async *tokens({ n }, ctx) {
      try {
        for (let i = 0; i < n; i++) {
          await new Promise((r) => setTimeout(r, 1));
          yield `t${i}`;
        }
      } finally {
        log.push(ctx.signal.aborted ? "tokens aborted" : "tokens finished");
      }
    },
    forever: (_p, ctx) =>
      new Promise((_, reject) => {
        ctx.signal.addEventListener("abort", () => {
          log.push("forever aborted");
          reject(ctx.signal.reason);
        });
      }),
  };
  const server = new RpcPeer(port1, { name: "client", handlers });
  const client = new RpcPeer<Surface>(port2, { name: "server", clock, defaultTimeoutMs: 1_000 });
  const close = () => {
    client.close("test end");
    server.close("test end");
    port1.close();
    port2.close();
  };
  return { client, server, log, clock, close };
}

Deno.test("request/response with typed params and results", async () => {
  const { client, close } = pair();
  const results = await Promise.all([1, 2, 3].map((a) => client.call("add", { a, b: 10 })));
  assert.deepEqual(results, [11, 12, 13]);
  assert.equal(client.pendingCount, 0);
  close();
});

Deno.test("a remote error keeps its name, code and data across the boundary", async () => {
  const { client, close } = pair();
  await assert.rejects(() => client.call("fail", { why: "line 3: bad" }), (e: unknown) => {
    assert.ok(e instanceof RemoteError);
    assert.equal(e.remoteName, "ConfigError");
    assert.equal(e.code, "CONFIG_SYNTAX");
    assert.equal(e.message, "line 3: bad");
    assert.deepEqual(e.data, { file: "config.toml" });
    return true;
  });
  close();
});

Deno.test("an unknown method fails with METHOD_NOT_FOUND", async () => {
  const { client, close } = pair();
  const untyped = client as unknown as RpcPeer<{ nope: (p: null) => void }>;
  await assert.rejects(() => untyped.call("nope", null), (e: unknown) => {
    assert.ok(e instanceof RemoteError);
    assert.equal(e.code, new MethodNotFoundError("x", "nope").code);
    return true;
  });
  close();
});

Deno.test("a call times out with a clear error and the remote handler is cancelled", async () => {
  const { client, log, clock, close } = pair();
  const call = client.call("forever", {}, { timeoutMs: 500 });
  const outcome = assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof RpcTimeoutError);
    assert.match(e.message, /server: call "forever" timed out after 500 ms/);
    return true;
  });
  await flush();
  await clock.tick(500);
  await outcome;
  await flush();
  assert.deepEqual(log, ["forever aborted"]);
  assert.equal(client.pendingCount, 0);
  close();
});

Deno.test("aborting the caller's signal cancels the call on both sides", async () => {
  const { client, log, close } = pair();
  const controller = new AbortController();
  const call = client.call("slow", { ms: 10_000 }, { signal: controller.signal });
  await flush();
  controller.abort(new Error("user pressed Ctrl-C"));
  await assert.rejects(call, RpcCancelledError);
  await flush();
  assert.deepEqual(log, ["slow aborted"]);
  close();
});

Deno.test("an already aborted signal fails without sending", async () => {
  const { client, log, close } = pair();
  await assert.rejects(
    () => client.call("slow", { ms: 1 }, { signal: AbortSignal.abort() }),
    RpcCancelledError,
  );
  assert.deepEqual(log, []);
  close();
});

Deno.test("streamed results arrive in order and finish", async () => {
  const { client, log, close } = pair();
  const chunks: string[] = [];
  for await (const chunk of client.stream("tokens", { n: 5 })) chunks.push(chunk);
  assert.deepEqual(chunks, ["t0", "t1", "t2", "t3", "t4"]);
  await flush();
  assert.deepEqual(log, ["tokens finished"]);
  close();
});

Deno.test("breaking out of a stream cancels the remote generator", async () => {
  const { client, log, close } = pair();
  const chunks: string[] = [];
  for await (const chunk of client.stream("tokens", { n: 1_000 })) {
    chunks.push(chunk);
    if (chunks.length === 3) break;
  }
  await flush(20);
  assert.deepEqual(chunks, ["t0", "t1", "t2"]);
  assert.deepEqual(log, ["tokens aborted"]);
  close();
});

Deno.test("aborting a stream mid-way rejects the consumer and stops the producer", async () => {
  const { client, log, close } = pair();
  const controller = new AbortController();
  const chunks: string[] = [];
  await assert.rejects(async () => {
    for await (
      const chunk of client.stream("tokens", { n: 1_000 }, { signal: controller.signal })
    ) {
      chunks.push(chunk);
      if (chunks.length === 2) controller.abort();
    }
  }, RpcCancelledError);
  await flush(20);
  assert.deepEqual(log, ["tokens aborted"]);
  close();
});

Deno.test("closing a peer fails pending calls with PeerClosedError and later calls at once", async () => {
  const { client, close } = pair();
  const pending = client.call("slow", { ms: 10_000 });
  await flush();
  client.close("worker crashed: boom");
  await assert.rejects(pending, (e: unknown) => {
    assert.ok(e instanceof PeerClosedError);
    assert.match(e.message, /server is not available: worker crashed: boom/);
    return true;
  });
  await assert.rejects(() => client.call("add", { a: 1, b: 1 }), PeerClosedError);
  close();
});

Deno.test("events flow both ways and a faulty listener does not break the channel", async () => {
  const { client, server, close } = pair();
  const seen: unknown[] = [];
  const off = client.on("progress", (data) => seen.push(data));
  server.emit("progress", { done: 1 });
  server.emit("progress", { done: 2 });
  await flush();
  off();
  server.emit("progress", { done: 3 });
  await flush();
  assert.deepEqual(seen, [{ done: 1 }, { done: 2 }]);
  close();
});

Deno.test("unsendable params are reported as the caller's error", async () => {
  const { client, close } = pair();
  const bad = { a: 1, b: () => 2 } as unknown as { a: number; b: number };
  await assert.rejects(() => client.call("add", bad), /cannot send "add"/);
  assert.equal(client.pendingCount, 0);
  close();
});
