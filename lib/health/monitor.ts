/**
 * The health monitor: each check compares every worker's last heartbeat
 * figures with the thresholds of `[health]`, raises one alert when a worker
 * turns unhealthy, and restarts a worker that stays unhealthy for
 * `restartAfterChecks` checks in a row. It also keeps the restarts and
 * alerts since start. No I/O: samples come in, decisions go out.
 *
 * @module
 */

import type {
  HealthAlert,
  HealthProblem,
  HealthThresholds,
  RestartRecord,
  WorkerSample,
} from "./types.ts";

/** The most alerts and restarts kept (the oldest go first). */
export const HISTORY_LIMIT = 200;

/**
 * Restarts the health service asks for per worker within
 * {@linkcode RESTART_WINDOW_MS}. A worker still over a limit after a fresh
 * start is not helped by another (the limit is likely too low for it), so it
 * is left running and the user is told once. One per worker also keeps the
 * health service's restarts (at most one per root service) under the root
 * supervisor's intensity (5 in 30 s): a limit set too low cannot make the
 * supervisor give up.
 */
export const MAX_HEALTH_RESTARTS = 1;
/** The window of {@linkcode MAX_HEALTH_RESTARTS}. */
export const RESTART_WINDOW_MS = 10 * 60_000;

/**
 * What is wrong with a worker now, by the thresholds.
 *
 * @example
 * ```ts
 * import { problemsOf } from "./monitor.ts";
 * const limits = { maxHeapBytes: 100 * 2 ** 20, maxQueue: 1000, missedHeartbeats: 3, restartAfterChecks: 3 };
 * console.log(problemsOf({ id: "store", supervisor: "root", state: "running", restarts: 0, inWorker: true, heapUsed: 150 * 2 ** 20 }, limits));
 * // [ { kind: "heap", heapUsed: 157286400, limit: 104857600 } ]
 * ```
 */
export function problemsOf(sample: WorkerSample, limits: HealthThresholds): HealthProblem[] {
  if (sample.state !== "running") return [];
  const problems: HealthProblem[] = [];
  if (sample.heapUsed !== undefined && sample.heapUsed > limits.maxHeapBytes) {
    problems.push({ kind: "heap", heapUsed: sample.heapUsed, limit: limits.maxHeapBytes });
  }
  const queued = sample.queued ?? 0;
  if (queued > limits.maxQueue) {
    problems.push({ kind: "queue", queued, limit: limits.maxQueue });
  }
  // One unanswered beat is normal (the next pong is on its way); more is a warning.
  const unanswered = sample.unansweredHeartbeats ?? 0;
  if (unanswered >= 2 && unanswered < limits.missedHeartbeats + 1) {
    problems.push({ kind: "heartbeat", unanswered, limit: limits.missedHeartbeats });
  }
  return problems;
}

/**
 * One line saying what is wrong.
 *
 * @example
 * ```ts
 * import { describeProblem } from "./monitor.ts";
 * console.log(describeProblem({ kind: "queue", queued: 1500, limit: 1000 }));
 * // 1500 calls queued (limit 1000)
 * ```
 */
export function describeProblem(problem: HealthProblem): string {
  switch (problem.kind) {
    case "heap":
      return `heap ${mb(problem.heapUsed)} MB (limit ${mb(problem.limit)} MB)`;
    case "queue":
      return `${problem.queued} calls queued (limit ${problem.limit})`;
    case "heartbeat":
      return `${problem.unanswered} heartbeats unanswered (dead at ${problem.limit})`;
  }
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0);
}

/** What one check decided. */
export interface CheckOutcome {
  /** Alerts raised by this check (already recorded). */
  alerts: HealthAlert[];
  /** Workers to restart now, with the reason. */
  restart: { id: string; supervisor: string; reason: string }[];
  /** Each worker with its problems. */
  workers: (WorkerSample & { problems: HealthProblem[]; healthy: boolean })[];
}

