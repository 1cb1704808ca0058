/**
 * Issue 18 budget: 50 concurrent streamable HTTP clients × 100 calls each
 * against the real `mcpchat serve --http`, with zero errors; p50/p99 of a
 * call reported. Baseline in the same run: one client making the same 100
 * calls alone (so the ratio shows what concurrency costs on this machine).
 * The server runs with its default limits (rate limit included).
 *
 * Run: deno run -A bench/serve_concurrency.ts
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { httpClient, serveHttp } from "../tests/serve/_helpers.ts";

const CLIENTS = Number(Deno.env.get("BENCH_CLIENTS") ?? 50);
const CALLS = Number(Deno.env.get("BENCH_CALLS") ?? 100);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Each client alternates list_sessions and get_history of its own session. */
async function work(client: Client, times: number[], errors: string[]): Promise<void> {
  const made = await client.callTool({ name: "new_session", arguments: {} });
  if (made.isError) errors.push(JSON.stringify(made));
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    try {
      const result = await client.callTool({
        name: i % 2 ? "get_history" : "list_sessions",
        arguments: {},
      });
      if (result.isError) errors.push(JSON.stringify(result.content));
    } catch (error) {
      errors.push(String(error));
    }
    times.push(performance.now() - started);
  }
}

const served = await serveHttp();
try {
  const soloTimes: number[] = [];
  const soloErrors: string[] = [];
  const solo = await httpClient(served.url);
  await work(solo, soloTimes, soloErrors);
  await solo.close();

  const times: number[] = [];
  const errors: string[] = [];
  const started = performance.now();
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => httpClient(served.url)));
  await Promise.all(clients.map((c: Client) => work(c, times, errors)));
  const wall = performance.now() - started;
  await Promise.all(clients.map((c: Client) => c.close()));

  console.log(`## ${CLIENTS} concurrent clients × ${CALLS} calls over streamable HTTP\n`);
  console.log("| measure | calls | errors | p50 | p99 | wall | budget |");
  console.log("|---|---|---|---|---|---|---|");
  console.log(
    `| ${CLIENTS} clients at once | ${times.length} | ${errors.length} | ${
      percentile(times, 0.5).toFixed(2)
    } ms | ${percentile(times, 0.99).toFixed(2)} ms | ${(wall / 1000).toFixed(1)} s | 0 errors |`,
  );
  console.log(
    `| one client alone (baseline) | ${soloTimes.length} | ${soloErrors.length} | ${
      percentile(soloTimes, 0.5).toFixed(2)
    } ms | ${percentile(soloTimes, 0.99).toFixed(2)} ms | | |`,
  );
  console.log(
    `| throughput | ${(times.length / (wall / 1000)).toFixed(0)} calls/s | | | | | |`,
  );
  if (errors.length) {
    console.log(`\nfirst errors:\n${errors.slice(0, 3).join("\n")}`);
    Deno.exitCode = 1;
  }
} finally {
  await served.stop();
}
