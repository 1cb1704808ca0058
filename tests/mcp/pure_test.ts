import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { LineSplitter, LineTooLongError, TailBuffer } from "../../lib/mcp/framing.ts";
import { ServerLifecycle, type ServerState } from "../../lib/mcp/lifecycle.ts";
import {
  NotificationHistory,
  ProgressCoalescer,
  type ProgressUpdate,
} from "../../lib/mcp/notifications.ts";
import { ResourceCache } from "../../lib/mcp/resource_cache.ts";
import { MODEL_TOOL_NAME_RE, namespaceTools } from "../../lib/mcp/tool_names.ts";
import { validateServerConfig } from "../../lib/mcp/server_check.ts";
import type { Clock } from "../../lib/util/clock.ts";

function fakeClock() {
  const clock = FakeTimers.createClock(0);
  const c: Clock = {
    now: () => clock.now,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms) as unknown as number,
    clearTimeout: (h) => clock.clearTimeout(h as unknown as FakeTimers.TimerId),
  };
  return { clock, c };
}

Deno.test("framing: lines split across chunks, CRLF, empty lines, UTF-8 split mid-character", async () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('{"a":'), []);
  assert.deepEqual(s.push('1}\r\n\n{"b":2}\n{"c"'), ['{"a":1}', '{"b":2}']);
  assert.equal(s.remainder, '{"c"');
  // "é" (0xC3 0xA9) and an emoji split across byte chunks, decoded by TextDecoderStream.
  const bytes = new TextEncoder().encode('{"t":"é😀"}\n');
  const chunks = [bytes.slice(0, 7), bytes.slice(7, 9), bytes.slice(9)];
  const stream = new ReadableStream<Uint8Array>({
    start(ctl) {
      for (const c of chunks) ctl.enqueue(c);
      ctl.close();
    },
  }).pipeThrough(new TextDecoderStream());
  const s2 = new LineSplitter();
  const lines: string[] = [];
  for await (const t of stream) lines.push(...s2.push(t));
  assert.deepEqual(lines.map((l) => JSON.parse(l).t), ["é😀"]);
});

Deno.test("framing: an oversized line is dropped with a typed error, the next line still parses", () => {
  const dropped: LineTooLongError[] = [];
  const s = new LineSplitter(10, { onDropped: (e) => dropped.push(e) });
  assert.deepEqual(s.push("x".repeat(11)), []);
  assert.deepEqual(s.push("xx\nok\n"), ["ok"]);
  assert.equal(dropped.length, 1);
  assert.ok(dropped[0] instanceof LineTooLongError);
  // A reply with an id, at either end, becomes an error reply for that request.
  const r = new LineSplitter(20, { server: "big" });
  const atEnd = r.push(`{"result":"${"y".repeat(40)}`).concat(
    r.push(`","jsonrpc":"2.0","id":7}\n`),
  );
  assert.equal(atEnd.length, 1);
  assert.equal(JSON.parse(atEnd[0]).id, 7);
  assert.match(JSON.parse(atEnd[0]).error.message, /^reply from big exceeded 20 characters/);
  const atStart = r.push(`{"jsonrpc":"2.0","id":"a\\"b","result":"${"y".repeat(40)}"}\n`);
  assert.equal(JSON.parse(atStart[0]).id, 'a"b');
  const t = new TailBuffer(10);
  t.write("line one\nline two\n");
  assert.equal(t.text().length, 10);
  assert.equal(t.lastLines(1), "line two");
});

Deno.test("lifecycle: backoff with jitter, n/N, failed after the limit, explicit connect resets", async () => {
  const { clock, c } = fakeClock();
  let fail = true;
  const states: ServerState[] = [];
  const life = new ServerLifecycle({
    name: "s",
    connect: () => fail ? Promise.reject(new Error("refused")) : Promise.resolve(),
    onState: (s) => states.push(s),
    reconnect: { max_attempts: 3, base_ms: 100, max_ms: 1000 },
    clock: c,
    random: () => 0.5,
  });
  await life.start();
  assert.deepEqual(life.state, {
    status: "reconnecting",
    attempt: 1,
    maxAttempts: 3,
    retryAt: 50,
    reason: "refused",
  });
  await clock.tickAsync(50);
  assert.equal(life.state.status, "reconnecting");
  assert.equal((life.state as { retryAt: number }).retryAt, 50 + 100); // full jitter: 0.5 × 200
  await clock.tickAsync(100);
  await clock.tickAsync(200);
  assert.deepEqual(life.state, {
    status: "failed",
    reason: "gave up after 3 reconnect attempts: refused",
    code: "MCP_RECONNECT_EXHAUSTED",
  });
  fail = false;
  await life.start();
  assert.equal(life.state.status, "ready");
  life.lost("process exited");
  assert.equal(life.state.status, "reconnecting");
  await clock.tickAsync(1000);
  assert.equal(life.state.status, "ready");
  assert.ok(states.some((s) => s.status === "connecting"));
});

