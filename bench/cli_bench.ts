/**
 * Issue 8 budget: `mcpchat tools list` against one stdio server in under 2×
 * the time of the bare SDK client doing the same (both as whole processes,
 * interleaved, same machine, same run).
 *
 * @module
 */

import { cliArgs, DENO_JSON, isolatedEnv, peersConfig, ROOT } from "../tests/_helpers/cli.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 11);
const env = await isolatedEnv();
const config = await peersConfig(["everything"]);
const server = JSON.parse(await Deno.readTextFile(config)).mcpServers.everything;
const bare = new URL("./fixtures/bare_sdk_tools_list.ts", import.meta.url).pathname;

async function time(args: string[]): Promise<number> {
  const started = performance.now();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return performance.now() - started;
}

const ours = cliArgs(["--config", config, "tools", "list"]);
const theirs = [
  "run",
  "--no-prompt",
  "-A",
  "--config",
  DENO_JSON,
  bare,
  server.command,
  ...server.args,
];
await time(ours);
await time(theirs);
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < RUNS; i++) {
  a.push(await time(ours));
  b.push(await time(theirs));
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
console.log(`## tools list, one stdio server (${RUNS} runs each, interleaved)\n`);
console.log("| measure | median | budget |");
console.log("|---|---|---|");
console.log(`| mcpchat tools list | ${median(a).toFixed(0)} ms | |`);
console.log(`| bare SDK client (one process) | ${median(b).toFixed(0)} ms | |`);
console.log(`| ratio | ×${(median(a) / median(b)).toFixed(2)} | < ×2 |`);
