/** Overall timeout, retry exhaustion, breaker events and half-open behaviour across calls. */
import assert from "node:assert/strict";
import { LlmClient } from "../../lib/llm/client.ts";
import type { LlmConfig } from "../../lib/llm/config.ts";
import { LlmServerError, LlmTimeoutError } from "../../lib/llm/errors.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";
import { fakeClock, flush } from "../_helpers/fake_clock.ts";
import { SPECS } from "../fixtures/llm/backends.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";

const spec = SPECS.find((s) => s.kind === "openai")!;
const ASK = [{ role: "user" as const, content: "hi" }];

async function setup(extra: Partial<LlmConfig>) {
  const server = await FakeProvider.start(spec.contentType);
  const clock = fakeClock();
  const changes: string[] = [];
  const llm = new LlmClient({
    config: {
      default: spec.backend,
      backends: { [spec.backend]: spec.config(server.url) },
      ...extra,
    },
    env: (n) => spec.env[n],
    clock,
    random: () => 0,
    onBreakerChange: (b, s, p) => changes.push(`${b}:${p}->${s}`),
  });
  return { server, clock, llm, changes };
}

/**
 * Drives one call on the fake clock (a second per step) until it ends; resolves
 * with the error it failed with and the events it yielded.
 */
async function failingCall(
  llm: Awaited<ReturnType<typeof setup>>["llm"],
  clock: Awaited<ReturnType<typeof setup>>["clock"],
): Promise<{ error: unknown; events: LlmEvent[] }> {
  const events: LlmEvent[] = [];
  const it = llm.chat({ messages: ASK });
  try {
    while (true) {
      const pending = it.next();
      await flush();
      await clock.tick(1_000);
      const r = await pending;
      if (r.done) assert.fail("should fail");
      events.push(r.value);
    }
  } catch (error) {
    return { error, events };
  }
}

Deno.test("overall timeout (10 s) fires before the idle timeout (60 s) and drops the stream", async () => {
  const { server, clock, llm } = await setup({ timeout_seconds: 10, idle_timeout_seconds: 60 });
  try {
    server.reply({ chunks: spec.chunks({ text: ["slow"] }), hangAfter: 1 });
    const seen: LlmEvent[] = [];
    const failure = (async () => {
      for await (const e of llm.chat({ messages: ASK })) seen.push(e);
    })().then(() => assert.fail("should time out"), (e: unknown) => e);
    for (let i = 0; i < 200 && server.requests.length === 0; i++) await flush(1);
    await flush();
    await clock.tick(10_000);
    const err = await failure;
    assert.ok(err instanceof LlmTimeoutError);
    assert.equal(err.kind, "overall");
    assert.match(err.message, /took longer than 10 s.*llm\.timeout_seconds/);
    await server.requests[0].cancelled;
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("retries stop after max_attempts; the last error is thrown; the breaker counts the call once", async () => {
  const { server, clock, llm, changes } = await setup({
    retry: { max_attempts: 3, base_ms: 100, max_ms: 1_000 },
    breaker: { failure_threshold: 5, reset_seconds: 60 },
  });
  try {
    server.reply(
      spec.errorReply(502, "bad gateway"),
      spec.errorReply(503, "unavailable"),
      spec.errorReply(500, "boom"),
    );
    const { error: err, events } = await failingCall(llm, clock);
    const retries = events.filter((e) => e.type === "retry");
    assert.ok(err instanceof LlmServerError);
    assert.equal(err.status, 500);
    assert.equal(retries.length, 2);
    assert.deepEqual(retries.map((r) => r.type === "retry" && r.attempt), [1, 2]);
    assert.equal(server.requests.length, 3);
    const h = llm.health().find((x) => x.backend === spec.backend)!;
    // One failed turn is one failure, however many attempts it made.
    assert.equal(h.consecutiveFailures, 1);
    assert.equal(h.state, "closed");
    assert.deepEqual(changes, []);
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("breaker: failed calls (not attempts) open it; state changes are reported; a failing trial re-opens", async () => {
  const { server, clock, llm, changes } = await setup({
    retry: { max_attempts: 2, base_ms: 100, max_ms: 1_000 },
    breaker: { failure_threshold: 2, reset_seconds: 30 },
  });
  try {
    const failedCall = async () => (await failingCall(llm, clock)).error;
    server.reply(spec.errorReply(500, "a"), spec.errorReply(500, "b"));
    assert.ok(await failedCall() instanceof LlmServerError);
    assert.deepEqual(changes, [], "one failed call (two attempts) leaves it closed");
    server.reply(spec.errorReply(500, "c"), spec.errorReply(500, "d"));
    assert.ok(await failedCall() instanceof LlmServerError);
    assert.equal(server.requests.length, 4);
    assert.deepEqual(changes, [`${spec.backend}:closed->open`]);
    server.reply(spec.errorReply(500, "e"));
    await clock.tick(30_000);
    const trial = await (async () => {
      for await (const _ of llm.chat({ messages: ASK })) { /* drain */ }
    })().then(() => undefined, (e: unknown) => e);
    assert.ok(trial instanceof LlmServerError);
    assert.deepEqual(changes, [
      `${spec.backend}:closed->open`,
      `${spec.backend}:open->half-open`,
      `${spec.backend}:half-open->open`,
    ]);
    llm.resetBreaker(spec.backend);
    assert.equal(llm.status().find((s) => s.name === spec.backend)?.breaker, "closed");
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("a backend:model reference picks the backend and the model", async () => {
  const { server, llm } = await setup({ default: "anthropic" });
  try {
    server.reply({ chunks: spec.chunks({ text: ["ok"] }) });
    const events: LlmEvent[] = [];
    for await (const e of llm.chat({ model: `${spec.backend}:gpt-4o-mini`, messages: ASK })) {
      events.push(e);
    }
    assert.deepEqual(events[0], {
      type: "start",
      backend: spec.backend,
      kind: spec.kind,
      model: "gpt-4o-mini",
    });
    assert.equal((server.requests[0].body as { model: string }).model, "gpt-4o-mini");
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("the idle limit counts from the last part: a steady stream longer than it in total goes on", async () => {
  const { server, clock, llm } = await setup({ idle_timeout_seconds: 1, timeout_seconds: 600 });
  try {
    server.reply({ chunks: spec.chunks({ text: ["a", "b", "c", "d", "e"] }) });
    const texts: string[] = [];
    let finished = false;
    for await (const e of llm.chat({ messages: ASK })) {
      if (e.type === "text-delta") {
        texts.push(e.text);
        // 0.6 s of quiet after each part: 3 s in all, never 1 s without a part.
        await clock.tick(600);
      }
      if (e.type === "finish") finished = true;
    }
    assert.equal(texts.join(""), "abcde");
    assert.ok(finished);
  } finally {
    llm.close();
    await server.close();
  }
});
