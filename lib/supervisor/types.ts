/**
 * Vocabulary of the supervisor: child specs, restart types, strategies,
 * exit reasons and events, with OTP meanings.
 *
 * @module
 */

/**
 * When a child is restarted after it exits:
 * - `permanent`: always;
 * - `transient`: only after an abnormal exit (a crash);
 * - `temporary`: never (it is removed from the supervisor).
 */
export type RestartType = "permanent" | "transient" | "temporary";

/**
 * What else restarts when one child crashes:
 * - `one_for_one`: only that child;
 * - `rest_for_one`: that child and every child started after it;
 * - `one_for_all`: every child.
 */
export type RestartStrategy = "one_for_one" | "rest_for_one" | "one_for_all";

/** At most `maxRestarts` restarts within `periodMs`; one more and the supervisor gives up. */
export interface RestartIntensity {
  maxRestarts: number;
  periodMs: number;
}

/** Why a child stopped running. */
export type ExitReason =
  /** It finished on its own, cleanly. */
  | { kind: "normal" }
  /** Its supervisor (or owner) stopped it. */
  | { kind: "shutdown"; reason?: string }
  /** It crashed, failed to start, stopped answering heartbeats or vanished. */
  | { kind: "crash"; error: string };

/**
 * A running child as the supervisor sees it. Plugin workers, inline plugins
 * and nested supervisors all implement it.
 */
export interface ChildHandle {
  /** Settles once, when the child stops running for any reason. Never rejects. */
  readonly exited: Promise<ExitReason>;
  /** Asks the child to stop cleanly; resolves when it has. */
  stop(reason: string): Promise<void>;
  /** Stops the child at once (after a graceful stop timed out). */
  kill(): void;
}

/** How to start and supervise one child. */
export interface ChildSpec {
  /** Unique among the supervisor's children, e.g. `"store"`, `"mcp-server:fs"`. */
  id: string;
  /** Starts the child; resolves when it is ready, rejects when it cannot start. */
  start(): Promise<ChildHandle>;
  /** Default `permanent`. */
  restart?: RestartType;
  /** Milliseconds a graceful stop may take before `kill()` (default 5 000). */
  shutdownMs?: number;
}

/** Lifecycle state of one child. */
export type ChildState =
  | "starting"
  | "running"
  | "restarting"
  | "stopping"
  | "stopped"
  | "failed";

/** A snapshot of one child, for `/health` and the UI. */
export interface ChildInfo {
  id: string;
  state: ChildState;
  restart: RestartType;
  /** Restarts since the supervisor started. */
  restarts: number;
  /** The last crash reason, if any. */
  lastError?: string;
}

/** What a supervisor reports to its subscribers (UI, health monitor). */
export type SupervisorEvent =
  | { type: "started"; supervisor: string; id: string }
  | { type: "crashed"; supervisor: string; id: string; error: string }
  | { type: "exited"; supervisor: string; id: string; reason: ExitReason }
  | { type: "restarting"; supervisor: string; id: string; attempt: number; delayMs: number }
  | { type: "restarted"; supervisor: string; id: string; attempt: number }
  | { type: "gave-up"; supervisor: string; id: string; error: string }
  | { type: "stopped"; supervisor: string; id: string };
