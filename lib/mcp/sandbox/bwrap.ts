/**
 * A {@linkcode SandboxPolicy} as a bubblewrap command line (Linux), the way
 * `@anthropic-ai/sandbox-runtime` builds its own: the whole file system
 * read-only, the writable places bound read-write over it, credential stores
 * masked, new PID/user/session namespaces, `--die-with-parent` so the server
 * never outlives mcpchat (SIGKILL included). Unlike the library we pass an
 * argv (no shell string), mask denied paths so reads fail visibly with
 * "permission denied" instead of reading as empty, and keep the network
 * namespace when the policy leaves the network open.
 *
 * @module
 */

import { joinPath as join } from "../../util/path.ts";
import { isWithin, type SandboxPolicy } from "./policy.ts";
import { SANDBOX_PROXY_PORT } from "./net_proxy.ts";

/** What the host set up once for every sandbox of this process. */
export interface SandboxHostFiles {
  /** A file with mode 000, bound over denied files. */
  deniedFile: string;
}

/** What the running bubblewrap supports (from {@linkcode detectSandbox}). */
export interface BwrapFeatures {
  /** Absolute path of `bwrap`. */
  bwrap: string;
  /** `--disable-userns` (bubblewrap ≥ 0.8): a server cannot make a user namespace to undo the mounts. */
  disableUserns: boolean;
  /** Running as root: drop every capability inside. */
  root: boolean;
}

/** Files a writable place still keeps read-only (they run code as the user later). */
const PROTECTED_FILES = [
  ".bashrc",
  ".bash_profile",
  ".bash_login",
  ".zshrc",
  ".zprofile",
  ".zshenv",
  ".profile",
  ".gitconfig",
  ".git/hooks",
  ".git/config",
  ".mcp.json",
];

/** Inputs of {@linkcode bwrapArgs} beyond the policy. */
export interface BwrapCommand {
  /** The server's command (looked up on its own PATH by bubblewrap). */
  command: string;
  /** Its arguments. */
  args: readonly string[];
  /** Its working directory. */
  cwd: string;
  /** Whether a path exists, and as what. */
  stat(path: string): "dir" | "file" | undefined;
}

/**
 * The bubblewrap argv (without `bwrap` itself) that runs `command` under `policy`.
 *
 * @example
 * ```ts
 * import { bwrapArgs } from "./bwrap.ts";
 * const args = bwrapArgs({
 *   server: "x", enabled: true, mode: "default", required: false, presets: [],
 *   denyRead: [{ path: "/home/ada/.ssh", why: "SSH keys" }], allowRead: [],
 *   write: [{ path: "/work", why: "working directory" }], ensureDirs: [],
 *   network: { open: true }, env: [], tmpDir: "/tmp/mcpchat-sandbox-0/tmp",
 * }, { command: "node", args: ["s.js"], cwd: "/work", stat: (p) => p.endsWith(".ssh") ? "dir" : undefined },
 *   { bwrap: "/usr/bin/bwrap", disableUserns: false, root: false }, { deniedFile: "/tmp/d" });
 * console.log(args.slice(-4)); // ["/work", "--", "node", "s.js"]
 * ```
 */
export function bwrapArgs(
  policy: SandboxPolicy,
  command: BwrapCommand,
  features: BwrapFeatures,
  files: SandboxHostFiles,
  proxy?: { socketPath: string; socat: string },
): string[] {
  const out = ["--new-session", "--die-with-parent", "--unshare-pid", "--unshare-user"];
  if (features.disableUserns) out.push("--disable-userns");
  if (features.root) out.push("--cap-drop", "ALL");
  if (!policy.network.open) out.push("--unshare-net");
  out.push("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc");

  const byDepth = <T extends { path: string }>(list: T[]) =>
    [...list].sort((a, b) => a.path.length - b.path.length);
  for (const w of byDepth(policy.write.filter((w) => w.path !== policy.tmpDir))) {
    if (w.path === "/") continue;
    out.push("--bind", w.path, w.path);
  }
  out.push("--tmpfs", policy.tmpDir);
  for (const w of policy.write) {
    if (w.path === policy.tmpDir || w.why.endsWith(" cache")) continue;
    for (const name of PROTECTED_FILES) {
      const p = join(w.path, name);
      if (command.stat(p) !== undefined) out.push("--ro-bind", p, p);
    }
  }
  for (const d of byDepth(policy.denyRead)) {
    const kind = command.stat(d.path);
    if (kind === "dir") {
      // Traversable (not listable) when part of it is re-opened by `read`.
      const reopened = policy.allowRead.some((a) => isWithin(a.path, d.path));
      out.push("--perms", reopened ? "0111" : "0000", "--tmpfs", d.path);
    } else if (kind === "file") {
      out.push("--ro-bind", files.deniedFile, d.path);
    }
  }
  for (const a of policy.allowRead) {
    if (command.stat(a.path) !== undefined) out.push("--ro-bind", a.path, a.path);
  }
  out.push("--chdir", command.cwd);
  if (!policy.network.open && proxy) {
    // The host's filtering proxy, reached through socat on the sandbox's own loopback.
    out.push("--bind", proxy.socketPath, proxy.socketPath);
    const listen = `TCP-LISTEN:${SANDBOX_PROXY_PORT},bind=127.0.0.1,fork,reuseaddr`;
    const script = `${proxy.socat} ${listen} UNIX-CONNECT:"$0" >/dev/null 2>&1 &\n` +
      // Wait (briefly, bounded) until it listens, so the server's first request finds it.
      `i=0; while [ $i -lt 100 ] && ! ${proxy.socat} -u OPEN:/dev/null ` +
      `TCP:127.0.0.1:${SANDBOX_PROXY_PORT} 2>/dev/null; do i=$((i+1)); sleep 0.01; done\n` +
      `exec "$@"`;
    out.push("--", "/bin/sh", "-c", script, proxy.socketPath, command.command, ...command.args);
    return out;
  }
  out.push("--", command.command, ...command.args);
  return out;
}

/**
 * The variables that point a sandboxed server's clients at the filtering proxy.
 *
 * @example
 * ```ts
 * import { proxyEnv } from "./bwrap.ts";
 * console.log(proxyEnv().HTTPS_PROXY); // "http://127.0.0.1:3128"
 * ```
 */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${SANDBOX_PROXY_PORT}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    ALL_PROXY: url,
    all_proxy: url,
    NO_PROXY: "",
    no_proxy: "",
    // Node ≥ 24: fetch and http honour the variables above.
    NODE_USE_ENV_PROXY: "1",
  };
}
