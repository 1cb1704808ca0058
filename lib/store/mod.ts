/**
 * Sessions and message store on Deno KV: every message committed atomically
 * as it happens, bounded memory per open session, crash-safe bulk deletes,
 * writer leases across processes, export/import, schema migrations, local
 * (XDG) or remote (KV Connect) location. See `docs/store.md`.
 *
 * @example
 * ```ts
 * import { openMessageStore, resolveKvLocation } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * const location = resolveKvLocation({ env: { MCPCHAT_DATA_DIR: dir } });
 * const store = await openMessageStore({ location });
 * const view = await store.sessions.create();
 * await view.append({ role: "user", content: "hello" });
 * const page = await view.history({ limit: 10 });
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export * from "./errors.ts";
export * from "./types.ts";
export * from "./keys.ts";
export {
  type KvLocation,
  type LocalKvLocation,
  type MemoryKvLocation,
  type RemoteKvLocation,
  resolveKvLocation,
} from "./location.ts";
export type { ResolveKvLocationOptions } from "./location.ts";
export { checkKvFile, classifyKvFile, type KvFileVerdict } from "./file_check.ts";
export {
  addLastActiveIndex,
  type Migration,
  type MigrationReport,
  MIGRATIONS,
  runMigrations,
} from "./migrations.ts";
export type { LeaseOwner, LeaseValue } from "./lease.ts";
export type { SessionChangedEvent } from "./context.ts";
export { type HistoryOptions, MAX_BATCH_MESSAGES, MAX_PAGE, SessionView } from "./session_view.ts";
export { type ListOptions, type OpenOptions, Sessions } from "./sessions.ts";
export { type ImportOptions, SessionTransfer } from "./transfer.ts";
export { Aliases } from "./aliases.ts";
export { OAuthStorage } from "./oauth.ts";
export {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  type ExportedSession,
  parseSessionExport,
  type SessionExport,
} from "./export.ts";
export {
  type MessageStore,
  type MessageStoreOptions,
  openMessageStore,
  type StoreInfo,
} from "./store.ts";
export { permissionWarnings } from "./open_kv.ts";
export { isLockedError, withLockRetry } from "./retry.ts";
export { storeWorkerPermissions } from "./permissions.ts";
