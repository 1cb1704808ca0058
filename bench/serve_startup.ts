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

import { cliArgs, isolatedEnv, ROOT } from "../tests/_helpers/cli.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timeToPrompt(env: Record<string, string>, config: string): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["--config", config]),
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let seen = "";
  let ms = NaN;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
    if (seen.includes("› ")) {
      ms = performance.now() - started;
      break;
    }
  }
  await child.stdin.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  if (Number.isNaN(ms)) throw new Error(`no prompt: ${seen}`);
  return ms;
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

for (const config of Object.values(configs)) await timeToPrompt(env, config); // warm caches
const times = { none: [] as number[], disabled: [] as number[], enabled: [] as number[] };
const order = Object.entries(configs);
for (let i = 0; i < RUNS; i++) {
  // Rotated each round, so no config always runs first (or last) on a busy machine.
  for (let j = 0; j < order.length; j++) {
    const [name, config] = order[(i + j) % order.length];
    times[name as keyof typeof times].push(await timeToPrompt(env, config));
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
