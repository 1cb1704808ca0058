/**
 * Tool call latency: the bare SDK client in-process (SDK stdio transport)
 * versus mcpchat's path (SDK client → `WorkerBridgeTransport` → pooled
 * transport worker → child), and the full production path booted through
 * the app's Runtime (host → manager plugin worker → pooled worker → child
 * in its sandbox). Same server (server-everything,
 * `echo`), same machine. Prints medians and p90, and the median added.
 * Budget: < 0.3 ms added at the median.
 *
 * Run: `deno run --no-prompt -A bench/mcp_hop.ts [calls]`.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { Runtime } from "../lib/cli/runtime.ts";
import { isolatedEnv } from "../tests/_helpers/cli.ts";
import { EVERYTHING, harness } from "../tests/mcp/helpers.ts";

const N = Number(Deno.args[0] ?? 1000);
const WARMUP = 100;

function stats(xs: number[]): { median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)] };
}

async function timeCalls(call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await call();
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await call();
    out.push(performance.now() - t0);
  }
  return out;
}

const args = { message: "x" };

// 1. Bare SDK client with the SDK's own stdio transport, in this thread.
const bare = new Client({ name: "bench", version: "0" });
await bare.connect(
  new StdioClientTransport({ command: "node", args: [EVERYTHING, "stdio"], stderr: "ignore" }),
);
const bareTimes = await timeCalls(() => bare.callTool({ name: "echo", arguments: args }));
await bare.close();

// 2. Our hop: client in this thread, transport in a narrowed worker.
const h = harness({ ev: { command: "node", args: [EVERYTHING, "stdio"] } });
await h.manager.connect("ev");
const hopTimes = await timeCalls(() =>
  h.manager.callTool({ server: "ev", tool: "echo", arguments: args })
);
await h.close();

// 3. Production layout, booted like the app: host → mcp-manager worker (RPC) → pooled
// transport worker → sandboxed child.
const env = await isolatedEnv();
const file = `${env.HOME}/config.toml`;
await Deno.writeTextFile(
  file,
  `[mcp.servers.ev]\ncommand = "node"\nargs = [${JSON.stringify(EVERYTHING)}, "stdio"]\n`,
);
const runtime = await Runtime.boot({ env, cwd: env.HOME, configPath: file });
const manager = await runtime.mcp((await runtime.loadConfig()).config);
await manager.call("connect", { name: "ev" });
const fullTimes = await timeCalls(() =>
  manager.call("callTool", { server: "ev", tool: "echo", arguments: args })
);
await runtime.shutdown();
await Deno.remove(env.HOME, { recursive: true }).catch(() => {});

const b = stats(bareTimes), o = stats(hopTimes), f = stats(fullTimes);
const fmt = (x: number) => `${x.toFixed(3)} ms`;
console.log(`tool call (echo), ${N} calls after ${WARMUP} warm-up, server-everything over stdio`);
console.log(`  bare SDK client, in-process stdio     median ${fmt(b.median)}  p90 ${fmt(b.p90)}`);
console.log(
  `  client + pooled transport worker      median ${fmt(o.median)}  p90 ${fmt(o.p90)}  added ${
    fmt(o.median - b.median)
  }`,
);
console.log(
  `  host → manager → pooled worker (app)  median ${fmt(f.median)}  p90 ${fmt(f.p90)}  added ${
    fmt(f.median - b.median)
  }`,
);
console.log(
  `  budget: < 0.300 ms added (worker hop): ${o.median - b.median < 0.3 ? "met" : "NOT met"}`,
);
