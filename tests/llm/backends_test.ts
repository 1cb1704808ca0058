/**
 * Every backend, through its real provider library, against a local server
 * speaking that provider's wire format.
 */
import assert from "node:assert/strict";
import { LlmClient } from "../../lib/llm/client.ts";
import type { LlmConfig } from "../../lib/llm/config.ts";
import {
  LlmAuthError,
  LlmCancelledError,
  LlmCircuitOpenError,
  LlmRateLimitError,
  LlmStreamInterruptedError,
  LlmTimeoutError,
} from "../../lib/llm/errors.ts";
import { PricingTable } from "../../lib/llm/pricing.ts";
import type { LlmEvent, LlmMessage, LlmToolSpec } from "../../lib/llm/types.ts";
import { type FakeClock, fakeClock, flush } from "../_helpers/fake_clock.ts";
import { SPECS, type WireSpec } from "../fixtures/llm/backends.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";

const WEATHER: LlmToolSpec = {
  name: "get_weather",
  description: "Current weather for a city",
  inputSchema: {
    type: "object",
    properties: {
      city: { type: "string", description: "City name, e.g. Paris" },
      unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    },
    required: ["city"],
  },
};
const TIME: LlmToolSpec = {
  name: "get_time",
  description: "Local time in a city",
  inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
/** A config price for a model the built-in table lacks (exercises overrides). */
const PRICING = { "llama-3.3-70b-versatile": { input: 0.59, output: 0.79 } };
const ASK: LlmMessage[] = [{ role: "user", content: "Weather in Paris?" }];

interface Rig {
  server: FakeProvider;
  llm: LlmClient;
  clock: FakeClock;
  close(): Promise<void>;
}

async function rig(spec: WireSpec, extra: Partial<LlmConfig> = {}): Promise<Rig> {
  const server = await FakeProvider.start(spec.contentType, spec.modelsRoute);
  const clock = fakeClock();
  const config: LlmConfig = {
    default: spec.backend,
    backends: { [spec.backend]: { ...spec.config(server.url), model: spec.model } },
    retry: { max_attempts: 3, base_ms: 500, max_ms: 20_000 },
    pricing: PRICING,
    ...extra,
  };
  const llm = new LlmClient({ config, env: (n) => spec.env[n], clock, random: () => 0.5 });
  return {
    server,
    llm,
    clock,
    close: async () => {
      llm.close();
      await server.close();
    },
  };
}

async function collect(it: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const out: LlmEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

/** Collects events, advancing the fake clock by each announced retry delay. */
async function collectWithRetries(
  it: AsyncGenerator<LlmEvent>,
  clock: FakeClock,
  server: FakeProvider,
): Promise<{ events: LlmEvent[]; requestsDuringWait: number[] }> {
  const events: LlmEvent[] = [];
  const requestsDuringWait: number[] = [];
  while (true) {
    const pending = it.next();
    const last = events.at(-1);
    if (last?.type === "retry") {
      await flush();
      // Just before the delay is over, nothing was sent again.
      await clock.tick(last.delayMs - 1);
      await flush();
      requestsDuringWait.push(server.requests.length);
      await clock.tick(1);
    }
    const r = await pending;
    if (r.done) break;
    events.push(r.value);
  }
  return { events, requestsDuringWait };
}

/** Number of leading chunks needed to have sent `needle`. */
function chunksThrough(chunks: (string | Uint8Array)[], needle: string): number {
  const dec = new TextDecoder();
  const i = chunks.findIndex((c) => (typeof c === "string" ? c : dec.decode(c)).includes(needle));
  assert.ok(i >= 0, `no chunk contains ${needle}`);
  return i + 1;
}

function textOf(events: LlmEvent[]): string {
  return events.map((e) => e.type === "text-delta" ? e.text : "").join("");
}

async function rejects<T extends Error>(
  p: Promise<unknown>,
  cls: new (...a: never[]) => T,
): Promise<T> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    return e as T;
  }
  assert.fail(`expected ${cls.name}, but the call succeeded`);
}

/** Waits (bounded by turns, not time) until `cond` holds. */
async function until(cond: () => boolean, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  assert.fail(`never happened: ${what}`);
}

