/**
 * Per-server connection lifecycle: `idle → connecting → ready`, on loss
 * `reconnecting (n/N)` with exponential backoff and jitter, `failed: reason`
 * after the limit or on a permanent error, `disabled`. Pure logic over an
 * injected clock, randomness and connect function, so it is tested without
 * processes or real time.
 *
 * @module
 */

import { backoffDelay } from "../util/backoff.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import { DEFAULT_RECONNECT, type ReconnectOptions } from "./config.ts";
import { McpServerUnavailableError } from "./errors.ts";

/** Visible state of one server. */
export type ServerState =
  | { status: "idle" }
  | { status: "connecting"; attempt: number; maxAttempts: number }
  | { status: "ready"; since: number }
  | {
    status: "reconnecting";
    /** 1-based attempt about to be made. */
    attempt: number;
    maxAttempts: number;
    /** When the attempt is due (clock time). */
    retryAt: number;
    /** Why the previous connection ended or the previous attempt failed. */
    reason: string;
  }
  | { status: "failed"; reason: string; code: string }
  | { status: "disabled" };

/**
 * Codes of errors no retry can fix: the server goes straight to `failed`.
 */
export const PERMANENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "MCP_COMMAND_NOT_FOUND",
  "MCP_INITIALIZE_TIMEOUT",
  "MCP_CONFIG",
  "MCP_AUTH_REQUIRED",
  "MCP_NOT_ALLOWED",
  "MCP_SANDBOX_REQUIRED",
]);

/**
 * A one-line description of a state, as `/mcp servers` shows it.
 *
 * @example
 * ```ts
 * import { describeState } from "./lifecycle.ts";
 * describeState({ status: "failed", reason: "boom", code: "X" }); // "failed: boom"
 * ```
 */
export function describeState(state: ServerState): string {
  switch (state.status) {
    case "reconnecting":
      return `reconnecting (${state.attempt}/${state.maxAttempts}): ${state.reason}`;
    case "failed":
      return `failed: ${state.reason}`;
    case "connecting":
      return state.attempt > 0
        ? `reconnecting (${state.attempt}/${state.maxAttempts}): connecting`
        : "connecting";
    default:
      return state.status;
  }
}

/** Dependencies of a {@linkcode ServerLifecycle}. */
export interface LifecycleOptions {
  /** Server name. */
  name: string;
  /** Opens a connection; rejects with an error carrying `code` on failure. */
  /**
   * Opens a connection; rejects with an error carrying `code` on failure.
   * `signal` aborts when the lifecycle is stopped meanwhile: the attempt must
   * then close what it opened.
   */
  connect: (attempt: number, signal: AbortSignal) => Promise<void>;
  /** Called on every state change. */
  onState?: (state: ServerState, previous: ServerState) => void;
  /** Reconnect policy (default 5 attempts, 500 ms–30 s). */
  reconnect?: ReconnectOptions;
  /** Clock for backoff and waits. */
  clock?: Clock;
  /** Randomness for backoff jitter, in `[0, 1)`. */
  random?: () => number;
}

/** An error's code, message. */
function describeError(error: unknown): { code: string; reason: string } {
  const e = typeof error === "object" && error !== null ? error : {};
  const code = "transportCode" in e && typeof e.transportCode === "string"
    ? e.transportCode
    : "code" in e && typeof e.code === "string"
    ? e.code
    : "MCP_CONNECTION";
  let reason = "message" in e && typeof e.message === "string" ? e.message : String(error);
  // The server name is already on the line showing the state.
  reason = reason.replace(/^MCP server "[^"]*": /, "");
  return { code, reason };
}

/**
 * State machine of one server's connection.
 *
 * @example
 * ```ts
 * import { ServerLifecycle } from "./lifecycle.ts";
 * const life = new ServerLifecycle({ name: "x", connect: () => Promise.resolve() });
 * await life.start();
 * console.log(life.state.status); // "ready"
 * ```
 */
export class ServerLifecycle {
  #state: ServerState = { status: "idle" };
  readonly #opts: LifecycleOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #reconnect: ReconnectOptions;
  #timer?: TimerHandle;
  #inflight?: Promise<void>;
  #attemptAbort?: AbortController;
  #generation = 0;
  #waiters = new Set<() => void>();

  /** Creates the state machine in `idle`. */
  constructor(options: LifecycleOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#reconnect = options.reconnect ?? DEFAULT_RECONNECT;
  }

