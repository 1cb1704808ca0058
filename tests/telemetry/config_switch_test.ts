/**
 * `[telemetry] enabled` in the config file, through the real CLI (`-p`, the
 * fake OpenAI-compatible provider), exported to a local OTLP/HTTP receiver;
 * and the OpenTelemetry variables that outrank it (`OTEL_SDK_DISABLED`,
 * `OTEL_DENO=false`).
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { OtlpReceiver } from "../fixtures/otlp_receiver.ts";
import { localChat, runCli } from "../_helpers/cli.ts";

/** One `-p` turn with `[telemetry] enabled = true` in the file and `env` added. */
async function turnWithTelemetryKey(env: Record<string, string>) {
  const receiver = OtlpReceiver.start();
  const chat = await localChat("[telemetry]\nenabled = true\n", {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
    OTEL_SERVICE_NAME: "mcpchat-config-key",
    ...env,
  });
  try {
    chat.fake.reply({ chunks: openaiChunks({ text: ["hello"], usage: { input: 5, output: 1 } }) });
    const r = await runCli(["--config", chat.config, "-p", "hi"], { env: chat.env });
    return { r, spans: receiver.spans.filter((s) => s.scope === "mcpchat") };
  } finally {
    await receiver.close();
    await chat.fake.close();
    await Deno.remove(chat.env.HOME, { recursive: true });
  }
}

Deno.test("[telemetry] enabled = true exports the turn's spans without OTEL_DENO in the environment", async () => {
  const { r, spans } = await turnWithTelemetryKey({});
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hello\n", "the answer is printed once (by the exporting copy)");
  const names = new Set(spans.map((s) => s.name));
  for (const name of ["mcpchat.turn", "mcpchat.chat", "mcpchat.rpc"]) {
    assert.ok(names.has(name), `${name} not among ${[...names].join(", ")}`);
  }
  assert.ok(spans.every((s) => s.resource["service.name"] === "mcpchat-config-key"));
});

Deno.test("OTEL_SDK_DISABLED=true outranks [telemetry] enabled = true: nothing is exported", async () => {
  const { r, spans } = await turnWithTelemetryKey({ OTEL_SDK_DISABLED: "true" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hello\n");
  assert.deepEqual(spans, []);
});

Deno.test("OTEL_DENO=false in the environment outranks [telemetry] enabled = true", async () => {
  const { r, spans } = await turnWithTelemetryKey({ OTEL_DENO: "false" });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "hello\n");
  assert.deepEqual(spans, []);
});
