/**
 * Property test: whatever a provider streams (valid OpenAI-style SSE events
 * split anywhere, garbage lines, broken JSON, invalid UTF-8, huge data
 * lines, comments, stray fields), the LLM client ends the call normally or
 * with a typed LlmError naming the backend — never an uncaught error or an
 * untyped one. Through a real HTTP server (tests/fixtures/llm).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { LlmClient } from "../../lib/llm/client.ts";
import { LlmError } from "../../lib/llm/errors.ts";
import { SPECS } from "../fixtures/llm/backends.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { recordFigure } from "./_figures.ts";

const RUNS = 600;
const spec = SPECS.find((s) => s.kind === "openai-compatible")!;
const encoder = new TextEncoder();

const validEvents = fc.record({
  text: fc.array(fc.string({ maxLength: 30 }), { maxLength: 5 }),
  withTool: fc.boolean(),
}).map(({ text, withTool }) =>
  openaiChunks({
    text,
    toolCalls: withTool ? [{ id: "call_1", name: "srv__tool", args: { a: 1 } }] : undefined,
    usage: { input: 3, output: 4 },
  }).join("")
);

const junk = fc.oneof(
  fc.string({ maxLength: 80 }).map((s) => `data: ${s.replaceAll("\n", " ")}\n\n`),
  fc.constant('data: {"choices":[{"delta":{"content":\n\n'),
  fc.constant(": keep-alive comment\n\n"),
  fc.constant("event: weird\nid: 7\nretry: 10\n\n"),
  fc.constant('data: {"error":{"message":"boom","type":"server_error"}}\n\n'),
  fc.constant(
    'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":9,"function":{"arguments":"{"}}]}}]}\n\n',
  ),
  fc.integer({ min: 1, max: 300_000 }).map((n) => `data: "${"h".repeat(n)}"\n\n`),
  fc.constant("data: [DONE]\n\n"),
  fc.string({ maxLength: 40 }),
);

const stream = fc.record({
  valid: validEvents,
  junk: fc.array(junk, { maxLength: 4 }),
  at: fc.nat(),
  badBytes: fc.option(
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => b.map((x) => x | 0x80)),
  ),
  cuts: fc.array(fc.nat(), { maxLength: 6 }),
});

Deno.test("SSE chunks from a provider: every stream ends normally or with a typed, named error", async () => {
  const server = await FakeProvider.start(spec.contentType);
  const llm = new LlmClient({
    config: {
      default: spec.backend,
      backends: { [spec.backend]: spec.config(server.url) },
      retry: { max_attempts: 1 },
      // Every input must reach the parser: no breaker short-circuit after failures.
      breaker: { failure_threshold: 1_000_000 },
      idle_timeout_seconds: 10,
    },
    env: (n) => spec.env[n],
  });
  let inputs = 0;
  let untyped = 0;
  let typedErrors = 0;
  const codes = new Set<string>();
  try {
    await fc.assert(
      fc.asyncProperty(stream, async ({ valid, junk, at, badBytes, cuts }) => {
        inputs++;
        const text = valid.slice(0, at % (valid.length + 1)) + junk.join("") +
          valid.slice(at % (valid.length + 1));
        let bytes = encoder.encode(text);
        if (badBytes) {
          const spot = at % (bytes.length + 1);
          bytes = new Uint8Array([
            ...bytes.subarray(0, spot),
            ...badBytes,
            ...bytes.subarray(spot),
          ]);
        }
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let from = 0;
        for (const to of [...points, bytes.length]) {
          if (to > from) chunks.push(bytes.subarray(from, to));
          from = to;
        }
        server.reply({ chunks });
        try {
          for await (const _ of llm.chat({ messages: [{ role: "user", content: "hi" }] })) {
            // drain
          }
        } catch (error) {
          if (!(error instanceof LlmError)) {
            untyped++;
            throw error;
          }
          typedErrors++;
          codes.add(error.code);
          assert.ok(error.code.startsWith("LLM_"), error.code);
          assert.ok(error.message.length > 0);
          assert.equal(error.backend, spec.backend);
        }
      }),
      { numRuns: RUNS },
    );
  } finally {
    llm.close();
    await server.close();
  }
  assert.equal(untyped, 0);
  assert.ok(!codes.has("LLM_BREAKER_OPEN"));
  await recordFigure("sse_chunks_property", {
    scenario:
      "SSE streams from a provider: valid events split anywhere, junk, broken JSON, invalid UTF-8, 300 KB lines",
    measure: "inputs tried",
    value: inputs,
    lost: untyped,
    note: `${typedErrors} ended with a typed LlmError (${
      [...codes].join(", ")
    }), the rest normally`,
  });
});
