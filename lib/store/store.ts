/**
 * The message store: opening it (location, migrations, crash recovery) and
 * the handle that groups its parts, one job each: `sessions` (find, open,
 * change, delete; `sessions.ts`), `transfer` (export/import;
 * `transfer.ts`), `aliases` (`aliases.ts`) and `oauth` (`oauth.ts`).
 * Usable on its own (tests, tools) and wrapped by `plugins/store.ts`.
 *
 * @module
 */

import { type Clock, systemClock } from "../util/clock.ts";
import { Aliases } from "./aliases.ts";
import { type SessionChangedEvent, StoreContext } from "./context.ts";
import { StoreCorruptedError, StoreValidationError } from "./errors.ts";
import type { LeaseOwner } from "./lease.ts";
import type { KvLocation } from "./location.ts";
import { type Migration, type MigrationReport, runMigrations } from "./migrations.ts";
import { OAuthStorage } from "./oauth.ts";
import { kvTarget, openKv, permissionWarnings, sqliteProblem } from "./open_kv.ts";
import { withLockRetry } from "./retry.ts";
import { Sessions } from "./sessions.ts";
import { recoverSweeps } from "./sweeps.ts";
import { SessionTransfer } from "./transfer.ts";

/** Options of {@linkcode openMessageStore}. */
export interface MessageStoreOptions {
  /** Where the store is (see `resolveKvLocation`); or give `path`. */
  location?: KvLocation;
  /** Shortcut for a local file (tests, tools): the KV file path. */
  path?: string;
  /** Messages an open session keeps in memory (default 200). */
  pageSize?: number;
  /** Time source (default: the system clock). */
  clock?: Clock;
  /** Random source in [0, 1) for ids and jitter (default `Math.random`). */
  random?: () => number;
  /** Identity shown to a second writer (default: this pid and host). */
  owner?: Partial<LeaseOwner>;
  /** Writer lease lifetime in ms (default 30 s; renewed every third). */
  leaseTtlMs?: number;
  /**
   * Lease identity (default: random per store). A process that restarts its
   * store worker passes the same id, so the new store takes over the leases
   * of the one that crashed instead of waiting for them to expire.
   */
  ownerId?: string;
  /** Migrations to run (tests). */
  migrations?: readonly Migration[];
  /** Schema version to reach (tests). */
  schemaVersion?: number;
  /** Receives `session-changed` events. */
  onEvent?: (event: SessionChangedEvent) => void;
}

/** Facts about an open store (for `doctor` and `/stats`). */
export interface StoreInfo {
  /** Local path, remote URL, or `:memory:`. */
  location: string;
  /** `local`, `remote` or `memory`. */
  kind: KvLocation["kind"];
  /** Schema version after migrations. */
  schemaVersion: number;
  /** What migrating did at open. */
  migrations: MigrationReport;
  /** Operations retried because another process held the database lock. */
  lockRetries: number;
  /** Sessions whose interrupted bulk deletes were finished at open. */
  recoveredSweeps: number;
  /** Problems worth fixing, e.g. a data directory other users can read. */
  warnings: string[];
  /** Messages kept in memory per open session. */
  pageSize: number;
}

/** An open store. Get one from {@linkcode openMessageStore}. */
export interface MessageStore {
  /** Sessions: create, open, resolve, get, list, last, update, save, clear, delete, watch. */
  readonly sessions: Sessions;
  /** Export (JSON, markdown) and import of sessions. */
  readonly transfer: SessionTransfer;
  /** Command aliases. */
  readonly aliases: Aliases;
  /** OAuth state of HTTP MCP servers. */
  readonly oauth: OAuthStorage;
  /** Facts about this store. */
  info(): StoreInfo;
  /** Closes open sessions (releasing their leases) and the database. Idempotent. */
  close(): Promise<void>;
}

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host"; // no `sys` permission in a narrowed worker: the host passes it in
  }
}

function locationOf(options: MessageStoreOptions): KvLocation {
  if (options.location) return options.location;
  if (!options.path) throw new StoreValidationError("openMessageStore needs a location or a path");
  return {
    kind: "local",
    path: options.path,
    dir: options.path.replace(/[\\/][^\\/]*$/, "") || ".",
    source: "MCPCHAT_DATA_DIR",
  };
}

/**
 * Opens (creating and migrating as needed) the store, and finishes bulk
 * work a crash interrupted. A local store's directory is created user-only
 * (0o700) and the file 0o600; a foreign or damaged file is refused
 * untouched with a typed error.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMessageStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await openMessageStore({ path: `${dir}/sessions.kv` });
 * const view = await store.sessions.create({ title: "demo" });
 * await view.append({ role: "user", content: "hello" });
 * await store.close();
 *
 * const again = await openMessageStore({ path: `${dir}/sessions.kv` });
 * assert.equal((await again.sessions.last())?.title, "demo");
 * assert.equal(again.info().schemaVersion, 2);
 * await again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openMessageStore(options: MessageStoreOptions): Promise<MessageStore> {
  const location = locationOf(options);
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const openRetry = <T>(op: () => Promise<T>) => withLockRetry(op, { clock, random });
  const target = kvTarget(location);
  const kv = await openKv(location, openRetry);
  try {
    const report = await runMigrations(kv, {
      location: target,
      retry: openRetry,
      migrations: options.migrations,
      target: options.schemaVersion,
    });
    const ctx = new StoreContext({ kv, location: target, clock, random, onEvent: options.onEvent });
    const owner = { pid: options.owner?.pid ?? Deno.pid, host: options.owner?.host ?? hostName() };
    const leases = {
      owner,
      ownerId: options.ownerId ?? ctx.randomId(16),
      clock,
      ttlMs: options.leaseTtlMs ?? 30_000,
      retry: ctx.retry,
      location: target,
    };
    const pageSize = Math.max(1, Math.floor(options.pageSize ?? 200));
    const warnings = location.kind === "local"
      ? await permissionWarnings(location.dir, location.path)
      : [];
    const recovered = await recoverSweeps(ctx, leases.ownerId);
    const sessions = new Sessions(ctx, leases, pageSize);
    return {
      sessions,
      transfer: new SessionTransfer(ctx, sessions, leases),
      aliases: new Aliases(ctx),
      oauth: new OAuthStorage(ctx),
      info: () => ({
        location: target,
        kind: location.kind,
        schemaVersion: report.to,
        migrations: report,
        recoveredSweeps: recovered,
        lockRetries: ctx.lockRetries,
        warnings: [...warnings],
        pageSize,
      }),
      close: async () => {
        if (ctx.closed) return;
        await sessions.closeAll();
        ctx.close();
      },
    };
  } catch (e) {
    kv.close();
    const problem = sqliteProblem(e);
    if (problem) throw new StoreCorruptedError(target, problem, { cause: e });
    throw e;
  }
}
