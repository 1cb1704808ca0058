/**
 * What OpenTelemetry costs: one chat turn with a tool call through the real
 * CLI (`-p`, the fake OpenAI-compatible provider, server-everything), with
 * telemetry off and with `OTEL_DENO=true` exporting every span and metric to
 * a local OTLP/HTTP receiver. Interleaved runs, same machine, same run; the
 * ratio is the figure.
 *
 * @module
 */

import { cliArgs, isolatedEnv, peersConfig, ROOT } from "../tests/_helpers/cli.ts";
import { FakeProvider } from "../tests/fixtures/llm/server.ts";
import { openaiChunks } from "../tests/fixtures/llm/wire.ts";
import { OtlpReceiver } from "../tests/fixtures/otlp_receiver.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 9);
const fake = await FakeProvider.start("text/event-stream");
const receiver = OtlpReceiver.start();
const env = await isolatedEnv();
const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
const config = `${env.HOME}/config.toml`;
await Deno.writeTextFile(
  config,
  `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
    `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n[mcp.servers.everything]\ncommand = "node"\n` +
    `args = ${JSON.stringify(peers.mcpServers.everything.args)}\n`,
);
const otel = {
  OTEL_DENO: "true",
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_SERVICE_NAME: "mcpchat-bench",
};

async function turn(withTelemetry: boolean): Promise<number> {
  fake.reply(
    {
      chunks: openaiChunks({
        toolCalls: [{ id: "c1", name: "everything__echo", args: { message: "ping" } }],
      }),
    },
    { chunks: openaiChunks({ text: ["The tool said ping."] }) },
  );
  const started = performance.now();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["--config", config, "-p", "echo ping", "--allow-tool", "everything__*"]),
    cwd: ROOT,
    env: withTelemetry ? { ...env, ...otel } : env,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return performance.now() - started;
}

await turn(false);
await turn(true);
const off: number[] = [];
const on: number[] = [];
for (let i = 0; i < RUNS; i++) {
  off.push(await turn(false));
  on.push(await turn(true));
}
const spans = receiver.spans.filter((s) => s.scope === "mcpchat").length / (RUNS + 1);
await receiver.close();
await fake.close();
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
console.log(`## one chat turn with a tool call, whole process (${RUNS} runs each, interleaved)\n`);
console.log("| measure | median | budget |");
console.log("|---|---|---|");
console.log(`| telemetry off | ${median(off).toFixed(0)} ms | |`);
console.log(`| OTEL_DENO=true, exported to a local receiver | ${median(on).toFixed(0)} ms | |`);
console.log(`| ratio | ×${(median(on) / median(off)).toFixed(2)} | < ×1.2 |`);
console.log(`| mcpchat spans per turn | ${spans.toFixed(0)} | |`);
