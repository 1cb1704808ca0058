/**
 * Issue 18 budget: serving adds nothing to the REPL's start-up when it is
 * disabled. Time from launch to the prompt with no `[mcp_server]` section
 * (the baseline) and with `http_enabled = false` written out, interleaved in
 * the same run; with `http_enabled = true` for information (serving starts
 * after the prompt, so it should not delay it either).
 *
 * Run: deno run -A bench/serve_startup.ts
 *
 * @module
 */

import { isolatedEnv } from "../tests/_helpers/cli.ts";
import { cliOnPipes, timeToPrompt } from "./_prompt.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const env = await isolatedEnv();
const base = `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
  `base_url = "http://127.0.0.1:9/v1"\nmodel = "gpt-4.1"\n`;
const configs = {
  none: `${env.HOME}/none.toml`,
  disabled: `${env.HOME}/disabled.toml`,
  enabled: `${env.HOME}/enabled.toml`,
};
await Deno.writeTextFile(configs.none, base);
await Deno.writeTextFile(configs.disabled, base + "[mcp_server]\nhttp_enabled = false\n");
await Deno.writeTextFile(configs.enabled, base + "[mcp_server]\nhttp_enabled = true\nport = 0\n");

for (const config of Object.values(configs)) {
  await timeToPrompt(cliOnPipes(["--config", config], env)); // warm caches
}
const times = { none: [] as number[], disabled: [] as number[], enabled: [] as number[] };
const order = Object.entries(configs);
for (let i = 0; i < RUNS; i++) {
  // Rotated each round, so no config always runs first (or last) on a busy machine.
  for (let j = 0; j < order.length; j++) {
    const [name, config] = order[(i + j) % order.length];
    times[name as keyof typeof times].push(
      (await timeToPrompt(cliOnPipes(["--config", config], env))).ms,
    );
  }
}
const none = median(times.none);
console.log(`## REPL start-up to the prompt, serving disabled vs. enabled (${RUNS} runs each)\n`);
console.log("| config | median to prompt | vs. baseline | budget |");
console.log("|---|---|---|---|");
console.log(`| no [mcp_server] (baseline) | ${none.toFixed(0)} ms | ×1.00 | |`);
console.log(
  `| http_enabled = false | ${median(times.disabled).toFixed(0)} ms | ×${
    (median(times.disabled) / none).toFixed(2)
  } | ≈ ×1 (adds nothing) |`,
);
console.log(
  `| http_enabled = true (serving starts after the prompt) | ${
    median(times.enabled).toFixed(0)
  } ms | ×${(median(times.enabled) / none).toFixed(2)} | |`,
);
