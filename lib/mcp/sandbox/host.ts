/**
 * The host's side of sandboxing: decides, for each stdio server it spawns,
 * whether and how its process is sandboxed, and rewrites the transport spec
 * so the transport worker runs `bwrap … -- command args`. Runs on the main
 * thread, which alone may read the user's environment and the file system
 * (to expand paths, find credential stores and `.env` files).
 *
 * @module
 */

import { joinPath as join } from "../../util/path.ts";
import type { TransportSpec } from "../port_protocol.ts";
import type { SandboxSettings } from "../../config/sandbox_schema.ts";
import { bwrapArgs, proxyEnv, type SandboxHostFiles } from "./bwrap.ts";
import {
  detectSandbox,
  installHint,
  type SandboxAvailability,
  systemDetectDeps,
} from "./detect.ts";
import { type DomainProxy, startDomainProxy } from "./net_proxy.ts";
import { defaultSandboxSettings, resolvePolicy, type SandboxPolicy } from "./policy.ts";
import type { SandboxSummary } from "./explain.ts";

/** A stdio spec (the only kind a sandbox applies to). */
type StdioSpec = Extract<TransportSpec, { kind: "stdio" }>;

/** Thrown when a server says `required = true` and no sandbox is available. */
export class McpSandboxRequiredError extends Error {
  /** Stable code (a permanent failure: not retried). */
  readonly code = "MCP_SANDBOX_REQUIRED";
  /** Server name. */
  readonly server: string;
  constructor(server: string, availability: SandboxAvailability) {
    super(
      `mcp.servers.${server}.sandbox.required is set, but no sandbox is available ` +
        `(${availability.reason ?? "unknown reason"})` +
        (availability.install ? `; to fix: ${availability.install}` : ""),
    );
    this.name = "McpSandboxRequiredError";
    this.server = server;
  }
}

/** Options of {@linkcode SandboxHost}. */
export interface SandboxHostOptions {
  /** The user's environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** mcpchat's working directory (a server's default cwd). */
  cwd: string;
  /** Declared roots (absolute paths). */
  roots?: readonly string[];
  /** mcpchat's own config and data directories. */
  ownDirs?: readonly string[];
  /** Shows a warning to the user once (stderr). */
  warn?: (message: string) => void;
  /** Availability (default: detect on this machine, once). */
  detect?: () => Promise<SandboxAvailability>;
}

/**
 * Per-process sandbox state: availability (probed once), the shared host
 * files, and the warnings already shown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SandboxHost } from "./host.ts";
 * const runtime = await Deno.makeTempDir();
 * const host = new SandboxHost({
 *   env: { PATH: "/usr/bin:/bin", HOME: "/home/ada", XDG_RUNTIME_DIR: runtime },
 *   cwd: "/home/ada/project",
 *   // As if bubblewrap 0.9 were installed (the default probes this machine once).
 *   detect: () =>
 *     Promise.resolve({
 *       available: true,
 *       backend: "bubblewrap",
 *       features: { bwrap: "/usr/bin/bwrap", version: "0.9.0", disableUserns: true, root: false },
 *     }),
 * });
 * const spec = await host.wrap(
 *   { kind: "stdio", name: "mem", command: "node", args: ["server.js"], env: {} },
 *   undefined, // the server's `sandbox` settings: the defaults
 * );
 * assert.equal(spec.command, "/usr/bin/bwrap");
 * assert.deepEqual(spec.args.slice(-3), ["--", "node", "server.js"]);
 * assert.equal(spec.sandbox?.server, "mem");
 * host.close();
 * await Deno.remove(runtime, { recursive: true });
 * ```
 */
export class SandboxHost {
  readonly #opts: SandboxHostOptions;
  #availability?: Promise<SandboxAvailability>;
  #files?: SandboxHostFiles & { tmpDir: string };
  readonly #warned = new Set<string>();
  readonly #proxies = new Map<string, DomainProxy>();

  constructor(options: SandboxHostOptions) {
    this.#opts = options;
  }

