/**
 * The message store: sessions, their messages, aliases and OAuth records on
 * Deno KV. Usable on its own (tests, CLI) and wrapped by `plugins/store.ts`.
 *
 * @module
 */

import type {
  OAuthClientInformationMixed,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";
import { type Clock, systemClock } from "../util/clock.ts";
import {
  deleteMessages,
  readMessages,
  type SessionChangedEvent,
  type StoreContext,
} from "./context.ts";
import {
  AmbiguousSessionError,
  SessionExistsError,
  SessionNameTakenError,
  SessionNotFoundError,
  StoreClosedError,
  StoreCorruptedError,
  StoreError,
  StoreValidationError,
} from "./errors.ts";
import { exportJson, exportMarkdown, parseSessionExport } from "./export.ts";
import { checkKvFile } from "./file_check.ts";
import {
  ACTIVE_INDEX_PREFIX,
  ALIAS_PREFIX,
  aliasKey,
  chunkKey,
  chunkPrefix,
  messageKey,
  OAUTH_PREFIX,
  oauthKey,
  oauthKvKey,
  PREWRITE_PREFIX,
  prewriteKey,
  SCHEMA_VERSION,
  sessionKey,
  sessionNameKey,
  SWEEP_PREFIX,
  sweepKey,
} from "./keys.ts";
import {
  acquireLease,
  isLiveForeignLease,
  type LeaseOwner,
  type LeaseValue,
  type SessionLease,
} from "./lease.ts";
import type { KvLocation } from "./location.ts";
import { type Migration, type MigrationReport, runMigrations } from "./migrations.ts";
import { changeRecord, moveIndex, readRecord, type RecordChange } from "./records.ts";
import { withLockRetry } from "./retry.ts";
import { applyPatch, SessionView } from "./session_view.ts";
import type {
  AliasRecord,
  SessionInit,
  SessionPage,
  SessionPatch,
  SessionRecord,
} from "./types.ts";
import { validateSessionName } from "./types.ts";
import { COMMIT_BUDGET, encodeMessage, type StoredMessage } from "./codec.ts";

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

/** Options of {@linkcode MessageStore.list}. */
export interface ListOptions {
  /** Page size (default 50, at most 1000). */
  limit?: number;
  /** Cursor from the previous page. */
  cursor?: string | null;
}

/** Options of {@linkcode MessageStore.importSession}. */
export interface ImportOptions {
  /** When the id exists: fail (default), import under a new id, or replace it. */
  onConflict?: "error" | "new-id" | "replace";
}

/** OAuth state of one MCP server (tokens are secrets: the store file is user-only). */
export interface OAuthRecord {
  /** Normalized server URL (the key). */
  serverUrl: string;
  /** Tokens from the authorization server. */
  tokens?: OAuthTokens;
  /** Dynamic client registration result. */
  clientInformation?: OAuthClientInformationMixed;
  /** PKCE verifier of an authorization in progress. */
  codeVerifier?: string;
  /** When it last changed, ms since the epoch. */
  updatedAt: number;
}

/** Fields of an OAuth record a caller may set. */
export type OAuthPatch = Partial<Omit<OAuthRecord, "serverUrl" | "updatedAt">>;

/** Facts about an open store (for `doctor` and `/stats`). */
export interface StoreInfo {
  /** Local path, remote URL, or `:memory:`. */
  location: string;
  /** `local` or `remote`. */
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

type SweepValue = { kind: "delete" } | { kind: "clear"; before: number } | { kind: "import" };

const ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function hostName(): string {
  try {
    return Deno.hostname();
  } catch {
    return "unknown-host"; // no `sys` permission in a narrowed worker: the host passes it in
  }
}

/**
 * Normalizes an MCP server URL for use as an OAuth key (no fragment,
 * lower-case host, default port dropped).
 *
 * @example
 * ```ts
 * import { normalizeServerUrl } from "./store.ts";
 * normalizeServerUrl("HTTPS://Example.com:443/mcp#x"); // "https://example.com/mcp"
 * ```
 */
export function normalizeServerUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreValidationError(`server URL "${url}" is not a valid URL`);
  }
  u.hash = "";
  if (u.href.length > 1024) {
    throw new StoreValidationError(`server URL is longer than 1024 characters`);
  }
  return u.href;
}

async function prepareLocal(path: string, dir: string): Promise<void> {
  let created = false;
  try {
    await Deno.stat(dir);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    created = true;
  }
  // mkdir's mode is filtered by the umask; make a directory we created user-only.
  if (created && Deno.build.os !== "windows") await Deno.chmod(dir, 0o700);
  if (await checkKvFile(path) === "missing") {
    try {
      const f = await Deno.open(path, { createNew: true, write: true, mode: 0o600 });
      f.close();
      if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e; // another process created it first
      await checkKvFile(path);
    }
  }
}

function locationTarget(location: KvLocation): string {
  switch (location.kind) {
    case "local":
      return location.path;
    case "remote":
      return location.url;
    case "memory":
      return ":memory:";
  }
}

