/**
 * Writer leases. A process that opens a session for writing holds
 * `["lease", id]` with an expiry and renews it on a heartbeat; a second
 * writer sees a live lease and gets {@linkcode SessionBusyError}. A lease
 * whose holder crashed lapses and is taken over. Every append checks the
 * lease's versionstamp in its atomic commit, so a process that lost its
 * lease (e.g. after the machine slept) cannot write behind the new holder.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import { SessionBusyError } from "./errors.ts";
import { leaseKey } from "./keys.ts";
import { leaseValue, readValueOrNull } from "./values.ts";

/** Identity of a lease holder, shown to a second writer. */
export interface LeaseOwner {
  /** Process id. */
  pid: number;
  /** Host name. */
  host: string;
}

/** Value stored at `["lease", id]`. */
export interface LeaseValue extends LeaseOwner {
  /** Random id of the holding store instance. */
  ownerId: string;
  /** When the current holder took the lease. */
  acquiredAt: number;
  /** Last renewal. */
  renewedAt: number;
  /** When the lease lapses unless renewed. */
  expiresAt: number;
}

/** Options of {@linkcode acquireLease}. */
export interface LeaseOptions {
  /** Who we are. */
  owner: LeaseOwner;
  /** Random id of this store instance. */
  ownerId: string;
  /** Time source (inject a fake one in tests). */
  clock: Clock;
  /** Lease lifetime in ms; renewed every third of it. */
  ttlMs: number;
  /** Lock retry wrapper. */
  retry<T>(op: () => Promise<T>): Promise<T>;
  /** Human description of where the store is, for errors. */
  location: string;
  /**
   * A holder the caller knows is dead (a crashed process on this host): its
   * lease is taken over before it lapses. Only that exact holder.
   */
  takeOverFrom?: { pid: number; host: string };
}

/**
 * A held lease. Call {@linkcode SessionLease.startHeartbeat} to keep it,
 * {@linkcode SessionLease.release} to give it up.
 */
export class SessionLease {
  #kv: Deno.Kv;
  #id: string;
  #value: LeaseValue;
  #versionstamp: string;
  #options: LeaseOptions;
  #timer: TimerHandle | undefined;
  #lost = false;
  #released = false;
  #onLost: (() => void) | undefined;

  /** Wraps a lease just committed with `versionstamp`. Use {@linkcode acquireLease}. */
  constructor(
    kv: Deno.Kv,
    id: string,
    value: LeaseValue,
    versionstamp: string,
    options: LeaseOptions,
  ) {
    this.#kv = kv;
    this.#id = id;
    this.#value = value;
    this.#versionstamp = versionstamp;
    this.#options = options;
  }