  /** Whether a sandbox can run here (probed on first use, then cached). */
  availability(): Promise<SandboxAvailability> {
    this.#availability ??= (this.#opts.detect ??
      (() => detectSandbox(systemDetectDeps(this.#opts.env.PATH ?? ""))))();
    return this.#availability;
  }

  /** The directory that holds the shared files (created by {@linkcode SandboxHost.wrap}). */
  runtimeDir(): string {
    const base = this.#opts.env.XDG_RUNTIME_DIR || "/tmp";
    let uid = 0;
    try {
      uid = Deno.uid() ?? 0;
    } catch {
      // No sys permission: one name for all.
    }
    return join(base, `mcpchat-sandbox-${uid}`);
  }

  /** The effective policy of a server (what `servers sandbox NAME` prints). */
  policy(
    name: string,
    server: { command: string; args?: string[]; cwd?: string; sandbox?: SandboxSettings | false },
  ): SandboxPolicy {
    const cwd = server.cwd ?? this.#opts.cwd;
    return resolvePolicy({
      server: name,
      settings: server.sandbox === undefined ? defaultSandboxSettings() : server.sandbox,
      command: server.command,
      args: server.args ?? [],
      cwd,
      roots: this.#opts.roots ?? [],
      env: this.#opts.env,
      os: Deno.build.os,
      ownDirs: this.#opts.ownDirs ?? [],
      stat: statKind,
      list: listDir,
      tmpDir: join(this.runtimeDir(), "tmp"),
    });
  }

  /**
   * The spec to spawn: wrapped in bubblewrap, or unchanged (with a warning
   * once) when the server opts out or no sandbox is available.
   *
   * @throws {McpSandboxRequiredError} `required = true` and no sandbox here
   */
  async wrap(
    spec: StdioSpec,
    sandbox: SandboxSettings | false | undefined,
  ): Promise<StdioSpec> {
    const policy = this.policy(spec.name, { ...spec, sandbox });
    if (!policy.enabled) {
      this.#warnOnce(
        `off:${spec.name}`,
        `${spec.name} runs without a sandbox (mcp.servers.${spec.name}.sandbox = false)`,
      );
      return spec;
    }
    const availability = await this.availability();
    if (!availability.available || !availability.features) {
      if (policy.required) throw new McpSandboxRequiredError(spec.name, availability);
      this.#warnOnce(
        "unavailable",
        `MCP servers run without a sandbox: ${availability.reason}` +
          (availability.install ? `; to fix: ${availability.install}` : "") +
          " (mcpchat doctor)",
      );
      return spec;
    }
    const files = await this.#hostFiles();
    let proxy: { socketPath: string; socat: string } | undefined;
    if (!policy.network.open && policy.network.domains.length > 0) {
      if (availability.socat) {
        proxy = {
          socketPath: await this.#proxyFor(spec.name, policy.network.domains),
          socat: availability.socat,
        };
      } else {
        this.#warnOnce(
          `socat:${spec.name}`,
          `${spec.name}: its network stays closed, sandbox.network domains need socat (${
            installHint(["socat"])
          })`,
        );
      }
    }
    for (const dir of policy.ensureDirs) await Deno.mkdir(dir, { recursive: true }).catch(() => {});
    const env: Record<string, string> = { ...spec.env };
    for (const name of policy.env) {
      const value = this.#opts.env[name];
      if (value !== undefined) env[name] = value;
    }
    env.TMPDIR = policy.tmpDir;
    if (!policy.network.open) {
      // No proxy variables from the user's environment: they point outside the sandbox.
      for (const k of Object.keys(env)) if (/^(https?|all|no)_proxy$/i.test(k)) delete env[k];
      if (proxy) Object.assign(env, proxyEnv());
    }
    const cwd = spec.cwd ?? this.#opts.cwd;
    return {
      ...spec,
      command: availability.features.bwrap,
      args: bwrapArgs(
        policy,
        { command: spec.command, args: spec.args, cwd, stat: statKind },
        {
          bwrap: availability.features.bwrap,
          disableUserns: availability.features.disableUserns,
          root: availability.features.root,
        },
        files,
        proxy,
      ),
      env,
      cwd,
      sandbox: summaryOf(policy),
    };
  }

  async #hostFiles(): Promise<SandboxHostFiles & { tmpDir: string }> {
    if (this.#files) return this.#files;
    const dir = this.runtimeDir();
    await Deno.mkdir(join(dir, "tmp"), { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700).catch(() => {});
    const deniedFile = join(dir, "denied");
    await Deno.writeTextFile(deniedFile, "").catch(() => {});
    await Deno.chmod(deniedFile, 0o000);
    this.#files = { deniedFile, tmpDir: join(dir, "tmp") };
    return this.#files;
  }

  /** The proxy socket of a strict server (one per server, reused across reconnects). */
  async #proxyFor(server: string, domains: readonly string[]): Promise<string> {
    const key = `${server}\n${domains.join(",")}`;
    const have = this.#proxies.get(key);
    if (have) return have.socketPath;
    const id = crypto.randomUUID().slice(0, 8);
    const proxy = await startDomainProxy(
      join(this.runtimeDir(), `net-${server}-${id}.sock`),
      server,
      domains,
    );
    this.#proxies.set(key, proxy);
    return proxy.socketPath;
  }

  /** Stops the strict servers' proxies (at exit). */
  close(): void {
    for (const p of this.#proxies.values()) p.close();
    this.#proxies.clear();
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#opts.warn?.(message);
  }
}

/**
 * What the transport worker needs to explain a denial.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SandboxHost, summaryOf } from "./host.ts";
 * const host = new SandboxHost({ env: { HOME: "/home/ada" }, cwd: "/home/ada/project" });
 * const summary = summaryOf(host.policy("mem", { command: "node", args: ["server.js"] }));
 * assert.equal(summary.server, "mem");
 * assert.equal(summary.networkOpen, true);
 * ```
 */
export function summaryOf(policy: SandboxPolicy): SandboxSummary {
  return {
    server: policy.server,
    denyRead: policy.denyRead,
    write: policy.write.map((w) => w.path),
    networkOpen: policy.network.open,
  };
}

function statKind(path: string): "dir" | "file" | undefined {
  try {
    const s = Deno.statSync(path);
    return s.isDirectory ? "dir" : "file";
  } catch {
    return undefined;
  }
}

function listDir(path: string): { name: string; dir: boolean }[] {
  try {
    const out: { name: string; dir: boolean }[] = [];
    for (const e of Deno.readDirSync(path)) {
      out.push({ name: e.name, dir: e.isDirectory });
      if (out.length > 2_000) break;
    }
    return out;
  } catch {
    return [];
  }
}
