/**
 * What each MCP server costs in our process (RSS of the Deno process only;
 * the servers' node processes are excluded), in the production layout: host
 * → `mcp-manager` worker (holds the one SDK) → one thin `mcp-server:<name>`
 * worker per server. Prints:
 * - the base cost (manager worker with the SDK loaded, no server);
 * - per server added (10 stdio servers, added one by one, connected):
 *   RSS and time (spawn worker + process + initialize);
 * - 10 eager servers connected in parallel: time to all ready;
 * - `background` mode with 3 servers: time `startServers` takes (what the
 *   prompt waits), and the worst main-thread stall while they connect.
 * Budgets: ≤ 10 MB and ≤ 30 ms in our process per server; background adds
 * < 20 ms to the time to the prompt.
 *
 * Run: `deno run --no-prompt -A bench/mcp_servers.ts`.
 *
 * @module
 */

import { startPlugin } from "../lib/plugin/mod.ts";
import { createMcpHost } from "../lib/mcp/host_wiring.ts";
import type { ServerConfigInput as ServerConfig } from "../lib/mcp/config.ts";
import type { McpManagerInit } from "../plugins/mcp_manager.ts";
import { EVERYTHING } from "../tests/mcp/helpers.ts";
import process from "node:process";

const COUNT = 10;
const server: ServerConfig = { command: "node", args: [EVERYTHING, "stdio"] };
const MB = 1024 * 1024;
const rss = () => Deno.memoryUsage().rss / MB;
const settle = () => new Promise((r) => setTimeout(r, 150));

type Peer = { call(m: string, p: unknown, o?: { timeoutMs?: number }): Promise<unknown> };

async function startManager(init: McpManagerInit) {
  const mcp = createMcpHost<McpManagerInit>({
    init: { ping_interval_ms: 0, ...init },
    heartbeat: false,
  });
  const handle = await startPlugin({ ...mcp.spec(), heartbeat: false });
  mcp.bind(handle);
  const peer = handle.peer as unknown as Peer;
  return {
    peer,
    async stop() {
      await handle.stop();
      await mcp.transports.stopAll();
    },
  };
}

// Base: the manager worker with the SDK loaded and no server.
await settle();
const rss0 = rss();
const t0 = performance.now();
const m = await startManager({ servers: {} });
await m.peer.call("servers", {});
const baseMs = performance.now() - t0;
await settle();
const rssBase = rss();

// One by one.
const perRss: number[] = [];
const perMs: number[] = [];
const perCpu: number[] = [];
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let prev = rss();
for (let i = 0; i < COUNT; i++) {
  const t = performance.now();
  const c0 = cpu();
  const info = (await m.peer.call(
    "addServer",
    { name: `s${i}`, config: { ...server, startup_mode: "eager" } },
    {
      timeoutMs: 30_000,
    },
  )) as { state: { status: string } };
  perMs.push(performance.now() - t);
  perCpu.push(cpu() - c0);
  if (info.state.status !== "ready") {
    throw new Error(`s${i} not ready: ${JSON.stringify(info.state)}`);
  }
  await settle();
  const now = rss();
  perRss.push(now - prev);
  prev = now;
}
const rssAll = rss();
await m.stop();

// HTTP servers: the thin worker loads the SDK's StreamableHTTPClientTransport.
const HTTP_COUNT = 5;
const httpPort = (() => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
})();
const httpServer = new Deno.Command("node", {
  args: [EVERYTHING, "streamableHttp"],
  env: { PORT: String(httpPort) },
  stdout: "null",
  stderr: "null",
}).spawn();
for (let i = 0; i < 100; i++) {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port: httpPort })).close();
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 50));
  }
}
await settle();
const mh = await startManager({ servers: {} });
await mh.peer.call("servers", {});
await settle();
const httpRss: number[] = [];
const httpMs: number[] = [];
const httpCpu: number[] = [];
let prevH = rss();
for (let i = 0; i < HTTP_COUNT; i++) {
  const t = performance.now();
  const c0 = cpu();
  await mh.peer.call("addServer", {
    name: `h${i}`,
    config: { type: "http", url: `http://127.0.0.1:${httpPort}/mcp`, startup_mode: "eager" },
  }, { timeoutMs: 30_000 });
  httpMs.push(performance.now() - t);
  httpCpu.push(cpu() - c0);
  await settle();
  const now = rss();
  httpRss.push(now - prevH);
  prevH = now;
}
await mh.stop();
httpServer.kill("SIGTERM");
await httpServer.status;

// Ten eager servers at once.
await settle();
const servers = Object.fromEntries(Array.from({ length: COUNT }, (_, i) => [`p${i}`, server]));
const tp = performance.now();
const par = await startManager({ servers, startup_mode: "eager" });
await par.peer.call("startServers", {}, { timeoutMs: 60_000 });
const parallelMs = performance.now() - tp;
await par.stop();

// Background: what the prompt waits for, and the main thread's worst stall meanwhile.
await settle();
const bg = await startManager({
  servers: { b0: server, b1: server, b2: server },
  startup_mode: "background",
});
let worstStall = 0;
let last = performance.now();
const probe = setInterval(() => {
  const now = performance.now();
  worstStall = Math.max(worstStall, now - last - 1);
  last = now;
}, 1);
const tb = performance.now();
await bg.peer.call("startServers", {});
const backgroundMs = performance.now() - tb;
const deadline = Date.now() + 30_000;
while (Date.now() < deadline) {
  const s = (await bg.peer.call("servers", {})) as { state: { status: string } }[];
  if (s.every((x) => x.state.status === "ready")) break;
  await new Promise((r) => setTimeout(r, 20));
}
clearInterval(probe);
await bg.stop();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f = (x: number, u: string) => `${x.toFixed(1)} ${u}`;
console.log(
  `MCP servers in our process (RSS of the Deno process only), ${COUNT} × server-everything stdio`,
);
console.log(
  `  manager worker + SDK, no server:   +${f(rssBase - rss0, "MB")}, ${f(baseMs, "ms")} to ready`,
);
console.log(
  `  per server added (one by one):     RSS mean ${f(mean(perRss), "MB")} (median ${
    f(median(perRss), "MB")
  }, total ${f(rssAll - rssBase, "MB")})`,
);
console.log(
  `                                     time median ${f(median(perMs), "ms")} (min ${
    f(Math.min(...perMs), "ms")
  }, includes node start + initialize)`,
);
console.log(
  `                                     CPU time of our process median ${
    f(median(perCpu), "ms")
  } (all threads: spawn worker, relay, initialize)`,
);
console.log(
  `  per HTTP server (thin worker + SDK StreamableHTTPClientTransport): RSS mean ${
    f(mean(httpRss), "MB")
  }, connect median ${f(median(httpMs), "ms")}, CPU median ${f(median(httpCpu), "ms")}`,
);
console.log(
  `  ${COUNT} eager servers in parallel:     ${f(parallelMs, "ms")} to all ready (${
    f(parallelMs / COUNT, "ms")
  } per server)`,
);
console.log(
  `  background mode, 3 servers:        startServers returns in ${
    f(backgroundMs, "ms")
  }; worst main-thread stall ${f(worstStall, "ms")}`,
);
console.log(
  `  budgets: ≤ 10 MB/server ${mean(perRss) <= 10 ? "met" : "NOT met"}; ≤ 30 ms CPU/server ${
    median(perCpu) <= 30 ? "met" : "NOT met"
  }; background < 20 ms ${backgroundMs < 20 ? "met" : "NOT met"}`,
);
