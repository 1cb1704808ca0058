/**
 * LLM overhead benchmark. Prints figures; asserts nothing.
 *
 *   deno run --no-prompt -A bench/llm_overhead.ts
 *
 * The same Anthropic SSE stream from a local server is consumed three ways:
 * `@ai-sdk/anthropic`'s model `doStream` directly in-process ("direct": the
 * provider library alone, the floor),
 * `LlmClient` in-process ("lib"), and through the `llm` plugin worker
 * ("plugin": worker hop, RPC streaming, text coalescing).
 *
 * 1. End-of-turn latency at 200 tokens/s: from the server writing the last
 *    byte to the consumer holding the `finish` event (same process, same
 *    clock). plugin − direct = what our hop and parsing add per turn.
 * 2. CPU at 200 tokens/s: process CPU time / wall time (the fake server runs
 *    in this process too, so compare the columns).
 * 3. A 200-token burst (all bytes at once): wall time per turn, and how many
 *    messages crossed the worker boundary.
 * 4. Loading the worker with one provider: spawn → ready, and →
 *    `@ai-sdk/anthropic` imported (`preload`).
 *
 * @module
 */
import process from "node:process";
import { createAnthropic } from "@ai-sdk/anthropic";
import { startPlugin, type SurfaceOf } from "../lib/plugin/mod.ts";
import { LlmClient } from "../lib/llm/client.ts";
import type { LlmConfig } from "../lib/llm/config.ts";
import { llmWorkerPermissions } from "../lib/llm/permissions.ts";
import type { llmPlugin } from "../plugins/llm.ts";
import { FakeProvider } from "../tests/fixtures/llm/server.ts";
import { anthropicChunks } from "../tests/fixtures/llm/wire.ts";

type Llm = SurfaceOf<typeof llmPlugin>;
const TOKENS = 200;
const KEY_VAR = "MCPCHAT_BENCH_LLM_KEY";
Deno.env.set(KEY_VAR, "sk-bench");

const server = await FakeProvider.start("text/event-stream");
const chunks = anthropicChunks({
  text: Array.from({ length: TOKENS }, (_, i) => `tok${i} `),
  usage: { input: 500, output: TOKENS },
});
const messages = [{ role: "user" as const, content: "Write 200 tokens." }];
const config: LlmConfig = {
  default: "claude",
  backends: {
    claude: {
      type: "anthropic",
      base_url: `${server.url}/v1`,
      api_key_env: KEY_VAR,
      model: "claude-haiku-4-5",
    },
  },
};

/** One consumed turn: text events seen, messages received, when `finish` arrived. */
interface Turn {
  texts: number;
  messages: number;
  finishedAt: number;
}

const direct = createAnthropic({ apiKey: "sk-bench", baseURL: `${server.url}/v1` });
async function runDirect(): Promise<Turn> {
  let texts = 0, messages_ = 0, finishedAt = 0;
  const { stream } = await direct("claude-haiku-4-5").doStream({
    prompt: [{ role: "user", content: [{ type: "text", text: messages[0].content }] }],
  });
  for await (const part of stream) {
    messages_++;
    if (part.type === "text-delta") texts += part.delta.split(" ").length - 1;
    if (part.type === "finish") finishedAt = performance.now();
  }
  return { texts, messages: messages_, finishedAt };
}

const client = new LlmClient({ config });
async function runLib(): Promise<Turn> {
  let texts = 0, messages_ = 0, finishedAt = 0;
  for await (const e of client.chat({ messages })) {
    messages_++;
    if (e.type === "text-delta") texts += e.text.split(" ").length - 1;
    if (e.type === "finish") finishedAt = performance.now();
  }
  return { texts, messages: messages_, finishedAt };
}