/**
 * Warnings when the data directory or KV file is open to other users (the
 * file holds conversations and OAuth tokens). Nothing is changed.
 *
 * @example
 * ```ts ignore
 * const warnings = await permissionWarnings("/home/u/.local/share/mcpchat", ".../sessions.kv");
 * ```
 */
export async function permissionWarnings(dir: string, path: string): Promise<string[]> {
  if (Deno.build.os === "windows") return [];
  const out: string[] = [];
  for (const [p, want] of [[dir, 0o700], [path, 0o600]] as const) {
    const mode = (await Deno.stat(p).catch(() => null))?.mode;
    if (mode !== null && mode !== undefined && (mode & 0o077) !== 0) {
      out.push(
        `${p} is accessible to other users (mode ${(mode & 0o777).toString(8)}); it holds your ` +
          `conversations and OAuth tokens: chmod ${want.toString(8)} "${p}"`,
      );
    }
  }
  return out;
}

function isAccessProblem(e: unknown): boolean {
  return e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable ||
    (e instanceof Error &&
      /readonly database|read-only file system|unable to open database/i.test(e.message));
}

function sqliteProblem(e: unknown): string | undefined {
  const msg = e instanceof Error ? e.message : String(e);
  return /not a database|malformed|corrupt|disk image|file is encrypted/i.test(msg)
    ? msg
    : undefined;
}

/**
 * Opens (creating and migrating as needed) the store. A local store's
 * directory is created user-only (0o700) and the file 0o600; a foreign or
 * damaged file is refused untouched with a typed error.
 *
 * @example
 * ```ts
 * import { openMessageStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await openMessageStore({ path: `${dir}/sessions.kv` });
 * const view = await store.create({ title: "demo" });
 * await view.append({ role: "user", content: "hello" });
 * await store.close();
 * ```
 */
export async function openMessageStore(options: MessageStoreOptions): Promise<MessageStore> {
  const location: KvLocation = options.location ??
    (options.path
      ? {
        kind: "local",
        path: options.path,
        dir: options.path.replace(/[\\/][^\\/]*$/, "") || ".",
        source: "MCPCHAT_DATA_DIR",
      }
      : (() => {
        throw new StoreValidationError("openMessageStore needs a location or a path");
      })());
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const retry = <T>(op: () => Promise<T>) => withLockRetry(op, { clock, random });
  const target = locationTarget(location);
  let kv: Deno.Kv;
  try {
    if (location.kind === "local") await prepareLocal(location.path, location.dir);
    // Opening runs Deno KV's own schema setup, which can meet another process's write lock.
    kv = await retry(() => Deno.openKv(target));
  } catch (e) {
    if (location.kind === "local" && isAccessProblem(e)) {
      throw new StoreError(
        "STORE_PERMISSION",
        `cannot open the session store ${target}: ${(e as Error).message}; make sure ` +
          `${location.dir} is yours and writable (and that the store worker may read and write ` +
          `it), or choose another directory with MCPCHAT_DATA_DIR or [session] data_dir`,
        { cause: e },
      );
    }
    const problem = sqliteProblem(e);
    if (location.kind === "local" && problem) {
      throw new StoreCorruptedError(target, problem, { cause: e });
    }
    if (location.kind === "remote") {
      throw new StoreError(
        "STORE_REMOTE",
        `cannot open the remote session store ${target}: ${(e as Error).message}; check ` +
          `MCPCHAT_KV_URL and DENO_KV_ACCESS_TOKEN`,
        { cause: e },
      );
    }
    throw e;
  }
  try {
    const report = await runMigrations(kv, {
      location: target,
      retry,
      migrations: options.migrations,
      target: options.schemaVersion,
    });
    const store = new MessageStore(kv, location, report, options);
    if (location.kind === "local") {
      store.addWarnings(await permissionWarnings(location.dir, location.path));
    }
    await store.recoverSweeps();
    return store;
  } catch (e) {
    kv.close();
    const problem = sqliteProblem(e);
    if (problem) throw new StoreCorruptedError(target, problem, { cause: e });
    throw e;
  }
}

/** The store. Create with {@linkcode openMessageStore}. */
export class MessageStore {
  #kv: Deno.Kv;
  #location: KvLocation;
  #ctx: StoreContext;
  #clock: Clock;
  #random: () => number;
  #owner: LeaseOwner;
  #ownerId: string;
  #leaseTtlMs: number;
  #pageSize: number;
  #report: MigrationReport;
  #recovered = 0;
  #lockRetries = 0;
  #warnings: string[] = [];
  #views = new Map<string, SessionView>();
  #closed = false;

