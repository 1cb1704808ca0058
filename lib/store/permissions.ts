/**
 * The permissions the store worker needs, derived from its location: read
 * and write of the data directory for a local store; for a remote KV, `net`
 * to exactly the KV Connect host and `env` for exactly the access token; for
 * an in-memory store, nothing.
 *
 * @module
 */

import type { PluginPermissions } from "../plugin/permissions.ts";
import type { KvLocation } from "./location.ts";

/**
 * Least-privilege worker permissions for a store at `location`.
 *
 * @example
 * ```ts
 * import { storeWorkerPermissions } from "./permissions.ts";
 * storeWorkerPermissions({ kind: "local", dir: "/d", path: "/d/sessions.kv", source: "HOME" });
 * // { read: ["/d"], write: ["/d"] }
 * ```
 */
export function storeWorkerPermissions(location: KvLocation): PluginPermissions {
  if (location.kind === "memory") return {};
  if (location.kind === "remote") {
    return { net: [location.host], env: [location.accessTokenEnv] };
  }
  return { read: [location.dir], write: [location.dir] };
}
