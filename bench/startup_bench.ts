/**
 * Start-up and RPC budgets of issue 3, measured on the real CLI:
 * - `mcpchat --version` and `mcpchat --help`: median wall time (budget
 *   < 60 ms; both load none of the app);
 * - launch to the REPL prompt with no MCP servers: median wall time
 *   (budget < 150 ms) and RSS at the prompt (budget < 80 MB);
 * - an RPC round trip to a worker plugin: median (budget < 0.2 ms).
 * Baselines measured in the same run (`deno eval 0`, an empty worker) are
 * printed beside them, since the machine is shared: compare the ratios.
 *
 * Run: deno run -A bench/startup_bench.ts
 *
 * @module
 */

import { startPlugin } from "../lib/plugin/mod.ts";
import type { SurfaceOf } from "../lib/plugin/mod.ts";
import type { probePlugin } from "../tests/fixtures/plugins/probe.ts";
import { cliArgs, currentDenoDir, isolatedEnv, ROOT } from "../tests/_helpers/cli.ts";
import { cliOnPipes, timeToPrompt } from "./_prompt.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 15);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function timeCommand(args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).output();
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}`);
  return performance.now() - started;
}

/** Peak RSS of a whole `deno` run (GNU time's maximum resident set), MB. */
async function peakRssOf(args: string[], env: Record<string, string>): Promise<number> {
  const out = await Deno.makeTempFile();
  const { code } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", out, Deno.execPath(), ...args],
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).output();
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}`);
  const kb = Number((await Deno.readTextFile(out)).trim().split("\n").at(-1));
  await Deno.remove(out);
  return kb / 1024;
}

const denoDir = await currentDenoDir();
const env = await isolatedEnv({ DENO_DIR: denoDir });
const lines: string[] = [];
const report = (name: string, value: string, budget: string, baseline = "") =>
  lines.push(`| ${name} | ${value} | ${budget} | ${baseline} |`);

// Warm the module cache once so every run measures start-up, not compilation.
await timeCommand(cliArgs(["--version"]), env);
await timeToPrompt(cliOnPipes([], env));

const evalTimes: number[] = [];
const versionTimes: number[] = [];
const helpTimes: number[] = [];
const promptTimes: number[] = [];
const promptRss: number[] = [];
const evalRss: number[] = [];
for (let i = 0; i < RUNS; i++) {
  evalTimes.push(await timeCommand(["eval", "0"], env));
  versionTimes.push(
    await timeCommand(cliArgs(["--version"]), env),
  );
  helpTimes.push(await timeCommand(cliArgs(["--help"]), env));
  const prompt = await timeToPrompt(cliOnPipes([], env));
  promptTimes.push(prompt.ms);
  promptRss.push(prompt.rssMb);
  evalRss.push(await peakRssOf(["eval", "0"], env));
}
const evalMedian = median(evalTimes);
report(
  "mcpchat --version (median)",
  `${median(versionTimes).toFixed(1)} ms`,
  "< 60 ms",
  `deno eval 0: ${evalMedian.toFixed(1)} ms (×${(median(versionTimes) / evalMedian).toFixed(2)})`,
);
report(
  "mcpchat --help (median)",
  `${median(helpTimes).toFixed(1)} ms`,
  "< 60 ms",
  `×${(median(helpTimes) / evalMedian).toFixed(2)} of deno eval 0`,
);
report(
  "launch → REPL prompt, no MCP servers (median)",
  `${median(promptTimes).toFixed(1)} ms`,
  "< 150 ms",
  `×${(median(promptTimes) / evalMedian).toFixed(2)} of deno eval 0`,
);
report(
  "RSS at the prompt (median)",
  `${median(promptRss).toFixed(1)} MB`,
  "< 80 MB",
  `deno eval 0 peak: ${median(evalRss).toFixed(1)} MB (×${
    (median(promptRss) / median(evalRss)).toFixed(2)
  })`,
);

// RPC round trip to a real narrowed worker.
const probe = await startPlugin<SurfaceOf<typeof probePlugin>>({
  name: "probe",
  module: new URL("../tests/fixtures/plugins/probe.ts", import.meta.url),
  permissions: {},
  init: {},
  heartbeat: false,
});
for (let i = 0; i < 2_000; i++) await probe.peer.call("add", { a: i, b: 1 });
const rtt: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const t = performance.now();
  await probe.peer.call("add", { a: i, b: 1 });
  rtt.push(performance.now() - t);
}
const { port1, port2 } = new MessageChannel();
port2.onmessage = (e) => port2.postMessage(e.data);
const raw: number[] = [];
for (let i = 0; i < 20_000; i++) {
  const t = performance.now();
  await new Promise<void>((resolve) => {
    port1.onmessage = () => resolve();
    port1.postMessage({ a: i });
  });
  raw.push(performance.now() - t);
}
port1.close();
port2.close();
await probe.stop();
report(
  "RPC round trip to a worker plugin (median / p99)",
  `${(median(rtt) * 1000).toFixed(1)} µs / ${(percentile(rtt, 0.99) * 1000).toFixed(1)} µs`,
  "< 200 µs median",
  `bare MessageChannel echo: ${(median(raw) * 1000).toFixed(1)} µs`,
);

console.log(
  `\n## start-up and RPC (${RUNS} runs, ${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores)\n`,
);
console.log("| measure | value | budget | baseline (same run) |");
console.log("|---|---|---|---|");
for (const line of lines) console.log(line);
