/**
 * Bad config input (issue 19): how the cost of a located error grows with the
 * length of a dotted key (it was cubic: 10k parts 1 s, 30k parts 15.5 s and a
 * crashed config worker), and what reading a large JSON file with positions
 * costs next to a bare `JSON.parse` of the same text. Both in this process,
 * with ratios to a baseline measured in the same run.
 *
 * Run: `deno run --no-prompt -A bench/config_bad_input.ts [runs]`.
 *
 * @module
 */

import { loadConfig } from "../lib/config/mod.ts";
import { parseJsonWithLocations } from "../lib/config/json_locate.ts";

const RUNS = Number(Deno.args[0] ?? 5);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function locatedError(parts: number): Promise<number> {
  const key = Array.from({ length: parts }, (_, i) => `k${i}`).join(".");
  const text = `[mcp]\n${key} = 1\n`;
  return await timed(async () => {
    try {
      await loadConfig({
        path: "/bench/config.toml",
        env: { HOME: "/home/bench" },
        readTextFile: () => Promise.resolve(text),
      });
      throw new Error("expected a config error");
    } catch (error) {
      if (!/config\.toml:2:1: mcp\.k0/.test((error as Error).message)) throw error;
    }
  });
}

const sizes = [1_000, 3_000, 10_000, 30_000];
const rows: string[] = [];
let baselinePerPart = 0;
for (const parts of sizes) {
  const ms = await locatedError(parts);
  const perPart = ms / parts;
  if (baselinePerPart === 0) baselinePerPart = perPart;
  rows.push(
    `| ${parts.toLocaleString("en")} | ${ms.toFixed(1)} | ${(perPart * 1000).toFixed(2)} | ${
      (perPart / baselinePerPart).toFixed(2)
    }× |`,
  );
}
console.log("Located error for a dotted key of N parts (parse + schema + position), median:");
console.log("");
console.log("| parts | ms | µs per part | per-part cost vs 1,000 parts |");
console.log("|---:|---:|---:|---:|");
for (const row of rows) console.log(row);

// A large (~3 MB) mcpServers file: positions of every key (jsonc-parser) vs JSON.parse alone.
const servers: Record<string, unknown> = {};
for (let i = 0; i < 20_000; i++) {
  servers[`server-${i}`] = { command: "npx", args: ["-y", `pkg-${i}`], env: { TOKEN: `t${i}` } };
}
const big = JSON.stringify({ mcpServers: servers }, null, 2);
const bare = await timed(() => JSON.parse(big));
const located = await timed(() => parseJsonWithLocations(big, "/bench/mcp.json"));
console.log("");
console.log(`A ${(big.length / 1e6).toFixed(1)} MB mcpServers file, median:`);
console.log("");
console.log("| parse | ms | vs JSON.parse |");
console.log("|---|---:|---:|");
console.log(`| JSON.parse (baseline) | ${bare.toFixed(1)} | 1.00× |`);
console.log(
  `| jsonc-parser with every key's position | ${located.toFixed(1)} | ${
    (located / bare).toFixed(2)
  }× |`,
);
