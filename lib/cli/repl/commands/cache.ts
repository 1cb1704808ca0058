/**
 * `/cache`: the MCP resource cache.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/cache`. */
export const cacheCommand: ReplCommand = {
  name: "cache",
  summary: "the MCP resource cache: hits, misses, size; /cache entries; /cache clear",
  usage: "/cache [entries|clear]",
  group: "mcp",
  complete: (_s, words) => words.length === 0 ? ["entries", "clear"] : [],
  run: async (s, [sub]) => {
    const { io } = s;
    const mcp = s.mcp();
    if (!mcp) return void io.err("no MCP server has been used yet\n");
    const manager = await mcp;
    if (sub === "clear") {
      await manager.call("clearCache", undefined);
      return void io.err("resource cache cleared\n");
    }
    const st = await manager.call("cacheStats", undefined);
    const reads = st.hits + st.misses;
    io.out(
      `${st.entries}/${st.maxEntries} entries, ${(st.bytes / 1024).toFixed(1)} of ` +
        `${(st.maxBytes / 2 ** 20).toFixed(0)} MiB · hits ${st.hits}, misses ${st.misses}` +
        (reads ? ` (${Math.round((100 * st.hits) / reads)}% hit rate)` : "") +
        ` · evictions ${st.evictions}\n`,
    );
    if (sub === "entries") {
      for (const e of await manager.call("cacheEntries", undefined)) {
        io.out(`  ${e.server} ${e.uri}  ${(e.bytes / 1024).toFixed(1)} KiB\n`);
      }
    }
  },
};
