/**
 * What each MCP server costs in our process, in the production layout
 * (host → `mcp-manager` worker with the one SDK → the pooled transport worker,
 * one actor per server → each server process in its sandbox). Each figure
 * comes from a fresh process booted through the app's Runtime
 * (bench/fixtures/mcp_pool_probe.ts) with 1, 10 and 30 stdio servers:
 * - per added server: RSS and CPU time of our process (all its threads; the
 *   servers' own processes excluded), from the 1 → 10 → 30 differences;
 * - same-run baseline: the RSS of one more empty narrowed worker (the floor
 *   of the former one-worker-per-server layout);
 * - launch → REPL prompt with 30 servers configured (lazy and background)
 *   against none.
 * Budgets: ≤ 3 MB and ≤ 10 ms per added server; prompt ≤ 150 ms with 30 servers.
 *
 * Run: `deno run --no-prompt -A bench/mcp_servers.ts`.
 *
 * @module
 */

import { startPlugin } from "../lib/plugin/mod.ts";
import { isolatedEnv, ROOT } from "../tests/_helpers/cli.ts";
import { cliOnPipes, timeToPrompt } from "./_prompt.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 3);
const probe = new URL("./fixtures/mcp_pool_probe.ts", import.meta.url).pathname;
const spy = new URL("../tests/fixtures/mcp/spy_server.mjs", import.meta.url).pathname;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

interface Sample {
  n: number;
  ready: number;
  rssBefore: number;
  rssAfter: number;
  cpuMs: number;
  wallMs: number;
}

async function sample(n: number): Promise<Sample> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", probe, String(n)],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
  const s = JSON.parse(text) as Sample;
  if (s.ready !== n) throw new Error(`only ${s.ready} of ${n} servers became ready`);
  return s;
}

const counts = [1, 10, 30];
const results = new Map<number, Sample[]>(counts.map((n) => [n, []]));
await sample(1); // warm the module cache
for (let r = 0; r < RUNS; r++) for (const n of counts) results.get(n)!.push(await sample(n));
const m = (n: number, k: keyof Sample) => median(results.get(n)!.map((s) => s[k]));
const added = (n: number, k: "rssAfter" | "cpuMs" | "wallMs") => (m(n, k) - m(1, k)) / (n - 1);

// Same-run baseline: an empty narrowed worker (the floor of one worker per server).
const MB = 1024 * 1024;
const settle = () => new Promise((r) => setTimeout(r, 300));
await settle();
const w0 = Deno.memoryUsage().rss / MB;
const workers = [];
for (let i = 0; i < 10; i++) {
  workers.push(
    await startPlugin({
      name: `probe-${i}`,
      module: new URL("../tests/fixtures/plugins/probe.ts", import.meta.url),
      permissions: {},
      init: {},
      heartbeat: false,
    }),
  );
}
await settle();
const perWorker = (Deno.memoryUsage().rss / MB - w0) / 10;
for (const w of workers) await w.stop();

/** Launch → the REPL prompt, with a config of `n` servers in `mode`. */
async function launchToPrompt(n: number, mode: string): Promise<number> {
  const env = await isolatedEnv();
  const file = `${env.HOME}/config.toml`;
  let toml = `[mcp]\nstartup_mode = "${mode}"\n`;
  for (let i = 0; i < n; i++) {
    toml += `[mcp.servers.s${i}]\ncommand = "node"\nargs = [${JSON.stringify(spy)}]\n`;
  }
  await Deno.writeTextFile(file, toml);
  const { ms } = await timeToPrompt(cliOnPipes(["--config", file], env));
  await Deno.remove(env.HOME, { recursive: true }).catch(() => {});
  return ms;
}

await launchToPrompt(0, "lazy");
const prompt: Record<string, number[]> = { none: [], lazy30: [], background30: [] };
for (let r = 0; r < Math.max(5, RUNS); r++) {
  prompt.none.push(await launchToPrompt(0, "lazy"));
  prompt.lazy30.push(await launchToPrompt(30, "lazy"));
  prompt.background30.push(await launchToPrompt(30, "background"));
}

const f = (x: number, unit: string) => `${x.toFixed(unit === "MB" ? 2 : 1)} ${unit}`;
console.log(`## MCP servers: cost per server in our process (${RUNS} runs each, medians)\n`);
console.log("| measure | 1 server | 10 servers | 30 servers | per added server | budget |");
console.log("|---|---|---|---|---|---|");
console.log(
  `| RSS after all connected | ${f(m(1, "rssAfter"), "MB")} | ${f(m(10, "rssAfter"), "MB")} | ${
    f(m(30, "rssAfter"), "MB")
  } | ${f(added(10, "rssAfter"), "MB")} (1→10), ${
    f(added(30, "rssAfter"), "MB")
  } (1→30) | ≤ 3 MB |`,
);
console.log(
  `| CPU of our process to connect all | ${f(m(1, "cpuMs"), "ms")} | ${f(m(10, "cpuMs"), "ms")} | ${
    f(m(30, "cpuMs"), "ms")
  } | ${f(added(10, "cpuMs"), "ms")} (1→10), ${f(added(30, "cpuMs"), "ms")} (1→30) | ≤ 10 ms |`,
);
console.log(
  `| wall time to all ready (servers start in parallel on 2 cores) | ${f(m(1, "wallMs"), "ms")} | ${
    f(m(10, "wallMs"), "ms")
  } | ${f(m(30, "wallMs"), "ms")} | ${f(added(30, "wallMs"), "ms")} (1→30) | |`,
);
console.log(
  `| baseline, same run: one more empty narrowed worker (the old per-server floor) | | | | ${
    f(perWorker, "MB")
  } | |`,
);
console.log(`\n| launch → REPL prompt | median | budget |`);
console.log("|---|---|---|");
console.log(`| no MCP servers (baseline) | ${f(median(prompt.none), "ms")} | |`);
console.log(`| 30 stdio servers, lazy | ${f(median(prompt.lazy30), "ms")} | ≤ 150 ms |`);
console.log(
  `| 30 stdio servers, background | ${f(median(prompt.background30), "ms")} | ≤ 150 ms |`,
);