  /** Current state. */
  get state(): ServerState {
    return this.#state;
  }

  /**
   * Connects now (from idle, failed, or reconnecting: an explicit connect
   * skips the wait). Resolves when the attempt settles; never rejects — read
   * {@linkcode ServerLifecycle.state}.
   */
  start(): Promise<void> {
    if (this.#state.status === "disabled") return Promise.resolve();
    if (this.#state.status === "ready") return Promise.resolve();
    if (this.#inflight) return this.#inflight;
    this.#clearTimer();
    return this.#attempt(0);
  }

  /** The connection was lost: schedule a reconnect (ignored unless ready). */
  lost(reason: string): void {
    if (this.#state.status !== "ready") return;
    this.#scheduleRetry(1, reason);
  }

  /** Stops: cancels pending retries; state becomes `idle` (or stays `disabled`). */
  stop(): void {
    this.#generation++;
    this.#attemptAbort?.abort(new Error("stopped"));
    this.#attemptAbort = undefined;
    this.#clearTimer();
    this.#inflight = undefined;
    if (this.#state.status !== "disabled") this.#set({ status: "idle" });
  }

  /** Disables the server (no connection until {@linkcode ServerLifecycle.enable}). */
  disable(): void {
    this.stop();
    this.#set({ status: "disabled" });
  }

  /** Re-enables a disabled server (state `idle`). */
  enable(): void {
    if (this.#state.status === "disabled") this.#set({ status: "idle" });
  }

  /**
   * Waits until the server is ready, starting it if idle. Rejects with
   * {@linkcode McpServerUnavailableError} when it is failed or disabled, or
   * not ready within `timeoutMs`.
   */
  async ensureReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#state.status === "idle") void this.start();
    const deadline = this.#clock.now() + timeoutMs;
    while (true) {
      const s = this.#state;
      if (s.status === "ready") return;
      if (s.status === "failed" || s.status === "disabled" || s.status === "idle") {
        throw new McpServerUnavailableError(this.#opts.name, describeState(s));
      }
      const left = deadline - this.#clock.now();
      if (left <= 0 || signal?.aborted) {
        throw new McpServerUnavailableError(this.#opts.name, describeState(s));
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          this.#clock.clearTimeout(t);
          this.#waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const t = this.#clock.setTimeout(done, left);
        this.#waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  #attempt(attempt: number): Promise<void> {
    const generation = this.#generation;
    this.#set({ status: "connecting", attempt, maxAttempts: this.#reconnect.max_attempts });
    const run = (async () => {
      try {
        this.#attemptAbort = new AbortController();
        await this.#opts.connect(attempt, this.#attemptAbort.signal);
        if (generation !== this.#generation) return;
        this.#set({ status: "ready", since: this.#clock.now() });
      } catch (error) {
        if (generation !== this.#generation) return;
        const { code, reason } = describeError(error);
        if (PERMANENT_ERROR_CODES.has(code)) {
          this.#set({ status: "failed", reason, code });
        } else {
          this.#scheduleRetry(attempt + 1, reason);
        }
      } finally {
        if (generation === this.#generation) this.#inflight = undefined;
      }
    })();
    this.#inflight = run;
    return run;
  }

  #scheduleRetry(attempt: number, reason: string): void {
    const max = this.#reconnect.max_attempts;
    if (attempt > max) {
      this.#set({
        status: "failed",
        // With reconnects off (`max_attempts = 0`) the reason alone says it.
        reason: max === 0 ? reason : `gave up after ${max} reconnect attempts: ${reason}`,
        code: "MCP_RECONNECT_EXHAUSTED",
      });
      return;
    }
    const delay = backoffDelay(
      attempt - 1,
      { baseMs: this.#reconnect.base_ms, maxMs: this.#reconnect.max_ms, jitter: "full" },
      this.#random,
    );
    this.#set({
      status: "reconnecting",
      attempt,
      maxAttempts: max,
      retryAt: this.#clock.now() + delay,
      reason,
    });
    const generation = this.#generation;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (generation === this.#generation && this.#state.status === "reconnecting") {
        void this.#attempt(attempt);
      }
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #set(state: ServerState): void {
    const previous = this.#state;
    this.#state = state;
    this.#opts.onState?.(state, previous);
    for (const w of [...this.#waiters]) w();
  }
}