  /** Wraps an open, migrated KV. Use {@linkcode openMessageStore}. */
  constructor(
    kv: Deno.Kv,
    location: KvLocation,
    report: MigrationReport,
    options: MessageStoreOptions,
  ) {
    this.#kv = kv;
    this.#location = location;
    this.#report = report;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#owner = { pid: options.owner?.pid ?? Deno.pid, host: options.owner?.host ?? hostName() };
    this.#ownerId = options.ownerId ?? this.#randomId(16);
    this.#leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.#pageSize = Math.max(1, Math.floor(options.pageSize ?? 200));
    const onEvent = options.onEvent;
    const clock = this.#clock;
    const random = this.#random;
    this.#ctx = {
      kv,
      location: locationTarget(location),
      clock,
      retry: (op) => withLockRetry(op, { clock, random, onRetry: () => this.#lockRetries++ }),
      emit: (event) => {
        try {
          onEvent?.(event);
        } catch {
          // A listener's failure must not fail the write that already committed.
        }
      },
    };
  }

  #randomId(length: number): string {
    let s = "";
    for (let i = 0; i < length; i++) {
      s += ID_ALPHABET[Math.floor(this.#random() * ID_ALPHABET.length)];
    }
    return s;
  }

  #open(): StoreContext {
    if (this.#closed) throw new StoreClosedError();
    return this.#ctx;
  }

  #leaseOptions() {
    return {
      owner: this.#owner,
      ownerId: this.#ownerId,
      clock: this.#clock,
      ttlMs: this.#leaseTtlMs,
      retry: this.#ctx.retry,
    };
  }

  /** Facts about this store. */
  info(): StoreInfo {
    return {
      location: this.#ctx.location,
      kind: this.#location.kind,
      schemaVersion: this.#report.to,
      migrations: this.#report,
      recoveredSweeps: this.#recovered,
      lockRetries: this.#lockRetries,
      warnings: [...this.#warnings],
      pageSize: this.#pageSize,
    };
  }

  /** Records problems found at open (internal). */
  addWarnings(warnings: string[]): void {
    this.#warnings.push(...warnings);
  }

  /** Messages an open session keeps in memory. */
  get pageSize(): number {
    return this.#pageSize;
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Creates a session and opens it for writing (holding its lease).
   *
   * @example
   * ```ts ignore
   * const view = await store.create({ model: "claude-sonnet-4-5", backend: "anthropic" });
   * ```
   */
  async create(init: SessionInit & { id?: string } = {}): Promise<SessionView> {
    const ctx = this.#open();
    const now = this.#clock.now();
    const id = init.id ?? this.#randomId(12);
    if (!/^[\w.-]{1,64}$/.test(id)) {
      throw new StoreValidationError("session id must be 1-64 letters, digits, '.', '_' or '-'");
    }
    const record: SessionRecord = {
      id,
      title: "",
      createdAt: now,
      lastActive: now,
      messageCount: 0,
      firstSeq: 0,
      nextSeq: 0,
      tokens: { input: 0, output: 0, cachedInput: 0 },
      cost: 0,
    };
    const full = applyPatch(record, init);
    const lease = await acquireLease(ctx.kv, id, this.#leaseOptions());
    try {
      const op = ctx.kv.atomic().check({ key: sessionKey(id), versionstamp: null })
        .check({ key: lease.key, versionstamp: lease.versionstamp })
        .set(sessionKey(id), full);
      moveIndex(op, null, full);
      const res = await ctx.retry(() => op.commit());
      if (!res.ok) throw new SessionExistsError(id);
      ctx.emit({ sessionId: id, change: "created", session: full });
      return await this.#makeView({ record: full, versionstamp: res.versionstamp }, lease);
    } catch (e) {
      await lease.release().catch(() => {});
      throw e;
    }
  }

  async #makeView(
    current: { record: SessionRecord; versionstamp: string },
    lease?: SessionLease,
    preload = true,
  ): Promise<SessionView> {
    const view = await SessionView.load(this.#ctx, current, {
      pageSize: this.#pageSize,
      lease,
      preload,
      onClose: (v) => {
        if (this.#views.get(v.id) === v) this.#views.delete(v.id);
      },
    });
    if (lease) this.#views.set(view.id, view);
    return view;
  }

  /**
   * Resolves a session reference: an exact id, a saved name, or a unique id
   * prefix. Throws {@linkcode SessionNotFoundError} or
   * {@linkcode AmbiguousSessionError}.
   *
   * @example
   * ```ts ignore
   * const id = await store.resolve("k3v9"); // prefix of "k3v9x2ab7c1d"
   * ```
   */
  async resolve(ref: string): Promise<string> {
    const ctx = this.#open();
    if (typeof ref !== "string" || ref.trim() === "") {
      throw new StoreValidationError("session reference must be a non-empty string");
    }
    const exact = await ctx.retry(() => ctx.kv.get(sessionKey(ref)));
    if (exact.versionstamp) return ref;
    const named = await ctx.retry(() => ctx.kv.get<string>(sessionNameKey(ref)));
    if (named.value) return named.value;
    const matches: string[] = [];
    await ctx.retry(async () => {
      matches.length = 0;
      for await (
        const e of ctx.kv.list({ start: sessionKey(ref), end: sessionKey(`${ref}\u{10FFFF}`) }, {
          limit: 6,
        })
      ) matches.push(e.key[1] as string);
    });
    if (matches.length === 1) return matches[0];
    if (matches.length > 1) throw new AmbiguousSessionError(ref, matches.slice(0, 5));
    throw new SessionNotFoundError(ref);
  }

  /**
   * The record of a session (by id, name or unique prefix).
   *
   * @example
   * ```ts ignore
   * const record = await store.get("work");
   * ```
   */
  async get(ref: string): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    const current = await readRecord(this.#open(), id);
    if (!current) throw new SessionNotFoundError(ref);
    return current.record;
  }

  /**
   * Opens a session. For writing (default) it takes the writer lease and
   * throws `SessionBusyError` when another live process holds it; with
   * `readOnly` it takes no lease (for show/export while another writes);
   * `preload: false` skips loading the last page into a read-only view.
   *
   * @example
   * ```ts ignore
   * const view = await store.open(lastId);
   * ```
   */
  async open(
    ref: string,
    options: {
      readOnly?: boolean;
      preload?: boolean;
      /** Take the lease of this holder, known to be dead (see `LeaseOptions.takeOverFrom`). */
      takeOverFrom?: { pid: number; host: string };
    } = {},
  ): Promise<SessionView> {
    const ctx = this.#open();
    const id = await this.resolve(ref);
    const existing = this.#views.get(id);
    if (existing && !options.readOnly) return existing;
    const lease = options.readOnly ? undefined : await acquireLease(ctx.kv, id, {
      ...this.#leaseOptions(),
      takeOverFrom: options.takeOverFrom,
    });
    try {
      const current = await readRecord(ctx, id);
      if (!current) throw new SessionNotFoundError(ref);
      return await this.#makeView(current, lease, options.preload ?? true);
    } catch (e) {
      await lease?.release().catch(() => {});
      throw e;
    }
  }

  /**
   * Sessions, most recently active first, one page at a time (a single
   * range read of the last-active index).
   *
   * @example
   * ```ts ignore
   * let page = await store.list({ limit: 20 });
   * while (page.cursor) page = await store.list({ limit: 20, cursor: page.cursor });
   * ```
   */
  async list(options: ListOptions = {}): Promise<SessionPage> {
    const ctx = this.#open();
    const limit = Math.max(1, Math.min(1000, Math.floor(options.limit ?? 50)));
    const sessions: SessionRecord[] = [];
    let cursor: string | null = null;
    await ctx.retry(async () => {
      sessions.length = 0;
      const iter = ctx.kv.list<SessionRecord>({ prefix: ACTIVE_INDEX_PREFIX }, {
        reverse: true,
        limit: limit + 1,
        batchSize: Math.min(limit + 1, 500),
        cursor: options.cursor ?? undefined,
      });
      let seen = 0;
      cursor = null;
      for await (const e of iter) {
        seen++;
        if (seen > limit) break;
        sessions.push(e.value);
        if (seen === limit) cursor = iter.cursor;
      }
      if (seen <= limit) cursor = null;
    });
    return { sessions, cursor };
  }

  /**
   * The most recently active session (for `--continue`); by default skips
   * sessions without messages. Null when there is none.
   *
   * @example
   * ```ts ignore
   * const last = await store.last();
   * ```
   */
  async last(options: { skipEmpty?: boolean } = {}): Promise<SessionRecord | null> {
    const ctx = this.#open();
    const skipEmpty = options.skipEmpty ?? true;
    let found: SessionRecord | null = null;
    await ctx.retry(async () => {
      found = null;
      for await (
        const e of ctx.kv.list<SessionRecord>({ prefix: ACTIVE_INDEX_PREFIX }, {
          reverse: true,
          batchSize: 20,
        })
      ) {
        if (!skipEmpty || e.value.messageCount > 0) {
          found = e.value;
          break;
        }
      }
    });
    return found;
  }

  /** Runs `change` on session `id`, through its open view here if there is one. */
  #change(
    id: string,
    change: (r: SessionRecord) => RecordChange | Promise<RecordChange>,
  ): Promise<SessionRecord> {
    const view = this.#views.get(id);
    if (view) return view.mutateRecord(change, "updated");
    return changeRecord(this.#open(), id, change).then((res) => {
      this.#ctx.emit({ sessionId: id, change: "updated", session: res.record! });
      return res.record!;
    });
  }

  /**
   * Changes title, model, backend or system prompt of a session (no lease
   * needed: the commit is checked against concurrent appends).
   *
   * @example
   * ```ts ignore
   * await store.update("k3v9", { title: "Auth refactor" });
   * ```
   */
  async update(ref: string, patch: SessionPatch): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    return this.#change(id, (r) => ({ next: applyPatch(r, patch) }));
  }