for (const spec of SPECS) {
  Deno.test(`${spec.backend}: streamed text, system prompt, usage and cost`, async () => {
    const r = await rig(spec);
    try {
      r.server.reply({
        chunks: spec.chunks({
          text: ["Hello", ", ", "world"],
          usage: { input: 1200, output: 340, cached: 200 },
        }),
      });
      const events = await collect(r.llm.chat({
        messages: [{ role: "user", content: "Say hello" }],
        system: "Be terse.",
        temperature: 0.3,
        maxTokens: 256,
      }));
      assert.deepEqual(events[0], {
        type: "start",
        backend: spec.backend,
        kind: spec.kind,
        model: spec.model,
      });
      assert.equal(textOf(events), "Hello, world");
      assert.equal(events.filter((e) => e.type === "text-delta").length, 3, "streamed in pieces");
      const usage = events.find((e) => e.type === "usage");
      assert.ok(usage?.type === "usage");
      assert.equal(usage.inputTokens, 1200);
      assert.equal(usage.outputTokens, 340);
      if (spec.kind !== "ollama") assert.equal(usage.cachedInputTokens, 200);
      const expected = new PricingTable(PRICING).cost(spec.model, usage, spec.kind);
      assert.notEqual(expected, "unknown", "test model has a price");
      assert.equal(usage.cost, expected);
      if (spec.kind === "ollama") assert.equal(usage.cost, 0);
      else assert.ok(typeof usage.cost === "number" && usage.cost > 0);
      assert.deepEqual(events.at(-1), { type: "finish", reason: "stop" });

      const req = r.server.requests[0];
      assert.match(req.path, spec.chatPath);
      if (spec.kind === "openai" || spec.kind === "openai-compatible") {
        // Usage arrives in the final chunk only when the request asks for it.
        assert.deepEqual((req.body as { stream_options?: unknown }).stream_options, {
          include_usage: true,
        });
      }
      const [header, value] = spec.auth;
      assert.match(String(req.headers[header]), value, `credentials in ${header}`);
      const body = JSON.stringify(req.body);
      assert.ok(body.includes("Be terse."), "system prompt sent");
      assert.ok(body.includes("Say hello"), "user message sent");
      assert.ok(body.includes("256"), "max tokens sent");
      assert.ok(body.includes("0.3"), "temperature sent");
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: tool call round trip sends the result back`, async () => {
    const r = await rig(spec);
    try {
      r.server.reply(
        {
          chunks: spec.chunks({
            toolCalls: [{ id: "call_1", name: "get_weather", args: { city: "Paris" } }],
          }),
        },
        { chunks: spec.chunks({ text: ["It is 22°C in Paris."] }) },
      );
      const first = await collect(r.llm.chat({ messages: ASK, tools: [WEATHER] }));
      const calls = first.filter((e) => e.type === "tool-call");
      assert.equal(calls.length, 1);
      const call = calls[0];
      assert.ok(call.type === "tool-call");
      assert.equal(call.name, "get_weather");
      assert.deepEqual(call.arguments, { city: "Paris" });
      assert.ok(call.id.length > 0);
      assert.deepEqual(first.at(-1), { type: "finish", reason: "tool-calls" });
      // The tool's JSON schema reached the provider (descriptions and enum intact).
      const sent = JSON.stringify(r.server.requests[0].body);
      assert.ok(sent.includes("City name, e.g. Paris"));
      assert.ok(sent.includes("fahrenheit"));
      assert.ok(sent.includes("Current weather for a city"));

      const second = await collect(r.llm.chat({
        messages: [
          ...ASK,
          {
            role: "assistant",
            content: "",
            toolCalls: [{ id: call.id, name: call.name, arguments: call.arguments }],
          },
          { role: "tool", toolCallId: call.id, name: "get_weather", content: "22°C, sunny" },
        ],
        tools: [WEATHER],
      }));
      assert.equal(textOf(second), "It is 22°C in Paris.");
      const results = spec.toolResults(r.server.requests[1].body);
      assert.equal(results.length, 1);
      assert.equal(results[0].ref, spec.resultsByName ? "get_weather" : call.id);
      assert.ok(results[0].text.includes("22°C, sunny"), results[0].text);
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: two tool calls in one turn`, async () => {
    const r = await rig(spec);
    try {
      r.server.reply({
        chunks: spec.chunks({
          text: ["Checking both."],
          toolCalls: [
            { id: "call_a", name: "get_weather", args: { city: "Paris", unit: "celsius" } },
            { id: "call_b", name: "get_time", args: { city: "Tokyo" } },
          ],
        }),
      });
      const events = await collect(r.llm.chat({ messages: ASK, tools: [WEATHER, TIME] }));
      const calls = events.filter((e) => e.type === "tool-call");
      assert.equal(calls.length, 2);
      assert.deepEqual(
        calls.map((c) => c.type === "tool-call" && [c.name, c.arguments]),
        [["get_weather", { city: "Paris", unit: "celsius" }], ["get_time", { city: "Tokyo" }]],
      );
      const ids = calls.map((c) => c.type === "tool-call" && c.id);
      assert.notEqual(ids[0], ids[1]);
      assert.equal(textOf(events), "Checking both.");
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: 429 with Retry-After waits that long, then succeeds`, async () => {
    const r = await rig(spec);
    try {
      r.server.reply(
        spec.errorReply(429, "Rate limit reached", { "retry-after": "2" }),
        { chunks: spec.chunks({ text: ["ok"] }) },
      );
      const { events, requestsDuringWait } = await collectWithRetries(
        r.llm.chat({ messages: ASK }),
        r.clock,
        r.server,
      );
      const retry = events.find((e) => e.type === "retry");
      assert.ok(retry?.type === "retry");
      assert.equal(retry.delayMs, 2000);
      assert.equal(retry.code, "LLM_RATE_LIMIT");
      assert.match(retry.reason, new RegExp(`^${spec.backend}: 429 Too Many Requests`));
      assert.deepEqual(requestsDuringWait, [1], "no request before Retry-After elapsed");
      assert.equal(textOf(events), "ok");
      assert.equal(r.server.requests.length, 2);
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: 500 then success, with backoff`, async () => {
    const r = await rig(spec);
    try {
      r.server.reply(
        spec.errorReply(500, "Internal error"),
        { chunks: spec.chunks({ text: ["recovered"] }) },
      );
      const { events } = await collectWithRetries(r.llm.chat({ messages: ASK }), r.clock, r.server);
      const retry = events.find((e) => e.type === "retry");
      assert.ok(retry?.type === "retry");
      assert.equal(retry.code, "LLM_SERVER");
      assert.equal(retry.delayMs, 250, "full jitter of base 500 with random 0.5");
      assert.equal(textOf(events), "recovered");
      assert.equal(r.server.requests.length, 2);
      assert.equal(r.llm.stats().retries, 1);
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: 401 is not retried and names the key`, async () => {
    const r = await rig(spec);
    try {
      r.server.reply(spec.errorReply(401, "invalid x-api-key"), spec.errorReply(401, "again"));
      const err = await rejects(collect(r.llm.chat({ messages: ASK })), LlmAuthError);
      assert.equal(err.code, "LLM_AUTH");
      assert.equal(err.status, 401);
      assert.match(err.message, new RegExp(`^${spec.backend}: 401 Unauthorized`));
      const hint = Object.keys(spec.env)[0];
      if (hint) assert.ok(err.message.includes(hint), err.message);
      assert.equal(r.server.requests.length, 1, "not retried");
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: a stream cut off after text fails clearly and is not retried`, async () => {
    const r = await rig(spec);
    try {
      const chunks = spec.chunks({ text: ["partial ", "answer ", "never ", "ends"] });
      // Cut just after the second text piece has been sent.
      const cutAfter = chunksThrough(chunks, "answer ");
      r.server.reply({ chunks, cutAfter }, { chunks: spec.chunks({ text: ["duplicate"] }) });
      const seen: LlmEvent[] = [];
      const err = await rejects(
        (async () => {
          for await (const e of r.llm.chat({ messages: ASK })) seen.push(e);
        })(),
        LlmStreamInterruptedError,
      );
      assert.equal(err.code, "LLM_STREAM_INTERRUPTED");
      assert.match(err.message, /broke off mid-answer/);
      assert.equal(textOf(seen), "partial answer ");
      assert.equal(seen.some((e) => e.type === "retry"), false);
      assert.equal(r.server.requests.length, 1, "no retry after text was shown");
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: a hung server trips the idle timeout`, async () => {
    const r = await rig(spec, { idle_timeout_seconds: 5, retry: { max_attempts: 1 } });
    try {
      const chunks = spec.chunks({ text: ["thinking", "..."] });
      r.server.reply({ chunks, hangAfter: chunksThrough(chunks, "thinking") });
      const seen: LlmEvent[] = [];
      const done = (async () => {
        for await (const e of r.llm.chat({ messages: ASK })) seen.push(e);
      })();
      const failure = rejects(done, LlmTimeoutError); // handled from the start
      await until(() => seen.some((e) => e.type === "text-delta"), "first text");
      await flush();
      await r.clock.tick(4_999);
      await flush();
      assert.equal(r.server.requests[0].wasCancelled, false, "still waiting before the limit");
      await r.clock.tick(1);
      const err = await failure;
      assert.equal(err.kind, "idle");
      assert.equal(err.code, "LLM_TIMEOUT");
      assert.match(err.message, /no data for 5 s/);
      await r.server.requests[0].cancelled; // the HTTP stream was dropped
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: cancellation mid-stream closes the connection`, async () => {
    const r = await rig(spec);
    try {
      const chunks = spec.chunks({ text: ["one", "two", "three"] });
      r.server.reply({ chunks, hangAfter: chunksThrough(chunks, "one") });
      const controller = new AbortController();
      const seen: LlmEvent[] = [];
      const err = await rejects(
        (async () => {
          for await (const e of r.llm.chat({ messages: ASK, signal: controller.signal })) {
            seen.push(e);
            if (e.type === "text-delta") controller.abort();
          }
        })(),
        LlmCancelledError,
      );
      assert.equal(err.code, "LLM_CANCELLED");
      assert.equal(err.name, "AbortError");
      await r.server.requests[0].cancelled;
      assert.equal(r.server.requests[0].wasCancelled, true);
      assert.equal(r.server.requests.length, 1, "a cancelled call is not retried");
      assert.equal(r.llm.stats().cancelled, 1);
      await until(() => r.llm.stats().pools[0]?.inFlight === 0, "pool released the request");
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: breaker opens after failures and recovers after the reset time`, async () => {
    const r = await rig(spec, {
      retry: { max_attempts: 1 },
      breaker: { failure_threshold: 2, reset_seconds: 30, half_open_successes: 1 },
    });
    try {
      r.server.reply(spec.errorReply(503, "down"), spec.errorReply(503, "down"));
      for (let i = 0; i < 2; i++) await assert.rejects(collect(r.llm.chat({ messages: ASK })));
      const open = await rejects(collect(r.llm.chat({ messages: ASK })), LlmCircuitOpenError);
      assert.equal(open.code, "LLM_CIRCUIT_OPEN");
      assert.equal(r.server.requests.length, 2, "refused without a request");
      const h = r.llm.health().find((x) => x.backend === spec.backend);
      assert.equal(h?.state, "open");
      assert.equal(h?.retryInMs, 30_000);
      await r.clock.tick(30_000);
      assert.equal(r.llm.health().find((x) => x.backend === spec.backend)?.state, "half-open");
      r.server.reply({ chunks: spec.chunks({ text: ["back"] }) });
      assert.equal(textOf(await collect(r.llm.chat({ messages: ASK }))), "back");
      assert.equal(r.llm.health().find((x) => x.backend === spec.backend)?.state, "closed");
    } finally {
      await r.close();
    }
  });

  Deno.test(`${spec.backend}: models list and connection reuse`, async () => {
    const r = await rig(spec);
    try {
      const list = await r.llm.listModels();
      if (spec.kind === "bedrock") {
        assert.equal(list.source, "known");
        assert.ok(list.models.some((m) => m.id === spec.model));
      } else {
        assert.equal(list.source, "api", list.error);
        assert.ok(list.models.length >= 1);
        assert.ok(list.models.every((m) => !m.id.startsWith("models/")));
        assert.ok(!list.models.some((m) => m.id === "text-embedding-004"), "only chat models");
      }
      r.server.reply({ chunks: spec.chunks({ text: ["a"] }) }, {
        chunks: spec.chunks({ text: ["b"] }),
      });
      await collect(r.llm.chat({ messages: ASK }));
      await collect(r.llm.chat({ messages: ASK }));
      const [a, b] = r.server.requests;
      assert.equal(a.remotePort, b.remotePort, "the second call reused the keep-alive connection");
      const pool = r.llm.stats().pools[0];
      assert.equal(pool.inFlight, 0);
      assert.equal(pool.openConnections, 1);
      assert.ok(pool.requests >= 2);
    } finally {
      await r.close();
    }
  });
}

Deno.test("models: a failing list endpoint falls back to the known list and says why", async () => {
  const spec = SPECS[0];
  const server = await FakeProvider.start(
    spec.contentType,
    (p) =>
      p === "/v1/models"
        ? {
          status: 401,
          json: {
            type: "error",
            error: { type: "authentication_error", message: "invalid x-api-key" },
          },
        }
        : undefined,
  );
  const llm = new LlmClient({
    config: { backends: { anthropic: spec.config(server.url) } },
    env: (n) => spec.env[n],
  });
  try {
    const list = await llm.listModels("anthropic");
    assert.equal(list.source, "known");
    assert.match(
      list.error ?? "",
      /anthropic: 401 Unauthorized \(invalid x-api-key\) — check ANTHROPIC_API_KEY/,
    );
    assert.ok(list.models.some((m) => m.id === "claude-sonnet-4-5" && m.price?.input === 3));
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("rate limit longer than retry.max_ms is reported, not waited for", async () => {
  const spec = SPECS[0];
  const r = await rig(spec, { retry: { max_attempts: 3, base_ms: 500, max_ms: 10_000 } });
  try {
    r.server.reply(spec.errorReply(429, "quota", { "retry-after": "120" }));
    const err = await rejects(collect(r.llm.chat({ messages: ASK })), LlmRateLimitError);
    assert.equal(err.retryAfterMs, 120_000);
    assert.equal(r.server.requests.length, 1);
  } finally {
    await r.close();
  }
});
