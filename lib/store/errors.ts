/**
 * Typed errors of the store. Each carries a stable `code` string so callers
 * on the far side of a worker boundary (where only `name`, `message` and
 * `code` survive) can branch on it, and a message that says what to do.
 *
 * @module
 */

import { McpchatError, type McpchatErrorOptions } from "../util/errors.ts";

/**
 * Base class of every store error.
 *
 * @example
 * ```ts
 * import { StoreError } from "./errors.ts";
 * try { throw new StoreError("STORE_ERROR", "boom"); } catch (e) {
 *   if (e instanceof StoreError) console.log(e.code);
 * }
 * ```
 */
export class StoreError extends McpchatError {
  /** Creates an error with machine-readable `code` and `message`. */
  constructor(code: string, message: string, options?: McpchatErrorOptions) {
    super(code, message, options);
    this.name = "StoreError";
  }
}

/**
 * The file at the KV path is not a Deno KV database (a text file, another
 * program's SQLite database, random bytes). The file is left untouched.
 *
 * @example
 * ```ts
 * import { ForeignKvFileError } from "./errors.ts";
 * new ForeignKvFileError("/tmp/x.kv", "it is not a SQLite database").message;
 * ```
 */
export class ForeignKvFileError extends StoreError {
  /** Path of the offending file. */
  readonly path: string;
  /** Creates the error for `path`, explaining `reason`. */
  constructor(path: string, reason: string) {
    super(
      "STORE_FOREIGN_FILE",
      `the session store ${path} is not an mcpchat/Deno KV database (${reason}); ` +
        `it was left untouched. Move it away (e.g. mv "${path}" "${path}.bak") or point ` +
        `mcpchat at another location with MCPCHAT_DATA_DIR or [session] data_dir`,
    );
    this.name = "ForeignKvFileError";
    this.path = path;
  }
}

/**
 * The KV database exists but cannot be read (damaged file).
 *
 * @example
 * ```ts
 * import { StoreCorruptedError } from "./errors.ts";
 * new StoreCorruptedError("/tmp/x.kv", "database disk image is malformed");
 * ```
 */
export class StoreCorruptedError extends StoreError {
  /** Path of the damaged database. */
  readonly path: string;
  /** Creates the error for `path`, with the underlying `reason`. */
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super(
      "STORE_CORRUPTED",
      `the session store ${path} could not be read (${reason}); it was left untouched. ` +
        `Move it away (e.g. mv "${path}" "${path}.bak") to start a fresh store, or restore a backup`,
      options,
    );
    this.name = "StoreCorruptedError";
    this.path = path;
  }
}

/**
 * The store was written by a newer mcpchat with a schema this one does not know.
 *
 * @example
 * ```ts
 * import { StoreVersionError } from "./errors.ts";
 * new StoreVersionError("/tmp/x.kv", 9, 2);
 * ```
 */
export class StoreVersionError extends StoreError {
  /** Creates the error for a store at schema `found` when this code knows up to `supported`. */
  constructor(location: string, found: number, supported: number) {
    super(
      "STORE_VERSION",
      `the session store ${location} has schema version ${found}, but this mcpchat supports ` +
        `up to ${supported}; upgrade mcpchat, or use another data directory (MCPCHAT_DATA_DIR)`,
    );
    this.name = "StoreVersionError";
  }
}

/**
 * The KV location could not be resolved from the environment and config.
 *
 * @example
 * ```ts
 * import { KvLocationError } from "./errors.ts";
 * new KvLocationError("MCPCHAT_KV_URL must be an http(s) URL");
 * ```
 */
export class KvLocationError extends StoreError {
  /** Creates the error with an actionable `message`. */
  constructor(message: string) {
    super("STORE_LOCATION", message);
    this.name = "KvLocationError";
  }
}

/**
 * The database stayed locked by other processes past the retry budget.
 *
 * @example
 * ```ts
 * import { StoreLockedError } from "./errors.ts";
 * new StoreLockedError(20);
 * ```
 */
export class StoreLockedError extends StoreError {
  /** Creates the error after `attempts` tries. */
  constructor(attempts: number, options?: ErrorOptions) {
    super(
      "STORE_LOCKED",
      `the session store stayed locked by other processes after ${attempts} attempts; ` +
        `close other mcpchat instances that use the same data directory and try again`,
      options,
    );
    this.name = "StoreLockedError";
  }
}

/**
 * An operation on a store that was closed.
 *
 * @example
 * ```ts
 * import { StoreClosedError } from "./errors.ts";
 * new StoreClosedError();
 * ```
 */
export class StoreClosedError extends StoreError {
  /** Creates the error. */
  constructor() {
    super("STORE_CLOSED", "the session store is closed");
    this.name = "StoreClosedError";
  }
}

/**
 * No session matches the given id, id prefix or name.
 *
 * @example
 * ```ts
 * import { SessionNotFoundError } from "./errors.ts";
 * new SessionNotFoundError("k3v9");
 * ```
 */
export class SessionNotFoundError extends StoreError {
  /** The reference that matched nothing. */
  readonly ref: string;
  /** Creates the error for `ref`. */
  constructor(ref: string) {
    super(
      "SESSION_NOT_FOUND",
      `no session matches "${ref}"; run \`mcpchat sessions list\` (or /sessions) to see the ids`,
    );
    this.name = "SessionNotFoundError";
    this.ref = ref;
  }
}

