/**
 * Config start-up costs. Prints medians of:
 * - first import, each in a fresh process: `zod`, `zod/mini`, `smol-toml`,
 *   and the whole `lib/config/mod.ts` (zod + smol-toml + schema construction);
 * - the first `loadConfig` in a fresh process (cold: JIT, schema first use);
 * - `loadConfig` of a typical config (TOML + servers JSON + env), warm, in process;
 * - the config worker: spawn → ready, and its first `load` round trip.
 *
 * Run: `deno run --no-prompt -A bench/config_load.ts [runs]`.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const CONFIG_DIR = fileURLToPath(new URL("../tests/fixtures/config/", import.meta.url));
const TYPICAL = `${CONFIG_DIR}with_servers_file.toml`;
const DENO_JSON = fileURLToPath(new URL("../deno.json", import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function fmt(ms: number): string {
  return `${ms.toFixed(2).padStart(8)} ms`;
}

/** Child mode: measure one thing in this fresh process and print the milliseconds. */
async function child(what: string): Promise<void> {
  const t0 = performance.now();
  switch (what) {
    case "zod":
      await import("zod");
      break;
    case "zod/mini":
      await import("zod/mini");
      break;
    case "smol-toml":
      await import("smol-toml");
      break;
    case "config-mod":
      await import("../lib/config/mod.ts");
      break;
    case "first-load": {
      const { loadConfig } = await import("../lib/config/mod.ts");
      const t1 = performance.now();
      await loadConfig({ path: TYPICAL, env: { HOME: "/home/bench" } });
      console.log(JSON.stringify({ ms: performance.now() - t1, total: performance.now() - t0 }));
      return;
    }
  }
  console.log(JSON.stringify({ ms: performance.now() - t0 }));
}

async function inFreshProcess(what: string): Promise<{ ms: number; total?: number }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "-A",
      "--config",
      DENO_JSON,
      fileURLToPath(import.meta.url),
      "--child",
      what,
    ],
    env: { DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

async function main(runs: number): Promise<void> {
  console.log(`config bench: ${runs} fresh processes per figure, medians`);
  console.log("first import (fresh process):");
  for (const what of ["zod", "zod/mini", "smol-toml", "config-mod"]) {
    await inFreshProcess(what); // warm Deno's module cache once
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push((await inFreshProcess(what)).ms);
    const label = what === "config-mod" ? "lib/config/mod.ts (all)" : what;
    console.log(`  ${label.padEnd(26)}${fmt(median(times))}`);
  }

  const cold: number[] = [];
  const coldTotal: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await inFreshProcess("first-load");
    cold.push(r.ms);
    coldTotal.push(r.total ?? r.ms);
  }
  console.log("first loadConfig in a fresh process (typical config):");
  console.log(`  load+validate             ${fmt(median(cold))}`);
  console.log(`  import + load+validate    ${fmt(median(coldTotal))}`);

  const { loadConfig } = await import("../lib/config/mod.ts");
  const toml = await Deno.readTextFile(TYPICAL);
  const json = await Deno.readTextFile(`${CONFIG_DIR}servers/mcp.json`);
  const files: Record<string, string> = {
    [TYPICAL]: toml,
    [`${CONFIG_DIR}servers/mcp.json`]: json,
  };
  const readTextFile = (p: string) => Promise.resolve(files[p]);
  const env = { HOME: "/home/bench", MCPCHAT_UI_COLOR: "never", ANTHROPIC_API_KEY: "x" };
  for (let i = 0; i < 50; i++) await loadConfig({ path: TYPICAL, env, readTextFile });
  const warm: number[] = [];
  const warmDisk: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    await loadConfig({ path: TYPICAL, env, readTextFile });
    warm.push(performance.now() - t0);
    const t1 = performance.now();
    await loadConfig({ path: TYPICAL, env });
    warmDisk.push(performance.now() - t1);
  }
  console.log("loadConfig, warm (500 runs):");
  console.log(`  in-memory files           ${fmt(median(warm))}`);
  console.log(`  from disk                 ${fmt(median(warmDisk))}`);

  const { startPlugin } = await import("../lib/plugin/mod.ts");
  const { configWorkerPermissions } = await import("../lib/config/permissions.ts");
  const ready: number[] = [];
  const firstCall: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const worker = await startPlugin<{ load: (p: { path?: string }) => unknown }>({
      name: "config",
      module: new URL("../plugins/config.ts", import.meta.url),
      permissions: configWorkerPermissions({ env: Deno.env.toObject(), configPath: TYPICAL }),
      init: { path: TYPICAL },
      heartbeat: false,
    });
    const t1 = performance.now();
    await worker.peer.call("load", {});
    const t2 = performance.now();
    await worker.stop();
    ready.push(t1 - t0);
    firstCall.push(t2 - t1);
  }
  console.log(`config worker (${runs} spawns):`);
  console.log(`  spawn -> ready            ${fmt(median(ready))}`);
  console.log(`  first load() round trip   ${fmt(median(firstCall))}`);
  console.log(`  spawn -> config in hand   ${fmt(median(ready) + median(firstCall))}`);
}

if (import.meta.main) {
  if (Deno.args[0] === "--child") await child(Deno.args[1]);
  else await main(Number(Deno.args[0] ?? 9));
}
