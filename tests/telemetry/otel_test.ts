/**
 * One chat turn with a tool call, through the real CLI (`-p`, the fake
 * OpenAI-compatible provider, server-everything over stdio), exported by
 * Deno's built-in OpenTelemetry to a local OTLP/HTTP receiver.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { OtlpReceiver } from "../fixtures/otlp_receiver.ts";
import { everythingToml, localChat, runCli } from "../_helpers/cli.ts";

Deno.test("a chat turn with a tool call exports spans and metrics from the main thread and the workers", async () => {
  const receiver = OtlpReceiver.start();
  const { fake, env, config } = await localChat(await everythingToml(), {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "mcpchat-test",
  });
  try {
    fake.reply(
      {
        chunks: openaiChunks({
          toolCalls: [{ id: "call_1", name: "everything__echo", args: { message: "ping" } }],
          usage: { input: 100, output: 20 },
        }),
      },
      {
        chunks: openaiChunks({ text: ["The tool said ping."], usage: { input: 150, output: 10 } }),
      },
    );
    const r = await runCli(
      ["--config", config, "-p", "echo ping", "--allow-tool", "everything__*"],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "The tool said ping.\n");

    const ours = receiver.spans.filter((s) => s.scope === "mcpchat");
    const named = (name: string) => ours.filter((s) => s.name === name);
    // Two model calls (tool call, then the answer), one tool call, messages stored.
    assert.equal(named("mcpchat.chat").length, 2, JSON.stringify(ours.map((s) => s.name)));
    assert.equal(named("mcpchat.chat")[0].attributes["gen_ai.usage.input_tokens"], 100);
    const [tool] = named("mcpchat.tool");
    assert.equal(tool.attributes["mcpchat.server"], "everything");
    assert.equal(tool.attributes["mcpchat.tool"], "echo");
    assert.ok(named("mcpchat.store").length >= 3, "user, assistant (tool call), tool result…");
    // Spans exported by the workers themselves: the LLM worker streamed, the manager called the tool.
    const rpc = named("mcpchat.rpc");
    const served = new Set(
      rpc.map((s) => `${s.attributes["mcpchat.plugin"]}.${s.attributes["rpc.method"]}`),
    );
    for (const call of ["llm.chat", "mcp-manager.callTool", "store.append"]) {
      assert.ok(served.has(call), `${call} not among ${[...served].join(", ")}`);
    }
    // One trace per turn: every span of the turn, main thread and workers, hangs off mcpchat.turn.
    const [turn] = named("mcpchat.turn");
    assert.ok(turn, "a turn span");
    const inTurn = ours.filter((s) => s.traceId === turn.traceId);
    const ids = new Set(inTurn.map((s) => s.spanId));
    for (const name of ["mcpchat.chat", "mcpchat.tool", "mcpchat.store"]) {
      for (const span of named(name)) {
        assert.equal(span.traceId, turn.traceId, `${name} is in the turn's trace`);
        assert.equal(span.parentSpanId, turn.spanId, `${name} is a child of the turn`);
      }
    }
    for (const call of ["llm.chat", "mcp-manager.callTool", "store.append"]) {
      const span = rpc.find((s) =>
        `${s.attributes["mcpchat.plugin"]}.${s.attributes["rpc.method"]}` === call &&
        s.traceId === turn.traceId
      );
      assert.ok(span, `the worker's ${call} span joined the turn's trace`);
      assert.ok(ids.has(span.parentSpanId!), `${call} has its caller's span as parent`);
    }
    assert.ok(ours.every((s) => s.resource["service.name"] === "mcpchat-test"));
    assert.ok(ours.every((s) => s.status?.code !== 2), "no span failed");
    // Metrics: counters of the same operations.
    const metricNames = new Set(receiver.metrics.map((m) => m.name));
    for (const name of ["mcpchat.llm.calls", "mcpchat.tool.calls", "mcpchat.store.operations"]) {
      assert.ok(metricNames.has(name), `${name} not among ${[...metricNames].join(", ")}`);
    }
    assert.ok(receiver.contentTypes.has("application/json"));
  } finally {
    await receiver.close();
    await fake.close();
  }
});
