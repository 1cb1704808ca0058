/**
 * Issue 18 budget: `list_sessions` over streamable HTTP ≤ 2 ms median, on
 * the real `mcpchat serve --http` with 20 stored sessions, from an SDK
 * client. Baseline in the same run: `ping` on the same connection (the
 * protocol and transport floor, no work behind it).
 *
 * Run: deno run -A bench/serve_list_sessions.ts
 *
 * @module
 */

import { httpClient, serveHttp } from "../tests/serve/_helpers.ts";

const CALLS = Number(Deno.env.get("BENCH_CALLS") ?? 400);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const served = await serveHttp([], { extraToml: "[mcp_server]\nrate_limit_per_second = 0\n" });
const client = await httpClient(served.url);
try {
  for (let i = 0; i < 20; i++) {
    await client.callTool({ name: "new_session", arguments: { title: `bench ${i}` } });
  }
  const listTimes: number[] = [];
  const pingTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    await client.callTool({ name: "list_sessions", arguments: {} });
    await client.ping();
  }
  for (let i = 0; i < CALLS; i++) {
    let started = performance.now();
    await client.callTool({ name: "list_sessions", arguments: {} });
    listTimes.push(performance.now() - started);
    started = performance.now();
    await client.ping();
    pingTimes.push(performance.now() - started);
  }
  const list50 = percentile(listTimes, 0.5);
  const ping50 = percentile(pingTimes, 0.5);
  console.log(`## list_sessions over streamable HTTP (${CALLS} calls, 20 sessions, interleaved)\n`);
  console.log("| measure | median | p99 | budget |");
  console.log("|---|---|---|---|");
  console.log(
    `| list_sessions | ${list50.toFixed(2)} ms | ${
      percentile(listTimes, 0.99).toFixed(2)
    } ms | ≤ 2 ms median |`,
  );
  console.log(
    `| ping (baseline, same connection) | ${ping50.toFixed(2)} ms | ${
      percentile(pingTimes, 0.99).toFixed(2)
    } ms | |`,
  );
  console.log(`| ratio | ×${(list50 / ping50).toFixed(2)} | | |`);
  if (list50 > 2) console.log(`\nover budget: ${list50.toFixed(2)} ms > 2 ms`);
} finally {
  await client.close();
  await served.stop();
}