Deno.test("lifecycle: a permanent error fails at once; disabled refuses; ensureReady waits for ready", async () => {
  const { clock, c } = fakeClock();
  const life = new ServerLifecycle({
    name: "s",
    connect: () =>
      Promise.reject(
        Object.assign(new Error("command not found: x"), { code: "MCP_COMMAND_NOT_FOUND" }),
      ),
    clock: c,
  });
  await life.start();
  assert.deepEqual(life.state, {
    status: "failed",
    reason: "command not found: x",
    code: "MCP_COMMAND_NOT_FOUND",
  });
  await assert.rejects(life.ensureReady(1000), /command not found: x/);
  life.disable();
  await assert.rejects(life.ensureReady(1000), /disabled/);

  let release!: () => void;
  const slow = new ServerLifecycle({
    name: "slow",
    connect: () => new Promise<void>((r) => (release = r)),
    clock: c,
  });
  const waiting = slow.ensureReady(5000);
  await clock.tickAsync(10);
  release();
  await waiting;
  assert.equal(slow.state.status, "ready");
  const never = new ServerLifecycle({
    name: "never",
    connect: () => new Promise<void>(() => {}),
    clock: c,
  });
  const timedOut = assert.rejects(never.ensureReady(1000), /not available \(connecting\)/);
  await clock.tickAsync(1001);
  await timedOut;
});

Deno.test("notifications: bounded ring, categories, filters", () => {
  const { c } = fakeClock();
  const h = new NotificationHistory({ size: 3, clock: c, categories: { tools: false } });
  h.record("a", "notifications/message", { level: "info", data: "one" });
  h.record("a", "notifications/tools/list_changed", {});
  h.record("b", "notifications/resources/updated", { uri: "x://1" });
  h.record("a", "notifications/message", { level: "error", data: "two" });
  h.record("a", "notifications/message", { level: "error", data: "three" });
  assert.equal(h.query().length, 3);
  assert.deepEqual(h.query({ server: "a" }).map((r) => r.params.data), ["two", "three"]);
  assert.equal(h.query({ text: "x://1" }).length, 1);
  assert.equal(h.stats().seen.tools, 1);
  assert.equal(h.stats().overwritten, 1);
});

Deno.test("progress: 1,000 updates in a second become a handful of events, latest value wins", async () => {
  const { clock, c } = fakeClock();
  const out: ProgressUpdate[] = [];
  const co = new ProgressCoalescer((u) => out.push(u), { intervalMs: 100, clock: c });
  for (let i = 1; i <= 1000; i++) {
    co.push({ server: "s", progressToken: "t", progress: i, total: 1000 });
    await clock.tickAsync(1);
  }
  co.done("s", "t");
  assert.ok(out.length <= 12, `${out.length} events`);
  assert.equal(out.at(-1)!.progress, 1000);
  assert.equal(out.reduce((n, u) => n + u.coalesced, 0), 1000);
});

Deno.test("resource cache: LRU by count and bytes, invalidation, stats", () => {
  const cache = new ResourceCache({ max_entries: 2, max_bytes: 100 });
  const r = (text: string) => ({ contents: [{ uri: "u", text }] });
  cache.set("s", "a", r("aa"));
  cache.set("s", "b", r("bb"));
  assert.ok(cache.get("s", "a"));
  cache.set("s", "c", r("cc")); // evicts b (least recently used)
  assert.equal(cache.get("s", "b"), undefined);
  cache.set("s", "big", r("x".repeat(200))); // over the byte limit: not cached
  assert.equal(cache.has("s", "big"), false);
  assert.equal(cache.invalidate("s", "a"), true);
  cache.set("t", "z", r("z"));
  assert.equal(cache.invalidateServer("s"), 1);
  const st = cache.stats();
  assert.equal(st.hits, 1);
  assert.equal(st.misses, 1);
  assert.equal(st.evictions, 1);
  assert.equal(st.invalidations, 2);
  assert.equal(st.entries, 1);
});

