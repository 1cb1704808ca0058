/**
 * `/health` and `/stats`: how the services are doing.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";
import { showHealth } from "../../commands/health.ts";

/** `/health`. */
export const healthCommand: ReplCommand = {
  name: "health",
  summary: "services, heap, queues, heartbeats, restarts; LLM breakers; MCP servers",
  group: "status",
  run: (s) => showHealth(s.runtime, s.config, s.io),
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
    const mcp = s.mcp;
    if (mcp) {
      const manager = await mcp;
      io.out(`resource cache: ${JSON.stringify(await manager.call("cacheStats", undefined))}\n`);
      io.out(
        `notifications: ${JSON.stringify(await manager.call("notificationStats", undefined))}\n`,
      );
    }
  },
};
