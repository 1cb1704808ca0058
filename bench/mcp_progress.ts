/**
 * 1,000 progress notifications in one second (server-everything's
 * `trigger-long-running-operation`, 1,000 steps over 1 s): CPU used by our
 * process (all threads: thin worker relay, manager, coalescing) as a share
 * of one core over the call, and how many UI events the burst became.
 * Budget: < 10 % CPU.
 *
 * Run: `deno run --no-prompt -A bench/mcp_progress.ts [runs]`.
 *
 * @module
 */

import process from "node:process";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { EVERYTHING, harness } from "../tests/mcp/helpers.ts";

const RUNS = Number(Deno.args[0] ?? 3);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } }, {
  progress_interval_ms: 100,
});
await h.manager.connect("ev");
// Warm up the path.
await h.manager.callTool({
  server: "ev",
  tool: "trigger-long-running-operation",
  arguments: { duration: 1, steps: 1000 },
});

// Idle baseline: the same second with nothing happening.
const idle0 = cpu();
await new Promise((r) => setTimeout(r, 1000));
const idleMs = cpu() - idle0;

const rows: { wall: number; cpu: number; updates: number; events: number }[] = [];
for (let run = 0; run < RUNS; run++) {
  let updates = 0;
  const before = h.events.length;
  const t0 = performance.now();
  const c0 = cpu();
  await h.manager.callTool(
    {
      server: "ev",
      tool: "trigger-long-running-operation",
      arguments: { duration: 1, steps: 1000 },
      callId: `r${run}`,
    },
    undefined,
    () => updates++,
  );
  rows.push({
    wall: performance.now() - t0,
    cpu: cpu() - c0,
    updates,
    events: h.events.slice(before).filter((e) => e.event === "progress").length,
  });
}
await h.close();

// Reference: the bare SDK client with its own stdio transport, in this thread.
const bare = new Client({ name: "bench", version: "0" });
await bare.connect(
  new StdioClientTransport({ command: "node", args: [EVERYTHING, "stdio"], stderr: "ignore" }),
);
const longArgs = {
  name: "trigger-long-running-operation",
  arguments: { duration: 1, steps: 1000 },
};
await bare.callTool(longArgs, undefined, { onprogress: () => {} });
const bareShares: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const t0 = performance.now();
  const c0 = cpu();
  await bare.callTool(longArgs, undefined, { onprogress: () => {}, resetTimeoutOnProgress: true });
  bareShares.push((cpu() - c0) / (performance.now() - t0) * 100);
}
await bare.close();

console.log(`1,000 progress notifications in ~1 s (server-everything over stdio), ${RUNS} runs`);
console.log(`  idle baseline: ${(idleMs / 10).toFixed(1)} % CPU`);
for (const r of rows) {
  console.log(
    `  ${r.updates} updates in ${r.wall.toFixed(0)} ms: CPU ${
      (r.cpu / r.wall * 100).toFixed(1)
    } % of one core` +
      ` (${(r.cpu / r.updates * 1000).toFixed(0)} µs per notification), ${r.events} UI events`,
  );
}
bareShares.sort((a, b) => a - b);
console.log(
  `  reference, bare SDK client in-process: median ${
    bareShares[Math.floor(RUNS / 2)].toFixed(1)
  } % CPU`,
);
const shares = rows.map((r) => r.cpu / r.wall * 100).sort((a, b) => a - b);
const med = shares[Math.floor(shares.length / 2)];
console.log(
  `  budget < 10 %: median ${med.toFixed(1)} % ${med < 10 ? "met" : "NOT met"}; worst ${
    shares.at(-1)!.toFixed(1)
  } %`,
);
