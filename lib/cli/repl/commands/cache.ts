/**
 * `/cache`: the MCP resource cache.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";
import { rowsAboveCursor } from "../../../ui/reflow.ts";
import { sanitizeLine } from "../../../ui/sanitize.ts";

/** `/cache`. */
export const cacheCommand: ReplCommand = {
  name: "cache",
  summary:
    "the MCP resource cache: hits, misses, size; /cache entries; /cache watch [entries]; /cache clear",
  usage: "/cache [entries|clear] | /cache watch [entries]  (live until Ctrl-C)",
  group: "mcp",
  complete: (_s, words) =>
    words.length === 0 ? ["entries", "watch", "clear"] : words[0] === "watch" ? ["entries"] : [],
  run: async (s, [sub, detail], signal) => {
    const { io } = s;
    const mcp = s.mcp;
    if (!mcp) return void io.err("no MCP server has been used yet\n");
    const manager = await mcp;
    if (sub === "clear") {
      await manager.call("clearCache", undefined);
      return void io.err("resource cache cleared\n");
    }
    const view = async (entries: boolean): Promise<string[]> => {
      const st = await manager.call("cacheStats", undefined);
      const reads = st.hits + st.misses;
      const lines = [
        `${st.entries}/${st.maxEntries} entries, ${(st.bytes / 1024).toFixed(1)} of ` +
        `${(st.maxBytes / 2 ** 20).toFixed(0)} MiB · hits ${st.hits}, misses ${st.misses}` +
        (reads ? ` (${Math.round((100 * st.hits) / reads)}% hit rate)` : "") +
        ` · evictions ${st.evictions}`,
      ];
      if (entries) {
        for (const e of await manager.call("cacheEntries", undefined)) {
          lines.push(
            `  ${sanitizeLine(e.server)} ${sanitizeLine(e.uri)}  ${
              (e.bytes / 1024).toFixed(1)
            } KiB`,
          );
        }
      }
      return lines;
    };
    if (sub !== "watch") {
      for (const line of await view(sub === "entries")) io.out(line + "\n");
      return;
    }
    // Live: redrawn in place every ui.cache_refresh_ms until Ctrl-C. The rows to go back up
    // are counted at the width now: after a resize the terminal has re-wrapped them.
    let drawn: number[] = [];
    while (!signal.aborted) {
      const width = columns() - 1;
      const lines = [
        ...(await view(detail === "entries")).map((l) => cut(l, width)),
        io.color.dim(
          cut(`refreshing every ${s.config.ui.cache_refresh_ms} ms · Ctrl-C stops`, width),
        ),
      ];
      const up = drawn.length
        ? rowsAboveCursor(drawn, drawn.length - 1, drawn.at(-1)!, width + 1)
        : 0;
      io.out(
        (up > 0 ? `\x1b[${up}A` : "") + (drawn.length ? "\r\x1b[J" : "") + lines.join("\n"),
      );
      // deno-lint-ignore no-control-regex -- styling codes take no room
      drawn = lines.map((line) => line.replace(/\x1b\[[\d;]*m/g, "").length);
      await sleep(s.config.ui.cache_refresh_ms, signal);
    }
    io.out("\n");
  },
};

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

function columns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}

function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text;
}
