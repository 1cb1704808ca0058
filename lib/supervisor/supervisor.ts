/**
 * An OTP-style supervisor: ordered start, restart types, three strategies,
 * restart intensity escalating to the parent, exponential backoff with jitter
 * between restarts, reverse-ordered stop with a shutdown timeout, dynamic
 * children. All operations run one at a time, like a process mailbox, so a
 * crash arriving mid-restart is handled after the restart, never during it.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "../util/backoff.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import type {
  ChildHandle,
  ChildInfo,
  ChildSpec,
  ChildState,
  ExitReason,
  RestartIntensity,
  RestartStrategy,
  RestartType,
  SupervisorEvent,
} from "./types.ts";

/** Options of a {@linkcode Supervisor}. */
export interface SupervisorOptions {
  /** Name used in events and errors, e.g. `"root"`, `"mcp-servers"`. */
  name: string;
  /** Default `one_for_one`. */
  strategy?: RestartStrategy;
  /** Default 3 restarts in 5 s (Elixir's default). */
  intensity?: RestartIntensity;
  /** Delay schedule between restarts of a child. Default 100 ms doubling to 5 s, equal jitter. */
  backoff?: BackoffOptions;
  /**
   * A child that ran this long before crashing starts its backoff from the
   * beginning again (default 10 s).
   */
  backoffResetMs?: number;
  clock?: Clock;
  /** Returns a number in [0, 1); injected for deterministic jitter in tests. */
  random?: () => number;
}