Deno.test("tool names: sanitized, ≤ 64 chars, collisions resolved deterministically, reversible", () => {
  const refs = [
    { server: "fs", tool: "read.file" },
    { server: "fs", tool: "read_file" },
    { server: "my server", tool: "x".repeat(80) },
    { server: "a__b", tool: "c" },
    { server: "a", tool: "b__c" },
  ];
  const one = namespaceTools(refs);
  const two = namespaceTools([...refs].reverse());
  assert.deepEqual([...one.toModel.entries()].sort(), [...two.toModel.entries()].sort());
  for (const name of one.fromModel.keys()) assert.match(name, MODEL_TOOL_NAME_RE);
  assert.equal(one.toModel.get("fs\u0000read_file"), "fs__read_file"); // exact name keeps it
  assert.notEqual(one.toModel.get("fs\u0000read.file"), "fs__read_file");
  assert.equal(new Set(one.toModel.values()).size, refs.length);
  for (const [name, ref] of one.fromModel) {
    assert.equal(one.toModel.get(`${ref.server}\u0000${ref.tool}`), name);
  }
});

Deno.test("config: clear errors for bad server entries; mcpServers shapes accepted", () => {
  assert.throws(
    () => validateServerConfig("x", { args: [] }),
    /mcp.servers.x: expected "command" \(a stdio server\) or "url"/,
  );
  assert.throws(
    () => validateServerConfig("x", { type: "http", url: "nope" }),
    /url: expected an http:\/\/ or https:\/\/ URL/,
  );
  assert.throws(
    () => validateServerConfig("x", { command: "a", startup_mode: "soon" }),
    /startup_mode/,
  );
  assert.throws(() => validateServerConfig("bad name!", { command: "a" }), /server name/);
  assert.equal(validateServerConfig("x", { url: "https://h/mcp" }).type, "http");
  assert.equal(validateServerConfig("x", { type: "sse", url: "https://h/sse" }).type, "sse");
});

Deno.test("roots from config paths: relative, ~, .., duplicates, default cwd, encoded", async () => {
  const { rootsFromPaths } = await import("../../lib/mcp/config.ts");
  assert.deepEqual(rootsFromPaths(undefined, "/home/ada/proj"), [{
    uri: "file:///home/ada/proj",
    name: "proj",
  }]);
  assert.deepEqual(
    rootsFromPaths([".", "./", "../notes", "~/my docs", "/abs"], "/home/ada/proj", "/home/ada"),
    [
      { uri: "file:///home/ada/proj", name: "proj" },
      { uri: "file:///home/ada/notes", name: "notes" },
      { uri: "file:///home/ada/my%20docs", name: "my docs" },
      { uri: "file:///abs", name: "abs" },
    ],
  );
});

Deno.test("lifecycle: stop during a connect attempt aborts it and never reports ready", async () => {
  const { c } = fakeClock();
  let signal!: AbortSignal;
  let finish!: () => void;
  const life = new ServerLifecycle({
    name: "s",
    connect: (_n, s) => {
      signal = s;
      return new Promise<void>((r) => (finish = r));
    },
    clock: c,
  });
  const attempt = life.start();
  life.stop();
  assert.equal(signal.aborted, true);
  finish();
  await attempt;
  assert.equal(life.state.status, "idle");
});

Deno.test("notification events: a burst of 1,000 log lines becomes about ten UI events, nothing silently lost", async () => {
  const { NotificationBatcher } = await import("../../lib/mcp/notifications.ts");
  const { clock, c } = fakeClock();
  const batches: { records: unknown[]; omitted: number }[] = [];
  const b = new NotificationBatcher((x) => batches.push(x), {
    intervalMs: 100,
    maxPerBatch: 50,
    clock: c,
  });
  for (let i = 1; i <= 1000; i++) {
    b.push({
      seq: i,
      at: clock.now,
      server: "s",
      method: "notifications/message",
      category: "logging",
      params: {},
    });
    await clock.tickAsync(1);
  }
  b.flush();
  assert.ok(batches.length <= 12, `${batches.length} events`);
  assert.equal(batches.reduce((n, x) => n + x.records.length + x.omitted, 0), 1000);
  assert.ok(batches.every((x) => x.records.length <= 50));
});
