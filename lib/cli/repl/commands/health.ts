/**
 * `/health` and `/stats`: how the services are doing.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/health`. */
export const healthCommand: ReplCommand = {
  name: "health",
  summary: "services, restarts, heap; LLM circuit breakers; MCP server states",
  group: "status",
  run: async (s) => {
    const { io } = s;
    const c = io.color;
    for (const x of s.runtime.services()) {
      const heap = x.heapUsed !== undefined ? `${(x.heapUsed / 2 ** 20).toFixed(1)} MB heap` : "";
      const pending = x.pendingCalls ? `, ${x.pendingCalls} pending` : "";
      const state = x.state === "running" ? c.green(x.state) : c.yellow(x.state);
      io.out(
        `${c.bold(x.id.padEnd(12))} ${state}  restarts ${x.restarts}  ${heap}${pending}` +
          (x.lastError ? c.dim(`  last error: ${x.lastError}`) : "") + "\n",
      );
    }
    if (s.runtime.started("llm")) {
      const llm = await s.runtime.llm(s.config);
      for (const b of await llm.call("health", undefined)) {
        const state = b.state === "closed" ? c.green(b.state) : c.red(b.state);
        io.out(
          `  llm ${b.backend}: breaker ${state}, ${b.consecutiveFailures} consecutive failures` +
            (b.retryInMs ? `, retry in ${Math.ceil(b.retryInMs / 1000)} s` : "") + "\n",
        );
      }
    }
    const mcp = s.mcp();
    if (mcp) {
      for (const x of await (await mcp).call("servers", undefined)) {
        io.out(`  mcp ${x.name}: ${x.state.status === "ready" ? c.green(x.status) : x.status}\n`);
      }
    }
  },
};

/** `/stats`. */
export const statsCommand: ReplCommand = {
  name: "stats",
  summary: "LLM calls and connections, MCP cache and notifications",
  group: "status",
  run: async (s) => {
    const { io } = s;
    if (s.runtime.started("llm")) {
      const stats = await (await s.runtime.llm(s.config)).call("stats", undefined);
      io.out(
        `llm: ${stats.calls} calls (${stats.succeeded} ok, ${stats.failed} failed, ` +
          `${stats.cancelled} cancelled, ${stats.retries} retries)\n`,
      );
      for (const p of stats.pools) {
        io.out(
          `  ${p.origin}: ${p.requests} requests, ${p.openConnections} open connections, ` +
            `${p.inFlight} in flight, ${(p.bytesReceived / 1024).toFixed(0)} KiB received\n`,
        );
      }
    }
    const mcp = s.mcp();
    if (mcp) {
      const manager = await mcp;
      io.out(`resource cache: ${JSON.stringify(await manager.call("cacheStats", undefined))}\n`);
      io.out(
        `notifications: ${JSON.stringify(await manager.call("notificationStats", undefined))}\n`,
      );
    }
  },
};