/**
 * Evaluates samples against thresholds and remembers what happened.
 *
 * @example
 * ```ts
 * import { HealthMonitor } from "./monitor.ts";
 * const monitor = new HealthMonitor({
 *   thresholds: { maxHeapBytes: 100 * 2 ** 20, maxQueue: 1000, missedHeartbeats: 3, restartAfterChecks: 2 },
 *   now: () => 0,
 * });
 * const hungry = { id: "llm", supervisor: "root", state: "running", restarts: 0, inWorker: true, heapUsed: 2 ** 30 };
 * console.log(monitor.check([hungry]).alerts.length); // 1 (turned unhealthy)
 * console.log(monitor.check([hungry]).restart); // [ { id: "llm", supervisor: "root", reason: "unhealthy for 2 checks: heap 1024 MB (limit 100 MB)" } ]
 * ```
 */
export class HealthMonitor {
  readonly thresholds: HealthThresholds;
  readonly since: number;
  #now: () => number;
  /** Consecutive unhealthy checks per worker (absent: healthy). */
  #streak = new Map<string, number>();
  /** When the health service restarted each worker, within the window. */
  #ourRestarts = new Map<string, number[]>();
  /** Workers it gave up restarting (told once). */
  #leftAlone = new Set<string>();
  #alerts: HealthAlert[] = [];
  #restarts: RestartRecord[] = [];

  constructor(options: { thresholds: HealthThresholds; now: () => number }) {
    this.thresholds = options.thresholds;
    this.#now = options.now;
    this.since = options.now();
  }

  /** Runs one check over the current samples. */
  check(samples: WorkerSample[]): CheckOutcome {
    const outcome: CheckOutcome = { alerts: [], restart: [], workers: [] };
    const seen = new Set<string>();
    for (const sample of samples) {
      const key = `${sample.supervisor}/${sample.id}`;
      seen.add(key);
      const problems = sample.inWorker ? problemsOf(sample, this.thresholds) : [];
      outcome.workers.push({ ...sample, problems, healthy: problems.length === 0 });
      if (problems.length === 0) {
        this.#streak.delete(key);
        this.#leftAlone.delete(key);
        continue;
      }
      const streak = (this.#streak.get(key) ?? 0) + 1;
      this.#streak.set(key, streak);
      const what = problems.map(describeProblem).join(", ");
      if (streak === 1) {
        outcome.alerts.push(this.alert({ id: sample.id, kind: problems[0].kind, message: what }));
      }
      if (streak >= this.thresholds.restartAfterChecks) {
        this.#streak.delete(key);
        const now = this.#now();
        const recent = (this.#ourRestarts.get(key) ?? []).filter((at) =>
          now - at < RESTART_WINDOW_MS
        );
        if (recent.length >= MAX_HEALTH_RESTARTS) {
          if (!this.#leftAlone.has(key)) {
            this.#leftAlone.add(key);
            outcome.alerts.push(this.alert({
              id: sample.id,
              kind: sample.inWorker ? problems[0].kind : "restart",
              message:
                `still ${what} after ${
                  recent.length === 1 ? "a restart" : `${recent.length} restarts`
                }: left running ` +
                `(raise the limit in [health] if this is its normal size)`,
            }));
          }
          continue;
        }
        recent.push(now);
        this.#ourRestarts.set(key, recent);
        const reason = `unhealthy for ${streak} checks: ${what}`;
        outcome.restart.push({ id: sample.id, supervisor: sample.supervisor, reason });
        outcome.alerts.push(
          this.alert({ id: sample.id, kind: "restart", message: `restarting: ${reason}` }),
        );
      }
    }
    for (const key of this.#streak.keys()) if (!seen.has(key)) this.#streak.delete(key);
    return outcome;
  }

  /** Records an alert (also those from elsewhere: crashes, breakers, MCP servers). */
  alert(alert: Omit<HealthAlert, "at">): HealthAlert {
    const recorded = { at: this.#now(), ...alert };
    this.#alerts.push(recorded);
    if (this.#alerts.length > HISTORY_LIMIT) this.#alerts.shift();
    return recorded;
  }

  /** Records a restart a supervisor made. */
  restarted(record: Omit<RestartRecord, "at">): void {
    this.#restarts.push({ at: this.#now(), ...record });
    if (this.#restarts.length > HISTORY_LIMIT) this.#restarts.shift();
  }

  /** Alerts since start, oldest first. */
  get alerts(): readonly HealthAlert[] {
    return this.#alerts;
  }

  /** Restarts since start, oldest first. */
  get restarts(): readonly RestartRecord[] {
    return this.#restarts;
  }
}
