/**
 * Schema migrations. The version lives at `["meta", "schema_version"]`. At
 * open, each migration from version N to N+1 runs in order; its writes are
 * atomic batches and idempotent (a crash part-way re-runs it), and the
 * version bump is a separate atomic commit guarded by the version key's
 * versionstamp, so two processes opening an old store at once migrate it once.
 *
 * @module
 */

import { StoreVersionError } from "./errors.ts";
import {
  ACTIVE_INDEX_PREFIX,
  activeIndexKey,
  SCHEMA_VERSION,
  SCHEMA_VERSION_KEY,
  SESSION_PREFIX,
} from "./keys.ts";
import type { SessionRecord } from "./types.ts";
import { readValue, readValueOrNull, schemaVersionValue, sessionRecordValue } from "./values.ts";

/** What a migration gets to work with. */
export interface MigrationContext {
  /** The open database. */
  kv: Deno.Kv;
  /** Runs a KV operation with the store's lock retry. */
  retry<T>(op: () => Promise<T>): Promise<T>;
  /** Human description of where the store is, for errors. */
  location: string;
}

/** One step from `from` to `from + 1`. */
export interface Migration {
  /** Version this migration starts from. */
  from: number;
  /** What it changes (shown in logs and `doctor`). */
  description: string;
  /** Does the work in atomic batches; must be idempotent. */
  run(ctx: MigrationContext): Promise<void>;
}

/** Outcome of {@linkcode runMigrations}. */
export interface MigrationReport {
  /** Version found at open (0 for a new store). */
  from: number;
  /** Version after migrating. */
  to: number;
  /** Descriptions of the migrations that ran here. */
  applied: string[];
}

/** Writes up to this many mutations per atomic commit while migrating. */
const BATCH = 200;

/**
 * v1 → v2: introduce the last-active index `["session_active", lastActive,
 * id]` so list and `--continue` no longer scan every session.
 */
export const addLastActiveIndex: Migration = {
  from: 1,
  description: "add the last-active session index",
  async run({ kv, retry, location }) {
    // Drop index entries a crashed earlier attempt may have left, then rebuild.
    let stale: Deno.KvKey[] = [];
    for await (const e of kv.list({ prefix: ACTIVE_INDEX_PREFIX })) {
      stale.push(e.key);
      if (stale.length === BATCH) {
        const batch = stale;
        await retry(() => batch.reduce((op, k) => op.delete(k), kv.atomic()).commit());
        stale = [];
      }
    }
    if (stale.length > 0) {
      const batch = stale;
      await retry(() => batch.reduce((op, k) => op.delete(k), kv.atomic()).commit());
    }
    let pending: SessionRecord[] = [];
    const flush = async () => {
      const batch = pending;
      pending = [];
      await retry(() =>
        batch.reduce((op, r) => op.set(activeIndexKey(r.lastActive, r.id), r), kv.atomic())
          .commit()
      );
    };
    for await (const e of kv.list({ prefix: SESSION_PREFIX })) {
      pending.push(readValue(e, location, sessionRecordValue));
      if (pending.length === BATCH) await flush();
    }
    if (pending.length > 0) await flush();
  },
};

/** The migrations of this code, in order. */
export const MIGRATIONS: readonly Migration[] = [addLastActiveIndex];

/** Options of {@linkcode runMigrations}. */
export interface RunMigrationsOptions {
  /** Migrations to apply (default {@linkcode MIGRATIONS}). */
  migrations?: readonly Migration[];
  /** Version to reach (default {@linkcode SCHEMA_VERSION}). */
  target?: number;
  /** Store location, for error messages. */
  location: string;
  /** Lock retry wrapper. */
  retry<T>(op: () => Promise<T>): Promise<T>;
}

/**
 * Brings the store at `kv` to the target version. A store with no keys at
 * all is stamped with the target directly; a store with data but no
 * version is version 1 (the first layout). A newer store throws
 * {@linkcode StoreVersionError}.
 *
 * @example
 * ```ts
 * import { runMigrations } from "./migrations.ts";
 * const kv = await Deno.openKv(":memory:");
 * const report = await runMigrations(kv, { location: ":memory:", retry: (op) => op() });
 * kv.close();
 * ```
 */
export async function runMigrations(
  kv: Deno.Kv,
  options: RunMigrationsOptions,
): Promise<MigrationReport> {
  const migrations = options.migrations ?? MIGRATIONS;
  const target = options.target ?? SCHEMA_VERSION;
  const { retry } = options;
  const applied: string[] = [];
  let first: number | undefined;
  for (;;) {
    const entry = await retry(() => kv.get(SCHEMA_VERSION_KEY));
    let version = readValueOrNull(entry, options.location, schemaVersionValue) ?? 0;
    if (entry.versionstamp === null) {
      let empty = true;
      for await (const _ of kv.list({ prefix: [] }, { limit: 1 })) empty = false;
      if (empty) {
        const res = await retry(() =>
          kv.atomic().check(entry).set(SCHEMA_VERSION_KEY, target).commit()
        );
        if (!res.ok) continue; // someone else initialised it: re-read
        return { from: first ?? 0, to: target, applied };
      }
      // Not empty: a store of the first layout, or one that another process stamped between
      // our read and the listing (the stamp is what we found). Migrating the latter would
      // rebuild its index under that process's writes and leave stale entries: re-read.
      const again = await retry(() => kv.get(SCHEMA_VERSION_KEY));
      if (again.versionstamp !== null) continue;
      version = 1;
    }
    first ??= version;
    if (version > target) throw new StoreVersionError(options.location, version, target);
    if (version === target) return { from: first, to: version, applied };
    const step = migrations.find((m) => m.from === version);
    if (!step) {
      throw new StoreVersionError(options.location, version, target);
    }
    await step.run({ kv, retry, location: options.location });
    const res = await retry(() =>
      kv.atomic().check(entry).set(SCHEMA_VERSION_KEY, version + 1).commit()
    );
    if (res.ok) applied.push(step.description);
  }
}
