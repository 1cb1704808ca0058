/**
 * Makes a sandbox denial visible: given a server's error text (a tool error,
 * a JSON-RPC error, its last stderr lines), one line naming what was denied
 * and the config key that allows it. Runs in the transport worker on the
 * raw lines it relays, so it must stay cheap: {@linkcode mayBeDenial} is a
 * single regex test, and only a match is parsed.
 *
 * @module
 */

import { dirnamePath as dirname } from "../../util/path.ts";

/** The part of a policy the transport worker needs to explain denials. */
export interface SandboxSummary {
  /** Server name (for the config key). */
  server: string;
  /** Denied paths with why. */
  denyRead: { path: string; why: string }[];
  /** Writable paths. */
  write: string[];
  /** Whether the network is open. */
  networkOpen: boolean;
}

const DENIAL_RE =
  /EROFS|[Rr]ead-only file system|EACCES|EPERM|[Pp]ermission denied|[Oo]peration not permitted|ENETUNREACH|EAI_AGAIN|ENOTFOUND|ECONNREFUSED|[Nn]etwork is unreachable|[Nn]ame or service not known|[Tt]emporary failure in name resolution/;

/**
 * Cheap pre-check: whether `text` may hold a denial worth explaining.
 *
 * @example
 * ```ts
 * import { mayBeDenial } from "./explain.ts";
 * mayBeDenial("EROFS: read-only file system, open '/etc/x'"); // true
 * mayBeDenial('{"result":{"content":[]}}'); // false
 * ```
 */
export function mayBeDenial(text: string): boolean {
  return DENIAL_RE.test(text);
}

/**
 * One line explaining a denial in `text`, or `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { explainDenial } from "./explain.ts";
 * const s = { server: "fs", denyRead: [{ path: "/home/ada/.ssh", why: "SSH keys" }], write: ["/work"], networkOpen: true };
 * explainDenial("EACCES: permission denied, open '/home/ada/.ssh/id_rsa'", s);
 * // 'sandbox: reading /home/ada/.ssh/id_rsa was denied (SSH keys); to allow it set mcp.servers.fs.sandbox.read = ["/home/ada/.ssh"]'
 * explainDenial("EROFS: read-only file system, open '/srv/out.txt'", s);
 * // 'sandbox: writing /srv/out.txt was denied; to allow it set mcp.servers.fs.sandbox.write = ["/srv"]'
 * ```
 */
export function explainDenial(text: string, s: SandboxSummary): string | undefined {
  if (!mayBeDenial(text)) return undefined;
  const key = `mcp.servers.${s.server}.sandbox`;
  const paths = pathsIn(text);
  if (/EROFS|[Rr]ead-only file system/.test(text)) {
    const path = paths.find((p) => !s.write.some((w) => within(p, w))) ?? paths[0];
    if (path) {
      return `sandbox: writing ${path} was denied; to allow it set ${key}.write = ["${
        dirname(path)
      }"]`;
    }
    return `sandbox: a write outside the allowed directories was denied; allow a directory with ${key}.write`;
  }
  if (/EACCES|EPERM|[Pp]ermission denied|[Oo]peration not permitted/.test(text)) {
    for (const p of paths) {
      const hit = s.denyRead.find((d) => within(p, d.path));
      if (hit) {
        return `sandbox: reading ${p} was denied (${hit.why}); to allow it set ${key}.read = ["${hit.path}"]`;
      }
    }
    return undefined;
  }
  if (!s.networkOpen) {
    const host = /(?:ENOTFOUND|EAI_AGAIN)\s+([A-Za-z0-9.-]+)/.exec(text)?.[1] ??
      /\b(\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?)\b/.exec(text)?.[1] ??
      /https?:\/\/([^/\s'"]+)/.exec(text)?.[1];
    return `sandbox: network access is closed for this server; to allow ${
      host ?? "a domain"
    } set ${key}.network = ["${host ?? "example.com"}"]`;
  }
  return undefined;
}

/**
 * The command bubblewrap could not find (its own error), if that is what `stderr` says.
 *
 * @example
 * ```ts
 * import { commandNotFoundIn } from "./explain.ts";
 * commandNotFoundIn("bwrap: execvp npx: No such file or directory"); // "npx"
 * ```
 */
export function commandNotFoundIn(stderr: string): string | undefined {
  return /bwrap: execvp (\S+): No such file or directory/.exec(stderr)?.[1];
}

function pathsIn(text: string): string[] {
  const out: string[] = [];
  const re = /(?:'|"|\s|^|:)(\/[^\s'":,)]+)/g;
  for (const m of text.matchAll(re)) out.push(m[1].replace(/[.]+$/, ""));
  return out;
}

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}
