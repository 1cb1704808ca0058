/**
 * Health, as users ask for it: `/health` in the REPL (one table), the
 * `mcpchat health [--json]` command, and the health section of `doctor`.
 * The figures come from the `health` service (plugins/health.ts).
 *
 * @module
 */

import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Config } from "../../config/schema.ts";
import type { Output } from "../../ui/output.ts";
import type { Runtime } from "../runtime.ts";
import { renderHealthTable, summaryLine } from "../../health/render.ts";
import type { HealthReport } from "../../health/types.ts";

/**
 * `/health`: checks now and prints the table (stdout).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { showHealth } from "./health.ts";
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`]),
 *   io,
 *   env: { HOME: home, XDG_CONFIG_HOME: `${home}/config`, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * await showHealth(await ctx.runtime(), await ctx.config(), io);
 * assert.match(io.stdout(), /config/); // the config service's row
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function showHealth(runtime: Runtime, config: Config, io: Output): Promise<void> {
  await runtime.refreshVitals(500);
  const report = await (await runtime.health(config)).call("check", undefined);
  io.out(renderHealthTable(report, io.color));
}

/** Whether every service runs and none is over a threshold. */
export function isHealthy(report: HealthReport): boolean {
  return report.workers.every((w) => w.healthy && w.state === "running") &&
    report.breakers.every((b) => b.state !== "open") &&
    report.mcpServers.every((s) => s.state !== "failed");
}

/**
 * `mcpchat health [--json]`: starts the services (the store, the LLM worker,
 * and the MCP servers when some are configured), waits for each worker's
 * first heartbeat, checks them against `[health]` and prints the report:
 * a table, or with `--json` one object (workers, breakers, MCP servers,
 * restarts and alerts since start). Exits 1 when something is unhealthy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { healthCommand } from "./health.ts";
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "health", "--json"]),
 *   io,
 *   env: { HOME: home, XDG_CONFIG_HOME: `${home}/config`, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const code = await healthCommand(ctx, []);
 * const report = JSON.parse(io.stdout());
 * assert.equal(code, report.ok ? 0 : 1);
 * assert.ok(report.workers.some((w: { id: string }) => w.id === "store"));
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function healthCommand(ctx: CommandContext, words: string[]): Promise<number> {
  if (words.length > 0) {
    throw new CommandError(
      `mcpchat health takes no arguments (got "${words.join(" ")}"); try mcpchat health --json`,
      ExitCode.Usage,
    );
  }
  const config = await ctx.config();
  const runtime = await ctx.runtime();
  const { io } = ctx;
  io.err(io.errColor.dim("checking services…\n"));
  await runtime.store(config).catch(() => undefined);
  await runtime.llm(config).catch(() => undefined);
  if (Object.values(config.mcp.servers).some((s) => s.enabled)) {
    const mcp = await runtime.mcp(config).catch(() => undefined);
    await mcp?.call("startServers", undefined, { timeoutMs: 120_000, signal: ctx.signal })
      .catch(() => undefined);
  }
  // A heartbeat from every worker now, so each has reported its heap.
  await runtime.refreshVitals();
  const report = await (await runtime.health(config)).call("check", undefined);
  if (ctx.args.options.json) {
    io.out(JSON.stringify({ ok: isHealthy(report), ...report }, null, 2) + "\n");
  } else {
    io.out(renderHealthTable(report, io.color));
  }
  return isHealthy(report) ? ExitCode.Ok : ExitCode.Runtime;
}

/**
 * The health section of `doctor`: restarts and alerts since start, and any
 * service over a threshold.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { doctorHealth } from "./health.ts";
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "doctor"]),
 *   io,
 *   env: { HOME: home, XDG_CONFIG_HOME: `${home}/config`, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const { status, detail } = await doctorHealth(await ctx.runtime(), await ctx.config());
 * assert.equal(status, "ok");
 * assert.match(detail, /services watched \(heap ≤ 100 MB/);
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function doctorHealth(
  runtime: Runtime,
  config: Config,
): Promise<{ status: "ok" | "warn"; detail: string; report: HealthReport }> {
  await runtime.refreshVitals();
  const report = await (await runtime.health(config)).call("check", undefined);
  const unhealthy = report.workers.filter((w) => !w.healthy || w.state !== "running");
  const detail =
    `${report.workers.length} services watched (heap ≤ ${config.health.max_heap_mb} MB, ` +
    `queue ≤ ${config.health.max_queue}, ${config.health.missed_heartbeats} missed heartbeats); ` +
    summaryLine(report) +
    (unhealthy.length ? `; unhealthy: ${unhealthy.map((w) => w.id).join(", ")}` : "");
  return { status: unhealthy.length || report.alerts.length ? "warn" : "ok", detail, report };
}