  /**
   * Sets a session's title (`sessions rename`); shorthand for `update(ref, { title })`.
   *
   * @example
   * ```ts ignore
   * await store.rename("k3v9", "Auth refactor");
   * ```
   */
  rename(ref: string, title: string): Promise<SessionRecord> {
    return this.update(ref, { title });
  }

  /**
   * Gives a session a unique name (`/save NAME`), usable wherever an id is;
   * also sets the title when it is empty. `null` removes the name.
   *
   * @example
   * ```ts ignore
   * await store.save("k3v9", "auth-refactor");
   * ```
   */
  async save(ref: string, name: string | null): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    const ctx = this.#open();
    const valid = name === null ? null : validateSessionName(name);
    return this.#change(id, async (r) => {
      const next = { ...r };
      if (valid === null) delete next.name;
      else next.name = valid;
      if (valid !== null && next.title === "") next.title = valid;
      if (valid === r.name) return { next };
      const entry = valid === null
        ? null
        : await ctx.retry(() => ctx.kv.get<string>(sessionNameKey(valid)));
      if (entry?.value && entry.value !== id) throw new SessionNameTakenError(valid!, entry.value);
      return {
        next,
        mutate: (op) => {
          if (r.name !== undefined) op.delete(sessionNameKey(r.name));
          if (entry && valid !== null) op.check(entry).set(sessionNameKey(valid), id);
        },
      };
    });
  }

  async #withLease<T>(
    id: string,
    fn: (lease: SessionLease, view?: SessionView) => Promise<T>,
  ): Promise<T> {
    const view = this.#views.get(id);
    if (view?.lease && !view.lease.lost) return await fn(view.lease, view);
    const lease = await acquireLease(this.#open().kv, id, this.#leaseOptions());
    // Bulk work on a big session can outlast one lease period: keep it alive.
    lease.startHeartbeat((renew) => renew());
    try {
      return await fn(lease);
    } finally {
      await lease.release().catch(() => {});
    }
  }

  /**
   * Deletes the history of a session but keeps the session (`/clear`).
   * Sequence numbers are not reused; token and cost totals are kept.
   * Crash-safe: an interrupted clear is finished at the next open.
   *
   * @example
   * ```ts ignore
   * await store.clear("k3v9");
   * ```
   */
  async clear(ref: string): Promise<SessionRecord> {
    const id = await this.resolve(ref);
    const ctx = this.#open();
    return await this.#withLease(id, async (lease, view) => {
      let from = 0;
      const change = (r: SessionRecord): RecordChange => {
        from = r.firstSeq;
        const next: SessionRecord = {
          ...r,
          firstSeq: r.nextSeq,
          messageCount: 0,
          lastActive: Math.max(this.#clock.now(), r.lastActive),
        };
        return {
          next,
          mutate: (op) =>
            op.set(sweepKey(id), { kind: "clear", before: r.nextSeq } satisfies SweepValue),
        };
      };
      let record: SessionRecord;
      if (view) record = await view.mutateRecord(change, "cleared");
      else {
        record = (await changeRecord(ctx, id, change, { lease })).record!;
        ctx.emit({ sessionId: id, change: "cleared", session: record });
      }
      await deleteMessages(ctx, id, from, record.firstSeq);
      await ctx.retry(() => ctx.kv.delete(sweepKey(id)));
      return record;
    });
  }

  /**
   * Deletes a session and all its messages. Refused with `SessionBusyError`
   * while another process has it open; a view open here is closed.
   *
   * @example
   * ```ts ignore
   * const { messages } = await store.delete("k3v9");
   * ```
   */
  async delete(ref: string): Promise<{ id: string; messages: number }> {
    const id = await this.resolve(ref);
    const ctx = this.#open();
    return await this.#withLease(id, async (lease, view) => {
      await changeRecord(ctx, id, (r) => ({
        next: null,
        mutate: (op) => {
          if (r.name !== undefined) op.delete(sessionNameKey(r.name));
          op.delete(prewriteKey(id));
          op.set(sweepKey(id), { kind: "delete" } satisfies SweepValue);
        },
      }), { lease });
      // From here an append through the open view fails with SessionDeletedError.
      const messages = await deleteMessages(ctx, id, 0, Infinity);
      await ctx.retry(() => ctx.kv.delete(sweepKey(id)));
      await lease.release();
      view?.abandon();
      ctx.emit({ sessionId: id, change: "deleted" });
      return { id, messages };
    });
  }

  /**
   * Finishes bulk deletes interrupted by a crash (run at open). Skips
   * sessions whose lease is live (another process is working on them).
   */
  async recoverSweeps(): Promise<number> {
    const ctx = this.#open();
    const pending: Array<{ id: string; value: SweepValue }> = [];
    for await (const e of ctx.kv.list<SweepValue>({ prefix: SWEEP_PREFIX })) {
      pending.push({ id: e.key[1] as string, value: e.value });
    }
    let done = 0;
    const busy = async (id: string) => {
      const lease = await ctx.retry(() => ctx.kv.get<LeaseValue>(["lease", id]));
      return isLiveForeignLease(lease.value, this.#ownerId, this.#clock.now());
    };
    for (const { id } of pending) {
      if (await busy(id)) continue;
      if (await this.#finishSweep(id)) done++;
    }
    const prewrites: Array<{ id: string; from: number; to: number }> = [];
    for await (const e of ctx.kv.list<{ from: number; to: number }>({ prefix: PREWRITE_PREFIX })) {
      prewrites.push({ id: e.key[1] as string, ...e.value });
    }
    for (const p of prewrites) {
      if (await busy(p.id)) continue;
      await this.#dropUnreferencedChunks(p.id, p.from, p.to);
      done++;
    }
    this.#recovered += done;
    return done;
  }

  /** Deletes chunks in `[from, to)` that no committed message header refers to. */
  async #dropUnreferencedChunks(id: string, from: number, to: number): Promise<void> {
    const ctx = this.#ctx;
    for (let seq = from; seq < to; seq++) {
      const header = await ctx.retry(() => ctx.kv.get<StoredMessage>(messageKey(id, seq)));
      const keep = header.value && "chunks" in header.value ? header.value.chunks : 0;
      const stale: Deno.KvKey[] = [];
      for await (
        const e of ctx.kv.list({ prefix: chunkPrefix(id, seq), start: chunkKey(id, seq, keep) })
      ) {
        stale.push(e.key);
      }
      for (let i = 0; i < stale.length; i += 200) {
        const part = stale.slice(i, i + 200);
        await ctx.retry(() => part.reduce((op, k) => op.delete(k), ctx.kv.atomic()).commit());
      }
    }
    await ctx.retry(() => ctx.kv.delete(prewriteKey(id)));
  }

  async #finishSweep(id: string): Promise<boolean> {
    const ctx = this.#ctx;
    const entry = await ctx.retry(() => ctx.kv.get<SweepValue>(sweepKey(id)));
    if (!entry.value) return false;
    const sweep = entry.value;
    const current = await readRecord(ctx, id);
    if (sweep.kind === "clear") {
      if (current) {
        await deleteMessages(ctx, id, 0, Math.min(sweep.before, current.record.firstSeq));
      } else await deleteMessages(ctx, id, 0, Infinity);
    } else if (!current) {
      await deleteMessages(ctx, id, 0, Infinity);
    }
    await ctx.retry(() => ctx.kv.atomic().check(entry).delete(sweepKey(id)).commit());
    return true;
  }

  // ------------------------------------------------------------ export/import

  async #exportSource(ref: string) {
    const id = await this.resolve(ref);
    const ctx = this.#open();
    const current = await readRecord(ctx, id);
    if (!current) throw new SessionNotFoundError(ref);
    const r = current.record;
    return { record: r, messages: readMessages(ctx, id, { from: r.firstSeq, to: r.nextSeq }) };
  }

  /**
   * Streams the versioned JSON export of a session (re-importable with
   * {@linkcode MessageStore.importSession}).
   *
   * @example
   * ```ts ignore
   * for await (const piece of store.exportJson("k3v9")) await writer.write(piece);
   * ```
   */
  async *exportJson(ref: string): AsyncGenerator<string> {
    const { record, messages } = await this.#exportSource(ref);
    yield* exportJson(record, messages);
  }

  /**
   * Streams a markdown transcript of a session (turns, tool calls, tool results).
   *
   * @example
   * ```ts ignore
   * for await (const piece of store.exportMarkdown("k3v9")) await writer.write(piece);
   * ```
   */
  async *exportMarkdown(ref: string): AsyncGenerator<string> {
    const { record, messages } = await this.#exportSource(ref);
    yield* exportMarkdown(record, messages);
  }

  /**
   * Imports a JSON export (text or parsed). Everything is validated before
   * anything is written; a crash part-way leaves no half session (it is
   * swept at the next open).
   *
   * @example
   * ```ts ignore
   * const record = await store.importSession(await Deno.readTextFile("s.json"), { onConflict: "new-id" });
   * ```
   */
  async importSession(input: unknown, options: ImportOptions = {}): Promise<SessionRecord> {
    const ctx = this.#open();
    const data = parseSessionExport(input);
    let id = data.session.id;
    const existing = await readRecord(ctx, id);
    const onConflict = options.onConflict ?? "error";
    if (existing) {
      if (onConflict === "error") throw new SessionExistsError(id);
      if (onConflict === "new-id") id = this.#randomId(12);
      else await this.delete(id);
    }
    let name = data.session.name;
    if (name !== undefined) {
      const owner = await ctx.retry(() => ctx.kv.get<string>(sessionNameKey(name!)));
      if (owner.value && owner.value !== id) {
        if (onConflict === "new-id") name = undefined;
        else throw new SessionNameTakenError(name, owner.value);
      }
    }
    const lease = await acquireLease(ctx.kv, id, this.#leaseOptions());
    try {
      await this.#finishSweep(id);
      await ctx.retry(() => ctx.kv.set(sweepKey(id), { kind: "import" } satisfies SweepValue));
      // Messages are invisible until the record commit below; batches only bound commit size.
      let batchOp = ctx.kv.atomic();
      let pending = 0;
      let size = 0;
      const flush = async () => {
        if (pending === 0) return;
        const batch = batchOp;
        await ctx.retry(() => batch.commit());
        batchOp = ctx.kv.atomic();
        pending = 0;
        size = 0;
      };
      for (let seq = 0; seq < data.messages.length; seq++) {
        const enc = encodeMessage(id, seq, data.messages[seq]);
        if (enc.size > COMMIT_BUDGET) {
          for (let i = 0; i < enc.chunks.length; i += 8) {
            const part = enc.chunks.slice(i, i + 8);
            await ctx.retry(() =>
              part.reduce((o, c) => o.set(c.key, c.value), ctx.kv.atomic()).commit()
            );
          }
          enc.chunks = [];
          enc.size = 256;
        }
        if (pending >= 50 || size + enc.size > COMMIT_BUDGET) await flush();
        batchOp.set(messageKey(id, seq), enc.value);
        for (const c of enc.chunks) batchOp.set(c.key, c.value);
        pending += 1 + enc.chunks.length;
        size += enc.size;
      }
      await flush();
      const s = data.session;
      const record: SessionRecord = {
        id,
        title: s.title,
        ...(name !== undefined ? { name } : {}),
        ...(s.model !== undefined ? { model: s.model } : {}),
        ...(s.backend !== undefined ? { backend: s.backend } : {}),
        ...(s.systemPrompt !== undefined ? { systemPrompt: s.systemPrompt } : {}),
        createdAt: s.createdAt,
        lastActive: s.lastActive,
        messageCount: data.messages.length,
        firstSeq: 0,
        nextSeq: data.messages.length,
        tokens: s.tokens,
        cost: s.cost,
      };
      const op = ctx.kv.atomic().check({ key: sessionKey(id), versionstamp: null })
        .check({ key: lease.key, versionstamp: lease.versionstamp })
        .set(sessionKey(id), record).delete(sweepKey(id));
      if (name !== undefined) {
        op.check({ key: sessionNameKey(name), versionstamp: null }).set(sessionNameKey(name), id);
      }
      moveIndex(op, null, record);
      const res = await ctx.retry(() => op.commit());
      if (!res.ok) {
        throw new StoreError(
          "STORE_CONFLICT",
          `import of session ${id} raced with another write; try again`,
        );
      }
      ctx.emit({ sessionId: id, change: "imported", session: record });
      return record;
    } finally {
      await lease.release().catch(() => {});
    }
  }

  // ----------------------------------------------------------------- aliases

  /**
   * Sets an alias (`/alias NAME commands…`).
   *
   * @example
   * ```ts ignore
   * await store.setAlias("gs", ["/mcp tools", "/cost"]);
   * ```
   */
  async setAlias(name: string, commands: string[]): Promise<AliasRecord> {
    const ctx = this.#open();
    if (typeof name !== "string" || !/^[\w.-]{1,64}$/.test(name)) {
      throw new StoreValidationError("alias name must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (
      !Array.isArray(commands) || commands.length === 0 ||
      commands.some((c) => typeof c !== "string")
    ) {
      throw new StoreValidationError("alias commands must be a non-empty list of strings");
    }
    const record: AliasRecord = { name, commands: [...commands], updatedAt: this.#clock.now() };
    await ctx.retry(() => ctx.kv.set(aliasKey(name), record));
    return record;
  }

  /** An alias, or null. */
  async getAlias(name: string): Promise<AliasRecord | null> {
    const ctx = this.#open();
    return (await ctx.retry(() => ctx.kv.get<AliasRecord>(aliasKey(name)))).value;
  }

  /** All aliases, by name. */
  async listAliases(): Promise<AliasRecord[]> {
    const ctx = this.#open();
    const out: AliasRecord[] = [];
    await ctx.retry(async () => {
      out.length = 0;
      for await (const e of ctx.kv.list<AliasRecord>({ prefix: ALIAS_PREFIX })) out.push(e.value);
    });
    return out;
  }

  /** Deletes an alias; resolves whether it existed. */
  async deleteAlias(name: string): Promise<boolean> {
    const ctx = this.#open();
    const e = await ctx.retry(() => ctx.kv.get(aliasKey(name)));
    if (!e.versionstamp) return false;
    await ctx.retry(() => ctx.kv.delete(aliasKey(name)));
    return true;
  }

  // ------------------------------------------------------------------- OAuth

  /** The OAuth record of an MCP server, or null. */
  async getOAuth(serverUrl: string): Promise<OAuthRecord | null> {
    const ctx = this.#open();
    return (await ctx.retry(() => ctx.kv.get<OAuthRecord>(oauthKey(normalizeServerUrl(serverUrl)))))
      .value;
  }

  /**
   * Merges `patch` into the OAuth record of an MCP server (e.g. new tokens
   * after a refresh); `undefined` fields are left as they are, `null` clears.
   *
   * @example
   * ```ts ignore
   * await store.setOAuth("https://mcp.example.com/mcp", { tokens });
   * ```
   */
  async setOAuth(
    serverUrl: string,
    patch: { [K in keyof OAuthPatch]?: OAuthPatch[K] | null },
  ): Promise<OAuthRecord> {
    const ctx = this.#open();
    const url = normalizeServerUrl(serverUrl);
    for (;;) {
      const current = await ctx.retry(() => ctx.kv.get<OAuthRecord>(oauthKey(url)));
      const next: OAuthRecord = {
        ...(current.value ?? { serverUrl: url }),
        serverUrl: url,
        updatedAt: this.#clock.now(),
      };
      for (const k of ["tokens", "clientInformation", "codeVerifier"] as const) {
        if (patch[k] === null) delete next[k];
        else if (patch[k] !== undefined) (next as unknown as Record<string, unknown>)[k] = patch[k];
      }
      const res = await ctx.retry(() =>
        ctx.kv.atomic().check(current).set(oauthKey(url), next).commit()
      );
      if (res.ok) return next;
    }
  }

  /** Forgets an MCP server's OAuth state; resolves whether it existed. */
  async deleteOAuth(serverUrl: string): Promise<boolean> {
    const ctx = this.#open();
    const key = oauthKey(normalizeServerUrl(serverUrl));
    const e = await ctx.retry(() => ctx.kv.get(key));
    if (!e.versionstamp) return false;
    await ctx.retry(() => ctx.kv.delete(key));
    return true;
  }

  /** Server URLs with stored OAuth state (tokens themselves are not listed). */
  async listOAuthServers(): Promise<
    Array<{ serverUrl: string; updatedAt: number; hasTokens: boolean }>
  > {
    const ctx = this.#open();
    const out: Array<{ serverUrl: string; updatedAt: number; hasTokens: boolean }> = [];
    for await (const e of ctx.kv.list<OAuthRecord>({ prefix: OAUTH_PREFIX })) {
      out.push({
        serverUrl: e.value.serverUrl,
        updatedAt: e.value.updatedAt,
        hasTokens: e.value.tokens !== undefined,
      });
    }
    return out;
  }

  #oauthKvKey(key: string): Deno.KvKey {
    if (typeof key !== "string" || key === "" || key.length > 512) {
      throw new StoreValidationError(
        "OAuth storage key must be a non-empty string of at most 512 characters",
      );
    }
    return oauthKvKey(key);
  }

  /**
   * Key-value OAuth storage for the MCP layer (`OAuthStorage` in
   * `lib/mcp/oauth.ts`): the value at `key`, or undefined.
   *
   * @example
   * ```ts ignore
   * const tokens = await store.oauthKvGet("mcp-oauth/github/tokens");
   * ```
   */
  async oauthKvGet(key: string): Promise<unknown> {
    const ctx = this.#open();
    const k = this.#oauthKvKey(key);
    return (await ctx.retry(() => ctx.kv.get(k))).value ?? undefined;
  }

  /** Stores `value` (structured-clonable, under 64 KiB) at `key` of the OAuth storage. */
  async oauthKvSet(key: string, value: unknown): Promise<void> {
    const ctx = this.#open();
    const k = this.#oauthKvKey(key);
    if (value === undefined) {
      await ctx.retry(() => ctx.kv.delete(k));
      return;
    }
    await ctx.retry(() => ctx.kv.set(k, value));
  }

  /** Deletes `key` of the OAuth storage. */
  async oauthKvDelete(key: string): Promise<void> {
    const ctx = this.#open();
    const k = this.#oauthKvKey(key);
    await ctx.retry(() => ctx.kv.delete(k));
  }

  // ------------------------------------------------------------------- close

  /**
   * Watches the records of `ids` across processes (KV watch): yields the
   * current records first, then on every change. For server-mode subscriptions.
   *
   * @example
   * ```ts ignore
   * for await (const [record] of store.watch(["k3v9"])) console.log(record?.messageCount);
   * ```
   */
  async *watch(ids: string[], signal?: AbortSignal): AsyncGenerator<Array<SessionRecord | null>> {
    const ctx = this.#open();
    const stream = ctx.kv.watch<SessionRecord[]>(ids.map(sessionKey));
    const reader = stream.getReader();
    const onAbort = () => reader.cancel().catch(() => {});
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value.map((e) => e.value);
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      await reader.cancel().catch(() => {});
    }
  }

  /** Schema version constant of this code (for `doctor`). */
  static readonly schemaVersion = SCHEMA_VERSION;

  /**
   * Closes open views (releasing their leases) and the database. Idempotent.
   *
   * @example
   * ```ts ignore
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    const views = [...this.#views.values()];
    await Promise.allSettled(views.map((v) => v.close()));
    this.#closed = true;
    this.#kv.close();
  }
}