/**
 * An id prefix matches several sessions.
 *
 * @example
 * ```ts
 * import { AmbiguousSessionError } from "./errors.ts";
 * new AmbiguousSessionError("k3", ["k3aa", "k3bb"]);
 * ```
 */
export class AmbiguousSessionError extends StoreError {
  /** Creates the error for `ref` matching `candidates`. */
  constructor(ref: string, candidates: string[]) {
    super(
      "SESSION_AMBIGUOUS",
      `"${ref}" matches several sessions (${candidates.join(", ")}); type more of the id`,
    );
    this.name = "AmbiguousSessionError";
  }
}

/** Who holds a session lease, as shown in {@linkcode SessionBusyError}. */
export interface LeaseHolder {
  /** Process id of the holder. */
  pid: number;
  /** Host name of the holder. */
  host: string;
  /** When the holder acquired the lease (ms since epoch). */
  acquiredAt: number;
  /** When the lease lapses unless renewed (ms since epoch). */
  expiresAt: number;
}

/**
 * Another mcpchat holds the writer lease of the session.
 *
 * @example
 * ```ts
 * import { SessionBusyError } from "./errors.ts";
 * new SessionBusyError("k3v9", { pid: 42, host: "box", acquiredAt: 0, expiresAt: 30_000 });
 * ```
 */
export class SessionBusyError extends StoreError {
  /** The busy session. */
  readonly sessionId: string;
  /** The current holder. */
  readonly holder: LeaseHolder;
  /** Creates the error for `sessionId` held by `holder`. */
  constructor(sessionId: string, holder: LeaseHolder) {
    super(
      "SESSION_BUSY",
      `session ${sessionId} is open in another mcpchat (pid ${holder.pid} on host ${holder.host}) ` +
        `since ${new Date(holder.acquiredAt).toISOString()}; use --resume with a new session or ` +
        `close the other one (if that process crashed, its lease lapses at ` +
        `${new Date(holder.expiresAt).toISOString()})`,
    );
    this.name = "SessionBusyError";
    this.sessionId = sessionId;
    this.holder = holder;
  }
}

/**
 * This process lost its writer lease (it was taken over after expiring,
 * e.g. after the machine slept); nothing more is written to the session.
 *
 * @example
 * ```ts
 * import { SessionLeaseLostError } from "./errors.ts";
 * new SessionLeaseLostError("k3v9");
 * ```
 */
export class SessionLeaseLostError extends StoreError {
  /** Creates the error for `sessionId`. */
  constructor(sessionId: string) {
    super(
      "SESSION_LEASE_LOST",
      `session ${sessionId} was taken over by another mcpchat after this one's lease lapsed; ` +
        `the last message was not saved here. Start a new session (/new) or resume it again (-r ${sessionId})`,
    );
    this.name = "SessionLeaseLostError";
  }
}

/**
 * The session was deleted (by this or another process) while open.
 *
 * @example
 * ```ts
 * import { SessionDeletedError } from "./errors.ts";
 * new SessionDeletedError("k3v9");
 * ```
 */
export class SessionDeletedError extends StoreError {
  /** Creates the error for `sessionId`. */
  constructor(sessionId: string) {
    super(
      "SESSION_DELETED",
      `session ${sessionId} was deleted while open; start a new one with /new`,
    );
    this.name = "SessionDeletedError";
  }
}

/**
 * A session with this id already exists (import without a new id).
 *
 * @example
 * ```ts
 * import { SessionExistsError } from "./errors.ts";
 * new SessionExistsError("k3v9");
 * ```
 */
export class SessionExistsError extends StoreError {
  /** Creates the error for `sessionId`. */
  constructor(sessionId: string) {
    super(
      "SESSION_EXISTS",
      `a session with id ${sessionId} already exists; import it as a new session ` +
        `(onConflict: "new-id") or delete the existing one first`,
    );
    this.name = "SessionExistsError";
  }
}

/**
 * A saved session name is already used by another session.
 *
 * @example
 * ```ts
 * import { SessionNameTakenError } from "./errors.ts";
 * new SessionNameTakenError("work", "k3v9");
 * ```
 */
export class SessionNameTakenError extends StoreError {
  /** Creates the error for `name` held by `ownerId`. */
  constructor(name: string, ownerId: string) {
    super(
      "SESSION_NAME_TAKEN",
      `the name "${name}" is already used by session ${ownerId}; pick another name or rename that session`,
    );
    this.name = "SessionNameTakenError";
  }
}

/**
 * Input (a message, an import file, a name) does not have the expected shape.
 *
 * @example
 * ```ts
 * import { StoreValidationError } from "./errors.ts";
 * new StoreValidationError("message.role must be one of system, user, assistant, tool");
 * ```
 */
export class StoreValidationError extends StoreError {
  /** Creates the error with `message` saying what was expected. */
  constructor(message: string) {
    super("STORE_INVALID", message);
    this.name = "StoreValidationError";
  }
}

/**
 * The session view is read-only (opened without a lease).
 *
 * @example
 * ```ts
 * import { SessionReadOnlyError } from "./errors.ts";
 * new SessionReadOnlyError("k3v9");
 * ```
 */
export class SessionReadOnlyError extends StoreError {
  /** Creates the error for `sessionId`. */
  constructor(sessionId: string) {
    super(
      "SESSION_READ_ONLY",
      `session ${sessionId} is open read-only here; resume it (-r ${sessionId}) to write to it`,
    );
    this.name = "SessionReadOnlyError";
  }
}
