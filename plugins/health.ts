/**
 * `health`: the health service. Runs INLINE on the main thread behind the
 * plugin contract, because what it watches lives there: the supervisors,
 * every worker's heartbeat figures and the authority to restart a worker
 * (see docs/architecture.md, "The health service").
 *
 * Every `intervalMs` it asks the host for samples of every supervised worker
 * (heap, calls queued on it, unanswered heartbeats, restarts), checks them
 * against `[health]`, emits an `alert` event when one turns unhealthy, and
 * asks the host to restart one that stays unhealthy. It also collects
 * restarts, crashes, breaker trips and MCP server failures since start.
 *
 * Host handlers it calls: `healthSamples`, `healthBreakers`,
 * `healthMcpServers`, `healthRestart`. Host events it listens to:
 * `supervisor` (supervisor events), `breaker`, `mcp-server-state`.
 * RPC: `report`, `check`. Event: `alert` ({@linkcode HealthAlert}).
 *
 * @module
 */
import "../lib/plugin/guard.ts";
import { declared, definePlugin, serveWorker } from "../lib/plugin/define.ts";
import { HealthMonitor } from "../lib/health/monitor.ts";
import type {
  HealthAlert,
  HealthEvents,
  HealthHostCalls,
  HealthHostEvents,
  HealthReport,
  HealthThresholds,
} from "../lib/health/types.ts";

/** Start data of the `health` plugin. */
export interface HealthInit {
  thresholds: HealthThresholds;
  /** Milliseconds between checks (the heartbeat interval). */
  intervalMs: number;
}

/** The `health` plugin. */
export const healthPlugin = definePlugin({
  name: "health",
  events: declared<HealthEvents>(),
  hostEvents: declared<HealthHostEvents>(),
  hostCalls: declared<HealthHostCalls>(),
  start(init: HealthInit, ctx) {
    const monitor = new HealthMonitor({ thresholds: init.thresholds, now: () => Date.now() });
    let last: Pick<HealthReport, "workers" | "breakers" | "mcpServers"> = {
      workers: [],
      breakers: [],
      mcpServers: [],
    };
    const raise = (alert: HealthAlert) => ctx.emit("alert", alert);
    const lastCrash = new Map<string, string>();

    ctx.onEvent("supervisor", (event) => {
      // Crashes and give-ups are already shown as they happen (supervisor events): kept, not raised.
      if (event.type === "crashed") {
        monitor.alert({ id: event.id, kind: "crash", message: `crashed: ${event.error}` });
      } else if (event.type === "restarted") {
        monitor.restarted({
          id: event.id,
          supervisor: event.supervisor,
          reason: lastCrash.get(event.id) ?? "restarted",
        });
      } else if (event.type === "gave-up") {
        monitor.alert({ id: event.id, kind: "gave-up", message: event.error });
      }
      if (event.type === "crashed") lastCrash.set(event.id, event.error);
    });
    ctx.onEvent("breaker", ({ backend, state }) => {
      // Nothing else says so as it happens: the user learns why calls now fail at once.
      if (state === "open") {
        raise(monitor.alert({
          id: `llm ${backend}`,
          kind: "breaker",
          message: "circuit breaker open: calls fail at once until it tries again (/health)",
        }));
      } else if (state === "closed") {
        raise(
          monitor.alert({
            id: `llm ${backend}`,
            kind: "breaker",
            message: "circuit breaker closed again",
          }),
        );
      }
    });
    ctx.onEvent("mcp-server-state", ({ name, state, status }) => {
      // The REPL already says so on its own line; here it is only kept for the report.
      if (state.status === "failed") {
        monitor.alert({ id: `mcp ${name}`, kind: "mcp", message: status });
      }
    });

    // The periodic check reads only what the host already has (no calls into the workers);
    // breakers and MCP servers are asked for when someone wants the whole report.
    let running: Promise<void> | undefined;
    const check = (): Promise<void> =>
      running ??= (async () => {
        try {
          const samples = await ctx.call("healthSamples");
          const outcome = monitor.check(samples);
          for (const alert of outcome.alerts) raise(alert);
          for (const { id, supervisor, reason } of outcome.restart) {
            await ctx.call("healthRestart", { id, supervisor, reason }).catch(() => undefined);
          }
          last = { ...last, workers: outcome.workers };
        } finally {
          running = undefined;
        }
      })();
    const fullCheck = async (): Promise<void> => {
      await check();
      const [breakers, mcpServers] = await Promise.all([
        ctx.call("healthBreakers").catch(() => []),
        ctx.call("healthMcpServers").catch(() => []),
      ]);
      last = { ...last, breakers, mcpServers };
    };

    const report = (): HealthReport => ({
      since: monitor.since,
      at: Date.now(),
      thresholds: monitor.thresholds,
      ...last,
      restarts: [...monitor.restarts],
      alerts: [...monitor.alerts],
      restartCount: last.workers.reduce((sum, w) => sum + w.restarts, 0),
    });

    const timer = setInterval(() => void check().catch(() => undefined), init.intervalMs);
    // Checks must never keep the process alive on their own.
    Deno.unrefTimer(timer);
    return {
      handlers: {
        /** The last check's figures, and restarts and alerts since start. */
        report: () => report(),
        /** Runs a check now (with breakers and MCP servers), then reports. */
        check: async () => {
          await fullCheck();
          return report();
        },
      },
      stop: () => clearInterval(timer),
    };
  },
});

serveWorker(healthPlugin);