  /** The lease key. */
  get key(): Deno.KvKey {
    return leaseKey(this.#id);
  }

  /** Versionstamp of our latest write; appends check it. */
  get versionstamp(): string {
    return this.#versionstamp;
  }

  /** The current lease value. */
  get value(): LeaseValue {
    return this.#value;
  }

  /** True once another process took the lease over. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Marks the lease as lost (an append's check failed against another holder). */
  markLost(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.#stopTimer();
    this.#onLost?.();
  }

  /**
   * Renews the lease. Resolves false (and marks it lost) when another
   * process holds it now.
   */
  async renew(): Promise<boolean> {
    if (this.#lost || this.#released) return !this.#lost;
    const now = this.#options.clock.now();
    const next: LeaseValue = {
      ...this.#value,
      renewedAt: now,
      expiresAt: now + this.#options.ttlMs,
    };
    const res = await this.#options.retry(() =>
      this.#kv.atomic().check({ key: this.key, versionstamp: this.#versionstamp })
        .set(this.key, next).commit()
    );
    if (res.ok) {
      this.#value = next;
      this.#versionstamp = res.versionstamp;
      return true;
    }
    const current = await this.#options.retry(() => this.#kv.get(this.key));
    const held = readValueOrNull(current, this.#options.location, leaseValue);
    if (held?.ownerId === this.#options.ownerId && current.versionstamp) {
      // Our own write raced (e.g. a retried commit that had landed): adopt it.
      this.#value = held;
      this.#versionstamp = current.versionstamp;
      return true;
    }
    this.markLost();
    return false;
  }

  /**
   * Renews every `ttlMs / 3` on the injected clock. `serialize` runs the
   * renewal in the session's write queue so it never races an append.
   * `onLost` is called once if the lease is taken over.
   */
  startHeartbeat(serialize: (fn: () => Promise<void>) => Promise<void>, onLost?: () => void): void {
    this.#onLost = onLost;
    const tick = () => {
      this.#timer = undefined;
      serialize(async () => {
        await this.renew();
      }).catch(() => {
        // A failed renewal (closed store, I/O error) is retried on the next tick;
        // if the lease lapses meanwhile the next append's check reports it.
      }).finally(() => {
        if (!this.#lost && !this.#released) schedule();
      });
    };
    const schedule = () => {
      this.#timer = this.#options.clock.setTimeout(
        tick,
        Math.max(1, Math.floor(this.#options.ttlMs / 3)),
      );
    };
    schedule();
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the heartbeat and deletes the lease if we still hold it. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#stopTimer();
    if (this.#lost) return;
    await this.#options.retry(() =>
      this.#kv.atomic().check({ key: this.key, versionstamp: this.#versionstamp }).delete(this.key)
        .commit()
    );
  }

  /** Stops the heartbeat without touching KV (the store is closing under us). */
  abandon(): void {
    this.#released = true;
    this.#stopTimer();
  }
}

/**
 * True when `lease` is held by someone else and has not lapsed at `now`.
 *
 * @example
 * ```ts
 * import { isLiveForeignLease } from "./lease.ts";
 * isLiveForeignLease({ ownerId: "a", pid: 1, host: "h", acquiredAt: 0, renewedAt: 0, expiresAt: 10 }, "b", 5); // true
 * ```
 */
export function isLiveForeignLease(
  lease: LeaseValue | null,
  ownerId: string,
  now: number,
): boolean {
  return lease !== null && lease.ownerId !== ownerId && lease.expiresAt > now;
}

/**
 * Takes the writer lease of session `id`, or throws
 * {@linkcode SessionBusyError} naming the live holder. A lapsed lease is
 * taken over.
 *
 * @example
 * ```ts
 * import { acquireLease } from "./lease.ts";
 * import { systemClock } from "../util/clock.ts";
 * const kv = await Deno.openKv(":memory:");
 * const lease = await acquireLease(kv, "s1", {
 *   owner: { pid: Deno.pid, host: "localhost" }, ownerId: "me", clock: systemClock,
 *   ttlMs: 30_000, retry: (op) => op(), location: ":memory:",
 * });
 * await lease.release();
 * kv.close();
 * ```
 */
export async function acquireLease(
  kv: Deno.Kv,
  id: string,
  options: LeaseOptions,
): Promise<SessionLease> {
  const key = leaseKey(id);
  for (;;) {
    const current = await options.retry(() => kv.get(key));
    const now = options.clock.now();
    const dead = options.takeOverFrom;
    const holder = readValueOrNull(current, options.location, leaseValue);
    const takeOver = dead !== undefined && holder !== null &&
      holder.pid === dead.pid && holder.host === dead.host;
    if (!takeOver && holder && isLiveForeignLease(holder, options.ownerId, now)) {
      throw new SessionBusyError(id, {
        pid: holder.pid,
        host: holder.host,
        acquiredAt: holder.acquiredAt,
        expiresAt: holder.expiresAt,
      });
    }
    const value: LeaseValue = {
      ownerId: options.ownerId,
      pid: options.owner.pid,
      host: options.owner.host,
      acquiredAt: now,
      renewedAt: now,
      expiresAt: now + options.ttlMs,
    };
    const res = await options.retry(() => kv.atomic().check(current).set(key, value).commit());
    if (res.ok) return new SessionLease(kv, id, value, res.versionstamp, options);
    // Lost a race with another writer: re-read and report it (or take a lapsed one).
  }
}