const permissions = llmWorkerPermissions(config, (n) => Deno.env.get(n));
const worker = await startPlugin<Llm>({
  name: "llm",
  module: new URL("../plugins/llm.ts", import.meta.url),
  permissions,
  init: { config },
  heartbeat: false,
});
async function runPlugin(): Promise<Turn> {
  let texts = 0, messages_ = 0, finishedAt = 0;
  for await (const e of worker.peer.stream("chat", { messages })) {
    messages_++;
    if (e.type === "text-delta") texts += e.text.split(" ").length - 1;
    if (e.type === "finish") finishedAt = performance.now();
  }
  return { texts, messages: messages_, finishedAt };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(3)} ms`;

interface Sample {
  wall: number[];
  tail: number[];
  messages: number;
  cpuPct: number;
}

async function sample(
  run: () => Promise<Turn>,
  intervalMs: number,
  turns: number,
): Promise<Sample> {
  const wall: number[] = [];
  const tail: number[] = [];
  let messages_ = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < turns; i++) {
    let lastByteAt = 0;
    server.reply({
      chunks,
      ...(intervalMs > 0 ? { intervalMs } : { burst: true }),
      onLastChunk: () => (lastByteAt = performance.now()),
    });
    const s = performance.now();
    const turn = await run();
    wall.push(performance.now() - s);
    tail.push(turn.finishedAt - lastByteAt);
    messages_ = turn.messages;
    if (turn.texts !== TOKENS) throw new Error(`expected ${TOKENS} tokens, got ${turn.texts}`);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    wall,
    tail,
    messages: messages_,
    cpuPct: ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100,
  };
}

for (let i = 0; i < 5; i++) { // warm-up: JIT, imports, keep-alive connections
  await sample(runDirect, 0, 1);
  await sample(runLib, 0, 1);
  await sample(runPlugin, 0, 1);
}

const PACED = 8;
// Interleaved, so load from elsewhere on the machine hits every path alike.
const runs = { direct: runDirect, lib: runLib, plugin: runPlugin };
const acc: Record<string, { tail: number[]; wall: number[]; cpuMs: number; wallMs: number }> = {};
for (const name of Object.keys(runs)) acc[name] = { tail: [], wall: [], cpuMs: 0, wallMs: 0 };
for (let i = 0; i < PACED; i++) {
  for (const [name, run] of Object.entries(runs)) {
    const s = await sample(run, 5, 1);
    const a = acc[name];
    a.tail.push(...s.tail);
    a.wall.push(...s.wall);
    a.cpuMs += (s.cpuPct / 100) * s.wall[0];
    a.wallMs += s.wall[0];
  }
}
const paced = Object.fromEntries(
  Object.entries(acc).map(([name, a]) => [name, {
    tail: a.tail,
    wall: a.wall,
    cpuPct: (a.cpuMs / a.wallMs) * 100,
  }]),
);
console.log(`# 200 tokens/s (${TOKENS} tokens 5 ms apart, ${PACED} turns each, medians)`);
console.log("path     last byte → finish   CPU      turn");
for (const [name, s] of Object.entries(paced)) {
  console.log(
    `${name.padEnd(8)} ${ms(median(s.tail)).padStart(12)}   ${s.cpuPct.toFixed(2).padStart(5)} %  ${
      ms(median(s.wall))
    }`,
  );
}
console.log(
  `added per turn by worker hop + parsing: ${
    ms(median(paced.plugin.tail) - median(paced.direct.tail))
  } (budget < 1 ms)`,
);
console.log(
  `added CPU at 200 tokens/s:              ${
    (paced.plugin.cpuPct - paced.direct.cpuPct).toFixed(2)
  } % (budget < 5 %)`,
);

const BURST = 40;
const burst = { direct: [] as number[], lib: [] as number[], plugin: [] as number[] };
let pluginMessages = 0;
for (let i = 0; i < BURST; i++) {
  burst.direct.push(...(await sample(runDirect, 0, 1)).wall);
  burst.lib.push(...(await sample(runLib, 0, 1)).wall);
  const p = await sample(runPlugin, 0, 1);
  burst.plugin.push(...p.wall);
  pluginMessages = p.messages;
}
console.log(`\n# ${TOKENS}-token burst (all bytes at once, ${BURST} rounds, medians)`);
console.log(`direct   ${ms(median(burst.direct))}`);
console.log(
  `lib      ${ms(median(burst.lib))}  (+${ms(median(burst.lib) - median(burst.direct))})`,
);
console.log(
  `plugin   ${ms(median(burst.plugin))}  (+${
    ms(median(burst.plugin) - median(burst.direct))
  }; ${pluginMessages} messages crossed for ${TOKENS} tokens)`,
);

await worker.stop();
client.close();

console.log(`\n# loading the llm worker with one provider (7 runs, medians)`);
const ready: number[] = [];
const loaded: number[] = [];
for (let i = 0; i < 7; i++) {
  const t0 = performance.now();
  const w = await startPlugin<Llm>({
    name: "llm",
    module: new URL("../plugins/llm.ts", import.meta.url),
    permissions,
    init: { config },
    heartbeat: false,
  });
  ready.push(performance.now() - t0);
  await w.peer.call("preload", {});
  loaded.push(performance.now() - t0);
  await w.stop();
}
console.log(`spawn → ready                            ${ms(median(ready))}`);
console.log(`spawn → ready + @ai-sdk/anthropic        ${ms(median(loaded))}  (budget < 100 ms)`);

await server.close();
