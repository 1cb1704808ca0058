/**
 * What the health service watches and reports.
 *
 * @module
 */

import type { SupervisorEvent } from "../supervisor/types.ts";

/** Limits from `[health]`. */
export interface HealthThresholds {
  /** A worker whose heap is above this is unhealthy (`max_heap_mb`). */
  maxHeapBytes: number;
  /** A worker with more calls waiting on it than this is unhealthy (`max_queue`). */
  maxQueue: number;
  /** Heartbeats a worker may leave unanswered before it is declared dead (`missed_heartbeats`). */
  missedHeartbeats: number;
  /** Checks in a row a worker may stay unhealthy before it is restarted. */
  restartAfterChecks: number;
}

/** One supervised worker, as its supervisor and its last heartbeat see it. */
export interface WorkerSample {
  /** Child id, e.g. `store`, `mcp-server:fs`. */
  id: string;
  /** The supervisor it belongs to (`root`, `mcp-servers`). */
  supervisor: string;
  state: string;
  restarts: number;
  lastError?: string;
  /** `false` for plugins that run inline, actors and nested supervisors. */
  inWorker: boolean;
  /** A plugin running inline on the main thread (health itself). */
  inline?: boolean;
  /** Heap of the worker's isolate at its last heartbeat, in bytes. */
  heapUsed?: number;
  /** Calls into the worker waiting for an answer (host side). */
  queued?: number;
  /** Calls the worker made to the host that wait for an answer. */
  outgoing?: number;
  /** Heartbeats sent and not answered yet. */
  unansweredHeartbeats?: number;
}

/** An LLM backend's circuit breaker. */
export interface BreakerSample {
  backend: string;
  state: string;
  consecutiveFailures: number;
  retryInMs?: number;
}

/** An MCP server's connection. */
export interface McpServerSample {
  name: string;
  status: string;
  state: string;
}

/** Why a worker is unhealthy right now. */
export type HealthProblem =
  | { kind: "heap"; heapUsed: number; limit: number }
  | { kind: "queue"; queued: number; limit: number }
  | { kind: "heartbeat"; unanswered: number; limit: number };

/** Something the user is told about, kept for `doctor` and `mcpchat health`. */
export interface HealthAlert {
  /** Clock time. */
  at: number;
  /** The worker (or server, or backend) concerned. */
  id: string;
  kind: "heap" | "queue" | "heartbeat" | "crash" | "gave-up" | "restart" | "breaker" | "mcp";
  /** One line for the user. */
  message: string;
}

/** A restart done by a supervisor (or asked for by the health service). */
export interface RestartRecord {
  at: number;
  id: string;
  supervisor: string;
  /** Why: the crash, or the health problem that made us restart it. */
  reason: string;
}

/** Everything `/health`, `doctor` and `mcpchat health --json` show. */
export interface HealthReport {
  /** Clock time the health service started. */
  since: number;
  /** Clock time of this report. */
  at: number;
  thresholds: HealthThresholds;
  workers: (WorkerSample & { problems: HealthProblem[]; healthy: boolean })[];
  breakers: BreakerSample[];
  mcpServers: McpServerSample[];
  /** Every restart since start (the health service's own first). */
  restarts: RestartRecord[];
  /** Every alert since start, oldest first (bounded). */
  alerts: HealthAlert[];
  /** Total restarts counted by the supervisors (all children). */
  restartCount: number;
}

/** Events the host sends the health service (the plugin's `hostEvents`). */
export interface HealthHostEvents {
  /** Every event of the root and the MCP server supervisors. */
  supervisor: SupervisorEvent;
  /** An LLM backend's circuit breaker changed state (the llm plugin's `breaker` event). */
  breaker: { backend: string; state: string };
  /** An MCP server's state changed (the manager's `server-state` event). */
  "mcp-server-state": { name: string; state: { status: string }; status: string };
}

/** What the health service calls on the host (the plugin's `hostCalls`). */
export interface HealthHostCalls {
  /** Every supervised worker, as its supervisor and its last heartbeat see it. */
  healthSamples: () => WorkerSample[];
  /** Ends a worker as a crash, so its supervisor restarts it. */
  healthRestart: (
    p: { id: string; supervisor: string; reason: string },
  ) => { restarted: boolean };
  /** The LLM backends' breakers (none while the llm worker is not running). */
  healthBreakers: () => Promise<BreakerSample[]>;
  /** The MCP servers (none while the manager is not running). */
  healthMcpServers: () => Promise<McpServerSample[]>;
}

/** Events the health service emits. */
export interface HealthEvents {
  /** A worker turned unhealthy, or a breaker opened or closed. */
  alert: HealthAlert;
}
