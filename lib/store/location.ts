/**
 * Where the store lives: a local SQLite file under the XDG data directory,
 * or a remote KV reached through KV Connect. {@linkcode resolveKvLocation} is
 * pure (environment and config passed in) so the selection is testable.
 *
 * @module
 */

import {
  isAbsolutePath as isAbsolute,
  joinPath as join,
  resolvePath as resolve,
} from "../util/path.ts";
import { KvLocationError } from "./errors.ts";

/** File name of the local store inside the data directory. */
export const KV_FILE_NAME = "sessions.kv";

/** Environment variable that holds the KV Connect access token (read by Deno itself). */
export const ACCESS_TOKEN_ENV = "DENO_KV_ACCESS_TOKEN";

/** A local store file. */
export interface LocalKvLocation {
  /** Discriminator. */
  kind: "local";
  /** The data directory (created with mode 0o700). */
  dir: string;
  /** The KV file inside it (created with mode 0o600). */
  path: string;
  /** Which setting chose the directory (for `doctor` and error messages). */
  source: "MCPCHAT_DATA_DIR" | "session.data_dir" | "XDG_DATA_HOME" | "HOME" | "LOCALAPPDATA";
}

/** A remote KV reached via KV Connect (self-hosted `denokv` or Deno Deploy). */
export interface RemoteKvLocation {
  /** Discriminator. */
  kind: "remote";
  /** The KV Connect URL, as given to `Deno.openKv`. */
  url: string;
  /** `host[:port]` of the URL: the only `net` permission the store needs. */
  host: string;
  /** Name of the environment variable holding the token (the only `env` permission). */
  accessTokenEnv: typeof ACCESS_TOKEN_ENV;
}

/**
 * A throw-away in-memory store: same API, nothing persisted, no permissions
 * needed (`autosave = false`, `--no-save`).
 */
export interface MemoryKvLocation {
  /** Discriminator. */
  kind: "memory";
}

/** Where the store is. */
export type KvLocation = LocalKvLocation | RemoteKvLocation | MemoryKvLocation;

/** Inputs of {@linkcode resolveKvLocation}. */
export interface ResolveKvLocationOptions {
  /** Environment variables (e.g. `Deno.env.toObject()`). */
  env: Readonly<Record<string, string | undefined>>;
  /** `[session] data_dir` from the config, if set. */
  dataDir?: string;
  /** Base for relative directories; without it a relative directory is an error. */
  cwd?: string;
  /** OS name as in `Deno.build.os`; only `"windows"` changes the fallback directory. */
  os?: string;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function expandDir(
  raw: string,
  setting: string,
  env: ResolveKvLocationOptions["env"],
  cwd?: string,
) {
  let dir = raw;
  if (dir === "~" || dir.startsWith("~/")) {
    const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
    if (!home) {
      throw new KvLocationError(
        `${setting} starts with ~ but HOME is not set; give an absolute path`,
      );
    }
    dir = join(home, dir.slice(1));
  }
  if (!isAbsolute(dir)) {
    if (!cwd) {
      throw new KvLocationError(`${setting} must be an absolute path (got "${raw}")`);
    }
    dir = resolve(cwd, dir);
  }
  return dir;
}

function resolveRemote(raw: string, env: ResolveKvLocationOptions["env"]): RemoteKvLocation {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new KvLocationError(
      `MCPCHAT_KV_URL is not a valid URL ("${raw}"); expected e.g. https://kv.example.com or ` +
        `https://api.deno.com/databases/<id>/connect`,
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new KvLocationError(
      `MCPCHAT_KV_URL must be an http(s) KV Connect URL (got "${url.protocol}"); for a local ` +
        `file use MCPCHAT_DATA_DIR instead`,
    );
  }
  if (url.username || url.password) {
    throw new KvLocationError(
      `MCPCHAT_KV_URL must not carry credentials; put the token in ${ACCESS_TOKEN_ENV}`,
    );
  }
  if (
    url.protocol === "http:" && !LOOPBACK.has(url.hostname) &&
    env.MCPCHAT_KV_ALLOW_INSECURE !== "1"
  ) {
    throw new KvLocationError(
      `MCPCHAT_KV_URL uses plain http to ${url.host}, which would send ${ACCESS_TOKEN_ENV} ` +
        `unencrypted; use https, or set MCPCHAT_KV_ALLOW_INSECURE=1 on a trusted network`,
    );
  }
  if (!nonEmpty(env[ACCESS_TOKEN_ENV])) {
    throw new KvLocationError(
      `MCPCHAT_KV_URL is set (${url.origin}) but ${ACCESS_TOKEN_ENV} is missing; export the ` +
        `access token of that KV (denokv --access-token, or a Deno Deploy token)`,
    );
  }
  return { kind: "remote", url: url.href, host: url.host, accessTokenEnv: ACCESS_TOKEN_ENV };
}

/**
 * Chooses where the store lives. In order: `MCPCHAT_KV_URL` (remote, needs
 * `DENO_KV_ACCESS_TOKEN`), `MCPCHAT_DATA_DIR`, config `session.data_dir`,
 * `$XDG_DATA_HOME/mcpchat`, `$HOME/.local/share/mcpchat` (or
 * `%LOCALAPPDATA%\mcpchat` on Windows). Throws {@linkcode KvLocationError}.
 *
 * @example
 * ```ts
 * import { resolveKvLocation } from "./location.ts";
 * const loc = resolveKvLocation({ env: { XDG_DATA_HOME: "/home/u/.local/share" } });
 * // { kind: "local", dir: "/home/u/.local/share/mcpchat", path: ".../sessions.kv", ... }
 * ```
 */
export function resolveKvLocation(options: ResolveKvLocationOptions): KvLocation {
  const { env } = options;
  const remote = nonEmpty(env.MCPCHAT_KV_URL);
  if (remote) return resolveRemote(remote, env);

  const local = (dir: string, source: LocalKvLocation["source"]): LocalKvLocation => ({
    kind: "local",
    dir,
    path: join(dir, KV_FILE_NAME),
    source,
  });
  const fromEnv = nonEmpty(env.MCPCHAT_DATA_DIR);
  if (fromEnv) {
    return local(expandDir(fromEnv, "MCPCHAT_DATA_DIR", env, options.cwd), "MCPCHAT_DATA_DIR");
  }
  const fromConfig = nonEmpty(options.dataDir);
  if (fromConfig) {
    return local(expandDir(fromConfig, "session.data_dir", env, options.cwd), "session.data_dir");
  }
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  // The XDG spec says relative values are invalid and must be ignored.
  if (xdg && isAbsolute(xdg)) return local(join(xdg, "mcpchat"), "XDG_DATA_HOME");
  if (options.os === "windows") {
    const appData = nonEmpty(env.LOCALAPPDATA);
    if (appData) return local(join(appData, "mcpchat"), "LOCALAPPDATA");
  }
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
  if (home) return local(join(home, ".local", "share", "mcpchat"), "HOME");
  throw new KvLocationError(
    "cannot find a data directory: set MCPCHAT_DATA_DIR, [session] data_dir, XDG_DATA_HOME or HOME",
  );
}