/** A child failed to start during {@linkcode Supervisor.start} or {@linkcode Supervisor.startChild}. */
export class ChildStartError extends Error {
  readonly code = "CHILD_START_FAILED";
  constructor(readonly supervisor: string, readonly childId: string, cause: unknown) {
    super(
      `${supervisor}: could not start "${childId}": ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "ChildStartError";
  }
}

/** Misuse of the supervisor API (duplicate id, unknown child, stopped supervisor). */
export class SupervisorUsageError extends Error {
  readonly code = "SUPERVISOR_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "SupervisorUsageError";
  }
}

interface ChildRecord {
  spec: ChildSpec;
  restart: RestartType;
  state: ChildState;
  handle?: ChildHandle;
  restarts: number;
  attempt: number;
  startedAt: number;
  lastError?: string;
}

const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 5_000, jitter: "equal" };

/**
 * A supervisor. It is itself a {@linkcode ChildHandle}, so supervisors nest:
 * when one gives up (restart intensity exceeded) its `exited` resolves with a
 * crash and its parent applies its own policy.
 *
 * @example
 * ```ts
 * import { Supervisor } from "./supervisor.ts";
 * import type { ChildHandle, ExitReason } from "./types.ts";
 *
 * function task(): ChildHandle {
 *   let done!: (r: ExitReason) => void;
 *   const exited = new Promise<ExitReason>((r) => (done = r));
 *   return { exited, stop: async (reason) => done({ kind: "shutdown", reason }), kill: () => done({ kind: "shutdown" }) };
 * }
 * const root = new Supervisor({ name: "root", strategy: "one_for_one" });
 * await root.start([{ id: "a", start: async () => task() }]);
 * console.log(root.children().map((c) => `${c.id}:${c.state}`)); // ["a:running"]
 * await root.stop("bye");
 * ```
 */
export class Supervisor implements ChildHandle {
  readonly name: string;
  readonly exited: Promise<ExitReason>;
  #strategy: RestartStrategy;
  #intensity: RestartIntensity;
  #backoff: BackoffOptions;
  #backoffResetMs: number;
  #clock: Clock;
  #random: () => number;
  #children: ChildRecord[] = [];
  #restartLog: number[] = [];
  #timers = new Set<TimerHandle>();
  #ops: Promise<void> = Promise.resolve();
  #listeners = new Set<(event: SupervisorEvent) => void>();
  #resolveExit!: (reason: ExitReason) => void;
  #done = false;

  constructor(options: SupervisorOptions) {
    this.name = options.name;
    this.#strategy = options.strategy ?? "one_for_one";
    this.#intensity = options.intensity ?? { maxRestarts: 3, periodMs: 5_000 };
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#backoffResetMs = options.backoffResetMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  /**
   * Starts `specs` in order, each after the previous one is ready. If one
   * fails, those already started are stopped in reverse order and the error
   * is thrown.
   *
   * @throws {ChildStartError}
   */
  async start(specs: readonly ChildSpec[] = []): Promise<void> {
    const started: string[] = [];
    try {
      for (const spec of specs) {
        await this.startChild(spec);
        started.push(spec.id);
      }
    } catch (error) {
      for (const id of started.reverse()) await this.removeChild(id);
      throw error;
    }
  }

  /**
   * Adds and starts a child at run time (dynamic supervision).
   *
   * @throws {ChildStartError} the child could not start (it is not kept)
   * @throws {SupervisorUsageError} duplicate id or stopped supervisor
   */
  startChild(spec: ChildSpec): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#done) throw new SupervisorUsageError(`${this.name}: supervisor is stopped`);
      if (this.#find(spec.id)) {
        throw new SupervisorUsageError(`${this.name}: a child "${spec.id}" already exists`);
      }
      const record: ChildRecord = {
        spec,
        restart: spec.restart ?? "permanent",
        state: "starting",
        restarts: 0,
        attempt: 0,
        startedAt: this.#clock.now(),
      };
      this.#children.push(record);
      try {
        await this.#startRecord(record);
      } catch (error) {
        this.#children = this.#children.filter((r) => r !== record);
        throw new ChildStartError(this.name, spec.id, error);
      }
    });
  }

  /** Stops a child (gracefully, then by force) and forgets it. Unknown ids are ignored. */
  removeChild(id: string): Promise<void> {
    return this.#enqueue(async () => {
      const record = this.#find(id);
      if (!record) return;
      await this.#stopRecord(record, "removed");
      this.#children = this.#children.filter((r) => r !== record);
    });
  }

  /** Stops a child but keeps its spec; {@linkcode Supervisor.restartChild} starts it again. */
  terminateChild(id: string): Promise<void> {
    return this.#enqueue(async () => {
      const record = this.#require(id);
      await this.#stopRecord(record, "terminated");
    });
  }

  /**
   * Starts a stopped or failed child again, or restarts a running one.
   *
   * @throws {ChildStartError}
   */
  restartChild(id: string): Promise<void> {
    return this.#enqueue(async () => {
      const record = this.#require(id);
      await this.#stopRecord(record, "restart requested");
      record.attempt = 0;
      try {
        await this.#startRecord(record);
      } catch (error) {
        record.state = "failed";
        record.lastError = describe(error);
        throw new ChildStartError(this.name, id, error);
      }
    });
  }

  /** Snapshot of every child, in start order. */
  children(): ChildInfo[] {
    return this.#children.map((r) => ({
      id: r.spec.id,
      state: r.state,
      restart: r.restart,
      restarts: r.restarts,
      lastError: r.lastError,
    }));
  }

  /** The running handle of child `id`, if it is running. */
  handleOf(id: string): ChildHandle | undefined {
    const record = this.#find(id);
    return record?.state === "running" ? record.handle : undefined;
  }

  /**
   * Subscribes to lifecycle events.
   * @returns a function that unsubscribes
   */
  subscribe(listener: (event: SupervisorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops every child in reverse start order, then resolves `exited` with a shutdown. */
  stop(reason = "shutdown"): Promise<void> {
    return this.#enqueue(async () => {
      if (this.#done) return;
      await this.#shutdownAll(reason);
      this.#finish({ kind: "shutdown", reason });
    });
  }

  /** Kills every child at once (the graceful path timed out in the parent). */
  kill(): void {
    this.#clearTimers();
    for (const record of this.#children) {
      record.handle?.kill();
      record.handle = undefined;
      record.state = "stopped";
    }
    this.#finish({ kind: "shutdown", reason: "killed" });
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const result = this.#ops.then(op);
    this.#ops = result.then(() => undefined, () => undefined);
    return result;
  }

  #find(id: string): ChildRecord | undefined {
    return this.#children.find((r) => r.spec.id === id);
  }

  #require(id: string): ChildRecord {
    const record = this.#find(id);
    if (!record) throw new SupervisorUsageError(`${this.name}: no child "${id}"`);
    return record;
  }

  #emit(event: SupervisorEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch {
        // A subscriber's bug must never take the supervisor down.
      }
    }
  }

  async #startRecord(record: ChildRecord): Promise<void> {
    record.state = "starting";
    const handle = await record.spec.start();
    record.handle = handle;
    record.state = "running";
    record.startedAt = this.#clock.now();
    this.#emit({ type: "started", supervisor: this.name, id: record.spec.id });
    void handle.exited.then((reason) =>
      this.#enqueue(() => this.#childExited(record, handle, reason))
    );
  }

  async #stopRecord(record: ChildRecord, reason: string): Promise<void> {
    const handle = record.handle;
    if (!handle) {
      if (record.state !== "failed") record.state = "stopped";
      return;
    }
    record.state = "stopping";
    record.handle = undefined;
    const shutdownMs = record.spec.shutdownMs ?? 5_000;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = this.#clock.setTimeout(() => resolve("timeout"), shutdownMs);
    });
    const graceful = handle.stop(reason).then(() => "stopped" as const, () => "failed" as const);
    const outcome = await Promise.race([graceful, timedOut]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    if (outcome !== "stopped") handle.kill();
    record.state = "stopped";
    this.#emit({ type: "stopped", supervisor: this.name, id: record.spec.id });
  }

  async #childExited(record: ChildRecord, handle: ChildHandle, reason: ExitReason): Promise<void> {
    if (record.handle !== handle || this.#done) return; // stopped on purpose, or stale
    record.handle = undefined;
    const id = record.spec.id;
    if (reason.kind === "crash") {
      record.lastError = reason.error;
      this.#emit({ type: "crashed", supervisor: this.name, id, error: reason.error });
    } else {
      this.#emit({ type: "exited", supervisor: this.name, id, reason });
    }
    const restart = record.restart === "permanent" ||
      (record.restart === "transient" && reason.kind === "crash");
    if (!restart) {
      record.state = "stopped";
      if (record.restart === "temporary") {
        this.#children = this.#children.filter((r) => r !== record);
      }
      return;
    }
    await this.#scheduleRestart(record, reason.kind === "crash" ? reason.error : "exited");
  }

  /** Applies intensity, strategy and backoff to a child that must restart. */
  async #scheduleRestart(record: ChildRecord, error: string): Promise<void> {
    const now = this.#clock.now();
    this.#restartLog = this.#restartLog.filter((t) => now - t < this.#intensity.periodMs);
    this.#restartLog.push(now);
    if (this.#restartLog.length > this.#intensity.maxRestarts) {
      await this.#giveUp(record, error);
      return;
    }
    const ranFor = now - record.startedAt;
    record.attempt = ranFor >= this.#backoffResetMs ? 0 : record.attempt + 1;
    record.restarts++;
    const index = this.#children.indexOf(record);
    let group = this.#strategy === "one_for_one"
      ? [record]
      : this.#strategy === "rest_for_one"
      ? this.#children.slice(index)
      : [...this.#children];
    for (const other of [...group].reverse()) {
      if (other !== record && other.handle) {
        await this.#stopRecord(other, `restart of ${record.spec.id}`);
      }
    }
    // As in OTP, a temporary sibling is never restarted, also when a group restart stopped it:
    // it leaves the supervisor instead.
    const leaving = group.filter((member) => member.restart === "temporary");
    group = group.filter((member) => member.restart !== "temporary");
    this.#children = this.#children.filter((child) => !leaving.includes(child));
    for (const member of group) member.state = "restarting";
    const delayMs = backoffDelay(record.attempt - 1, this.#backoff, this.#random);
    this.#emit({
      type: "restarting",
      supervisor: this.name,
      id: record.spec.id,
      attempt: record.attempt,
      delayMs,
    });
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      void this.#enqueue(() => this.#restartGroup(group, record));
    }, delayMs);
    this.#timers.add(timer);
  }

  async #restartGroup(group: ChildRecord[], cause: ChildRecord): Promise<void> {
    if (this.#done) return;
    for (const member of group) {
      if (!this.#children.includes(member) || member.state !== "restarting") continue;
      try {
        await this.#startRecord(member);
        if (member === cause) {
          this.#emit({
            type: "restarted",
            supervisor: this.name,
            id: member.spec.id,
            attempt: member.attempt,
          });
        }
      } catch (error) {
        const message = `failed to restart: ${describe(error)}`;
        member.lastError = message;
        this.#emit({ type: "crashed", supervisor: this.name, id: member.spec.id, error: message });
        await this.#scheduleRestart(member, message);
        return;
      }
    }
  }

  async #giveUp(record: ChildRecord, error: string): Promise<void> {
    const { maxRestarts, periodMs } = this.#intensity;
    const message = `${this.name}: gave up after more than ${maxRestarts} restarts in ${
      periodMs / 1000
    } s; last crash of "${record.spec.id}": ${error}`;
    record.state = "failed";
    this.#emit({ type: "gave-up", supervisor: this.name, id: record.spec.id, error: message });
    await this.#shutdownAll("restart intensity exceeded");
    record.state = "failed";
    this.#finish({ kind: "crash", error: message });
  }

  async #shutdownAll(reason: string): Promise<void> {
    this.#clearTimers();
    for (const record of [...this.#children].reverse()) await this.#stopRecord(record, reason);
  }

  #clearTimers(): void {
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    this.#timers.clear();
  }

  #finish(reason: ExitReason): void {
    if (this.#done) return;
    this.#done = true;
    this.#resolveExit(reason);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
