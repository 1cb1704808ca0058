/** Error events inside a stream, and cancellation before the response headers. */
import assert from "node:assert/strict";
import { LlmClient } from "../../lib/llm/client.ts";
import { LlmCancelledError, LlmStreamInterruptedError } from "../../lib/llm/errors.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";
import { fakeClock, flush } from "../_helpers/fake_clock.ts";
import { SPECS } from "../fixtures/llm/backends.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { anthropicChunks, eventStreamFrame } from "../fixtures/llm/wire.ts";

const ASK = [{ role: "user" as const, content: "hi" }];

function client(spec: (typeof SPECS)[number], url: string, clock = fakeClock()) {
  return new LlmClient({
    config: { default: spec.backend, backends: { [spec.backend]: spec.config(url) } },
    env: (n) => spec.env[n],
    clock,
    random: () => 0,
  });
}

Deno.test("anthropic: an overloaded_error event before any text is retried", async () => {
  const spec = SPECS.find((s) => s.kind === "anthropic")!;
  const server = await FakeProvider.start(spec.contentType);
  const clock = fakeClock();
  const llm = client(spec, server.url, clock);
  try {
    const start = anthropicChunks({ text: [] }).slice(0, 1);
    server.reply(
      {
        chunks: [
          ...start,
          `event: error\ndata: ${
            JSON.stringify({
              type: "error",
              error: { type: "overloaded_error", message: "Overloaded" },
            })
          }\n\n`,
        ],
      },
      { chunks: anthropicChunks({ text: ["fine now"] }) },
    );
    const events: LlmEvent[] = [];
    const it = llm.chat({ messages: ASK });
    while (true) {
      const next = it.next();
      await flush();
      await clock.tick(1_000);
      const r = await next;
      if (r.done) break;
      events.push(r.value);
    }
    const retry = events.find((e) => e.type === "retry");
    assert.ok(retry?.type === "retry");
    assert.equal(retry.code, "LLM_PROVIDER");
    assert.match(retry.reason, /anthropic: .*Overloaded/);
    assert.equal(events.map((e) => e.type === "text-delta" ? e.text : "").join(""), "fine now");
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("bedrock: an exception frame mid-stream fails the turn with the provider's message", async () => {
  const spec = SPECS.find((s) => s.kind === "bedrock")!;
  const server = await FakeProvider.start(spec.contentType);
  const llm = client(spec, server.url);
  try {
    const chunks = spec.chunks({ text: ["partial"] }).slice(0, 2); // messageStart + text
    const exception = eventStreamFrame(
      {
        ":exception-type": "modelStreamErrorException",
        ":content-type": "application/json",
        ":message-type": "exception",
      },
      new TextEncoder().encode(
        JSON.stringify({ message: "Model stream failed", originalStatusCode: 500 }),
      ),
    );
    server.reply({ chunks: [...chunks, exception] });
    const seen: LlmEvent[] = [];
    const err = await (async () => {
      for await (const e of llm.chat({ messages: ASK })) seen.push(e);
    })().then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof LlmStreamInterruptedError, String(err));
    assert.equal((err as { code: string }).code, "LLM_STREAM_INTERRUPTED", String(err));
    assert.match(
      (err as Error).message,
      /^bedrock: the response stream broke off mid-answer \(.*Model stream failed/,
    );
    assert.equal(seen.map((e) => e.type === "text-delta" ? e.text : "").join(""), "partial");
    assert.equal(server.requests.length, 1, "not retried after text");
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("cancelling while waiting for the response headers aborts the request at once", async () => {
  const spec = SPECS.find((s) => s.kind === "openai")!;
  const server = await FakeProvider.start(spec.contentType);
  const llm = client(spec, server.url);
  try {
    server.reply({ holdHeaders: true });
    const controller = new AbortController();
    const outcome = (async () => {
      for await (const _ of llm.chat({ messages: ASK, signal: controller.signal })) { /* none */ }
    })().then(() => undefined, (e: unknown) => e);
    for (let i = 0; i < 500 && server.requests.length === 0; i++) await flush(1);
    assert.equal(server.requests.length, 1);
    controller.abort();
    const err = await outcome;
    assert.ok(err instanceof LlmCancelledError, String(err));
    await server.requests[0].cancelled; // the server saw the client go away
    assert.equal(llm.stats().cancelled, 1);
  } finally {
    llm.close();
    await server.close();
  }
});

Deno.test("a consumer that stops reading drops the HTTP stream and counts as cancelled", async () => {
  const spec = SPECS.find((s) => s.kind === "gemini")!;
  const server = await FakeProvider.start(spec.contentType);
  const llm = client(spec, server.url);
  try {
    const chunks = spec.chunks({ text: ["one", "two", "three"] });
    server.reply({ chunks, hangAfter: 1 });
    for await (const e of llm.chat({ messages: ASK })) {
      if (e.type === "text-delta") break;
    }
    await server.requests[0].cancelled;
    const stats = llm.stats();
    assert.equal(stats.cancelled, 1);
    assert.equal(stats.failed, 0);
    assert.equal(llm.health().find((h) => h.backend === spec.backend)?.consecutiveFailures, 0);
  } finally {
    llm.close();
    await server.close();
  }
});
