/**
 * Host-side wiring of the MCP transports. The host (main thread) starts them
 * because a worker cannot grant more permissions than it has, and the
 * manager has none. Every server's transport lives in ONE pooled worker
 * (`plugins/mcp_transports.ts`), each server an actor there; the OS sandbox
 * (bubblewrap) is the boundary around each server process, so a worker per
 * server bought little and cost ~10 MB each. Protocol:
 *
 * 1. The manager calls the host: `spawnTransport {name, config}` →
 *    `{generation}`. The host resolves the server's spec (command looked up
 *    on the server's own PATH, wrapped in its sandbox), makes sure the pool
 *    runs with permissions covering it, creates a `MessageChannel`, sends one
 *    end to the pool (event `open {name, spec, port}`) and the other to the
 *    manager (event `attach-server {name, generation, port}`), then answers.
 * 2. When the pool worker dies, the host emits
 *    `detach-server {name, generation, reason}` for each of its servers.
 * 3. The manager calls `stopTransport {name}` when a server is removed or
 *    disconnected for good; the pool closes that server's transport (which
 *    reaps its child), and the host kills what is left of its process group.
 *
 * A command that will use every server at once (a one-shot run) may
 * {@linkcode McpTransportHost.prestart} them as soon as the config is read:
 * the pool opens their transports at once (event `open` with `prestart`: the
 * processes start) while the manager still loads the MCP SDK; the manager's
 * later `spawnTransport` for the same config gets the waiting port, and its
 * first `start` on it adopts the running process (nothing is sent to a
 * server before the manager's `initialize`).
 *
 * Each server is a `temporary` child `mcp-server:<name>` of the dynamic
 * server supervisor (for ordered shutdown, lifecycle events and `/health`);
 * reconnecting with backoff is the manager's job, per server.
 *
 * @module
 */

import { startPlugin } from "../plugin/mod.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import type { ChildHandle, ExitReason } from "../supervisor/types.ts";
import type { PluginHandle } from "../plugin/mod.ts";
import type { Surface } from "../rpc/peer.ts";
// @ts-types="@modelcontextprotocol/sdk/types"
import type {
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import {
  isStdioConfig,
  netPermissionFor,
  type ServerConfig,
  type StdioServerConfig,
} from "./config.ts";
import type { TransportSpec } from "./port_protocol.ts";
import type { OAuthStorage } from "./oauth.ts";
import { transportSpecFor } from "./transport_spec.ts";
import type { SandboxHost } from "./sandbox/host.ts";
import { McpCommandNotFoundError } from "./errors.ts";
import { discoverAuthHosts } from "./oauth_discovery.ts";

/**
 * The permissions of a server's transport worker, in plugin form.
 *
 * @example
 * ```ts
 * import { transportPluginPermissions } from "./host_wiring.ts";
 * transportPluginPermissions({ kind: "stdio", name: "x", command: "node", args: [], env: {} }); // { run: ["node"] }
 * ```
 */
export function transportPluginPermissions(spec: TransportSpec): TransportPermissions {
  if (spec.kind === "stdio") return { run: [spec.command] };
  // OAuth may need the authorization server too: only the hosts the config names.
  return { net: [netPermissionFor(spec.url), ...(spec.oauth?.allowed_hosts ?? [])] };
}

/** What a transport worker may do: run its command, or reach its hosts. Nothing else. */
export interface TransportPermissions {
  /** The stdio server's command. */
  run?: string[];
  /** `host:port` of an HTTP server (and OAuth `allowed_hosts`). */
  net?: string[];
}

/** Params of the host handler `spawnTransport`. */
export interface SpawnTransportParams {
  /** Server name. */
  name: string;
  /** Its configuration (validated again by the host). */
  config: ServerConfig;
}

/** Params of the manager event `attach-server`. */
export interface AttachServerEvent {
  /** Server name. */
  name: string;
  /** Increases with every spawn; older ports are ignored. */
  generation: number;
  /** The manager's end of the channel (transferred). */
  port: MessagePort;
}

/** Params of the manager event `detach-server`. */
export interface DetachServerEvent {
  /** Server name. */
  name: string;
  /** Generation of the transport that ended. */
  generation: number;
  /** What happened to it. */
  reason: string;
}

/** Events the host sends the manager (the manager plugin's `hostEvents`). */
export interface ManagerHostEvents {
  "attach-server": AttachServerEvent;
  "detach-server": DetachServerEvent;
}

/** A server's sampling request, as the manager hands it to the host. */
export interface SamplingRequest {
  server: string;
  params: CreateMessageRequest["params"];
}

/** A server's elicitation request, as the manager hands it to the host. */
export interface ElicitationRequest {
  server: string;
  params: ElicitRequest["params"];
}

/** What the manager calls on the host (the manager plugin's `hostCalls`). */
export interface ManagerHostCalls {
  spawnTransport: (p: SpawnTransportParams) => Promise<{ generation: number }>;
  stopTransport: (p: { name: string }) => Promise<{ stopped: boolean }>;
  /** Present when the host answers sampling (then advertised to servers). */
  sampling?: (
    request: SamplingRequest,
    ctx: { signal: AbortSignal },
  ) => Promise<CreateMessageResult>;
  /** Present when the host answers elicitation (then advertised to servers). */
  elicit?: (request: ElicitationRequest, ctx: { signal: AbortSignal }) => Promise<ElicitResult>;
}

/** `child` event of the pool: a stdio child started or ended (the host reaps its group). */
export interface ChildEvent {
  name: string;
  pid: number;
  alive: boolean;
}

/** Events the transport pool emits. */
export interface PoolEvents {
  child: ChildEvent;
}

/** Events the host sends the transport pool: a server's actor opens on `port`. */
export interface PoolHostEvents {
  open: {
    name: string;
    spec: TransportSpec;
    port: MessagePort;
    /** Start the server now (a prestart); the manager's first `start` adopts it. */
    prestart?: boolean;
  };
}

/** Methods of the transport pool (`plugins/mcp_transports.ts`). */
export interface PoolMethods {
  /** Closes a server's transport gracefully (stdin EOF, grace, SIGTERM, SIGKILL). */
  close: (p: { name: string }) => Promise<{ closed: boolean }>;
  /** Servers with an open actor, and how many were opened (diagnostics). */
  info: () => { servers: string[]; opened: number };
}

/** What the transport pool calls on the host: OAuth state and the browser step. */
export interface PoolHostCalls {
  oauthStorage: (
    p: { server: string; op: "get" | "set" | "delete"; key: string; value?: unknown },
  ) => Promise<{ value?: unknown }>;
  oauthAuthorize: (p: { server: string; url: string }) => Promise<{ code: string }>;
}

/** The transport pool as the host sees it. */
export type PoolSurface = Surface<PoolMethods, PoolEvents, PoolHostEvents>;

/** Options of {@linkcode McpTransportHost}. */
export interface McpTransportHostOptions {
  /** Sends an event to the manager (e.g. `managerHandle.peer.emit`). */
  emitToManager: <K extends keyof ManagerHostEvents>(
    event: K,
    data: ManagerHostEvents[K],
    transfer?: Transferable[],
  ) => void;
  /** Environment lookup for the child's inherited variables (default `Deno.env.get`). */
  getEnv?: (key: string) => string | undefined;
  /** The configured servers: the pool starts with permissions for all of them at once. */
  servers?: Record<string, ServerConfig>;
  /**
   * The pool plugin's module (`plugins/mcp_transports.ts`, from
   * `plugins/manifest.ts`): passed in, because no `lib/` area but `lib/cli`
   * reaches `plugins/`.
   */
  module: URL;
  /** Heartbeats of the pool worker (default the plugin host's). */
  heartbeat?: { intervalMs: number; missed: number } | false;
  /** Grace period of a stdio child after stdin closes, and after SIGTERM. */
  killGraceMs?: number;
  /** Grace period after stdin closes before SIGTERM, when not `killGraceMs` (see `StdioProcess`). */
  stdinGraceMs?: number;
  /** OS sandbox of stdio server processes (omitted: servers run unsandboxed). */
  sandbox?: SandboxHost;
  /** Finds an OAuth server's authorization hosts (default: RFC 9728 / 8414 discovery). */
  discoverAuthHosts?: (url: string) => Promise<string[]>;
  /** OAuth for HTTP servers: token storage (KV) and the browser step. */
  oauth?: {
    storage: OAuthStorage;
    /** Opens `url` for the user and resolves with the code from the redirect. */
    authorize(server: string, url: URL): Promise<{ code: string }>;
  };
}

/** The running pool worker. */
interface Pool {
  /** Its supervisor child id: `mcp-transports`, then `mcp-transports-2`… for added pools. */
  id: string;
  handle: PluginHandle<PoolSurface>;
  permissions: Required<TransportPermissions>;
}

/** One server's actor, as the host tracks it. */
interface ActorRecord {
  generation: number;
  pool: Pool;
  settle(reason: ExitReason): void;
  /**
   * Set while a prestarted server waits for the manager: its config (as
   * JSON, to match the manager's request) and the manager's end of the channel.
   */
  waiting?: { config: string; port: MessagePort };
}

const POOL_ID = "mcp-transports";

/**
 * Runs the pooled transport worker for the manager: register its methods as
 * the manager plugin's host handlers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AttachServerEvent, McpTransportHost } from "./host_wiring.ts";
 * import { newSessionNumber, WorkerBridgeTransport } from "./bridge_transport.ts";
 * import type { ServerConfig } from "./config.ts";
 * const attached = Promise.withResolvers<AttachServerEvent>();
 * const transports = new McpTransportHost({
 *   module: new URL("../../plugins/mcp_transports.ts", import.meta.url),
 *   // mcpchat sends these to the manager plugin, whose host calls are `transports.handlers()`.
 *   emitToManager: (event, data) => {
 *     if (event === "attach-server") attached.resolve(data as AttachServerEvent);
 *   },
 * });
 * // `cat` stands in for a stdio server: it sends every message back.
 * const config: ServerConfig = { type: "stdio", command: "cat", args: [], env: {}, enabled: true };
 * await transports.spawn("echo", config);
 * const { port } = await attached.promise;
 * const bridge = new WorkerBridgeTransport(port, { server: "echo", session: newSessionNumber() });
 * const echoed = Promise.withResolvers<unknown>();
 * bridge.onmessage = echoed.resolve;
 * await bridge.start();
 * await bridge.send({ jsonrpc: "2.0", method: "notifications/initialized" });
 * assert.deepEqual(await echoed.promise, { jsonrpc: "2.0", method: "notifications/initialized" });
 * assert.deepEqual(transports.running(), ["echo"]);
 * await bridge.close();
 * await transports.stopAll();
 * port.close();
 * ```
 */
export class McpTransportHost {
  readonly #opts: McpTransportHostOptions;
  /**
   * The dynamic server supervisor: the pool worker, then one `temporary`
   * child per server actor. Reconnecting is the manager's job (it knows the
   * protocol state), so a dead actor is not restarted here; the supervisor
   * gives ordered, bounded shutdown and lifecycle events.
   */
  readonly supervisor: Supervisor;
  readonly #actors = new Map<string, ActorRecord>();
  /** Process groups of stdio children, per server. */
  readonly #groups = new Map<string, Set<number>>();
  /** Group kills under way (SIGTERM sent, SIGKILL pending). */
  readonly #reaping = new Set<Promise<void>>();
  /** The pool workers: the first with the config's permissions, then one per wider need. */
  #pools: Pool[] = [];
  #poolLock: Promise<unknown> = Promise.resolve();
  #generation = 0;

  /** Creates the host side; nothing is spawned until the manager asks. */
  constructor(options: McpTransportHostOptions) {
    this.#opts = options;
    this.supervisor = new Supervisor({ name: "mcp-servers", strategy: "one_for_one" });
  }

  /** Host handlers to give the manager plugin (`spawnTransport`, `stopTransport`). */
  handlers(): Pick<ManagerHostCalls, "spawnTransport" | "stopTransport"> {
    return {
      spawnTransport: (p) => this.claim(p.name, p.config) ?? this.spawn(p.name, p.config),
      stopTransport: async (p) => ({ stopped: await this.stop(p.name) }),
    };
  }

  /**
   * The spec a server's actor runs: command resolved on its own PATH, sandbox
   * applied. `validated`: the config comes straight from the config loader
   * (which checked it against the same schema), not from the manager.
   */
  async specFor(
    name: string,
    config: ServerConfig,
    options: { validated?: boolean } = {},
  ): Promise<TransportSpec> {
    // Checked here too: the manager worker asks, the main thread grants permissions.
    const valid = options.validated
      ? config
      : (await import("./server_check.ts")).validateServerConfig(name, config);
    const getEnv = this.#opts.getEnv ?? safeEnvGet;
    let spec = transportSpecFor(name, valid, getEnv, {
      killGraceMs: this.#opts.killGraceMs,
      stdinGraceMs: this.#opts.stdinGraceMs,
    });
    if (spec.kind !== "stdio" && spec.oauth) {
      // The authorization servers the resource names are allowed without a hand-written
      // oauth.allowed_hosts: the pool's `net` is fixed when it starts.
      const found = await (this.#opts.discoverAuthHosts ?? discoverAuthHosts)(spec.url);
      // Cross-app access also talks to the identity provider.
      const idp = spec.oauth.idp_token_endpoint
        ? [netPermissionFor(spec.oauth.idp_token_endpoint)]
        : [];
      const allowed = [...new Set([...(spec.oauth.allowed_hosts ?? []), ...found, ...idp])];
      return { ...spec, oauth: { ...spec.oauth, allowed_hosts: allowed } };
    }
    if (spec.kind !== "stdio" || !isStdioConfig(valid)) return spec;
    // The server's own PATH (nvm/asdf setups set one in env) decides which program runs.
    const command = resolveCommand(spec.command, spec.env.PATH ?? getEnv("PATH") ?? "", spec.cwd);
    if (!command) {
      throw new McpCommandNotFoundError(
        name,
        valid.env?.PATH ? `${spec.command} on the PATH its env sets` : spec.command,
      );
    }
    spec = { ...spec, command };
    // The pool then runs bubblewrap, which runs the server inside the sandbox.
    if (this.#opts.sandbox) spec = await this.#opts.sandbox.wrap(spec, valid.sandbox);
    return spec;
  }

  /**
   * Starts the servers' actors now (their processes start), before the
   * manager asks: each one's port waits for the manager's `spawnTransport`
   * of the same config ({@linkcode McpTransportHost.claim}). A server that
   * cannot start is left to fail on the manager's own request, with its own
   * message. Resolves when every process was started (or failed to).
   */
  async prestart(servers: Record<string, ServerConfig>): Promise<void> {
    const enabled = Object.entries(servers).filter(([, c]) =>
      c.enabled !== false && isStdioConfig(c)
    );
    if (enabled.length === 0) return;
    // The pool worker starts (with permissions for every configured server) while the
    // servers' specs are worked out.
    void this.#ensurePool({}).catch(() => {});
    await Promise.all(
      enabled.map(([name, config]) =>
        this.spawn(name, config, { attach: false, validated: true }).catch(() => undefined)
      ),
    );
  }

  /**
   * Hands a prestarted server's waiting port to the manager when it asks for
   * the same config; `undefined` when there is none (then it is spawned).
   */
  claim(name: string, config: ServerConfig): Promise<{ generation: number }> | undefined {
    const record = this.#actors.get(name);
    const waiting = record?.waiting;
    if (!record || !waiting || waiting.config !== JSON.stringify(config)) return undefined;
    record.waiting = undefined;
    this.#opts.emitToManager(
      "attach-server",
      { name, generation: record.generation, port: waiting.port },
      [waiting.port],
    );
    return Promise.resolve({ generation: record.generation });
  }

  /** (Re)starts a server's actor in the pool and attaches a fresh port to the manager. */
  async spawn(
    name: string,
    config: ServerConfig,
    options: { attach?: boolean; validated?: boolean } = {},
  ): Promise<{ generation: number }> {
    await this.stop(name);
    const spec = await this.specFor(name, config, { validated: options.validated });
    const pool = await this.#ensurePool(transportPluginPermissions(spec));
    const generation = ++this.#generation;
    let settle!: (reason: ExitReason) => void;
    const exited = new Promise<ExitReason>((resolve) => (settle = resolve));
    const record: ActorRecord = { generation, pool, settle };
    void pool.handle.exited.then((reason) =>
      settle(
        reason.kind === "crash"
          ? { kind: "crash", error: `transport worker crashed: ${reason.error}` }
          : {
            kind: "crash",
            error: `transport worker ended: ${reason.kind === "shutdown" ? reason.reason : "exit"}`,
          },
      )
    );
    const grace = this.#opts.killGraceMs ?? 1_000;
    const actor: ChildHandle = {
      exited,
      stop: async (reason) => {
        await pool.handle.peer.call("close", { name }, { timeoutMs: 2 * grace + 2_000 })
          .catch(() => {});
        settle({ kind: "shutdown", reason });
      },
      kill: () => {
        void pool.handle.peer.call("close", { name }).catch(() => {});
        settle({ kind: "shutdown", reason: "killed" });
      },
    };
    await this.supervisor.startChild({
      id: `mcp-server:${name}`,
      restart: "temporary",
      // Room for the child's own stop: stdin EOF, grace, SIGTERM, grace, SIGKILL.
      shutdownMs: 2 * grace + 2_000,
      start: () => Promise.resolve(actor),
    });
    this.#actors.set(name, record);
    const { port1, port2 } = new MessageChannel();
    // A prestarted server's process starts now; the manager's first `start` adopts it.
    const prestart = options.attach === false;
    pool.handle.peer.emit("open", { name, spec, port: port1, prestart }, [port1]);
    if (prestart) record.waiting = { config: JSON.stringify(config), port: port2 };
    else this.#opts.emitToManager("attach-server", { name, generation, port: port2 }, [port2]);
    void exited.then((reason) => {
      record.waiting?.port.close();
      record.waiting = undefined;
      const current = this.#actors.get(name);
      if (current?.generation !== generation) return;
      this.#actors.delete(name);
      void this.supervisor.removeChild(`mcp-server:${name}`).catch(() => {});
      void this.#reapGroups(name);
      // Any end we did not ask for (the pool crashed, missed heartbeats, was
      // killed): the manager's port is dead; tell it so it reconnects.
      this.#opts.emitToManager(
        "detach-server",
        {
          name,
          generation,
          reason: reason.kind === "crash" ? reason.error : "transport worker ended",
        } satisfies DetachServerEvent,
      );
    });
    return { generation };
  }

  /**
   * A pool that may run `needed`. The first starts with permissions for every
   * configured server; a server added while running that needs more gets a
   * second pool with just what it needs, so the running servers (and their
   * state) are left alone.
   */
  #ensurePool(needed: TransportPermissions): Promise<Pool> {
    // One at a time: concurrent spawns share the pool one of them starts.
    const next = this.#poolLock.then(() => this.#ensurePoolNow(needed));
    this.#poolLock = next.catch(() => {});
    return next;
  }

  async #ensurePoolNow(needed: TransportPermissions): Promise<Pool> {
    const fitting = this.#pools.find((p) => covers(p.permissions, needed));
    if (fitting) return fitting;
    const none: Required<TransportPermissions> = { run: [], net: [] };
    const wanted = union(this.#pools.length ? none : await this.#configuredPermissions(), needed);
    const taken = new Set(this.#pools.map((p) => p.id));
    let id = POOL_ID;
    for (let n = 2; taken.has(id); n++) id = `${POOL_ID}-${n}`;
    let handle!: PluginHandle<PoolSurface>;
    await this.supervisor.startChild({
      id,
      restart: "temporary",
      shutdownMs: 2 * (this.#opts.killGraceMs ?? 1_000) + 3_000,
      start: async () => {
        handle = await startPlugin<PoolSurface>({
          name: id,
          module: this.#opts.module,
          permissions: wanted,
          init: {},
          heartbeat: this.#opts.heartbeat,
          handlers: this.#poolHandlers(),
        });
        return handle;
      },
    });
    handle.peer.on("child", (data) => this.#onChild(data));
    const pool: Pool = { id, handle, permissions: wanted };
    this.#pools.push(pool);
    void handle.exited.then(() => {
      if (!this.#pools.includes(pool)) return;
      this.#pools = this.#pools.filter((p) => p !== pool);
      // A dead pool's record would block the id of its successor.
      void this.supervisor.removeChild(id).catch(() => {});
    });
    return pool;
  }

  /** Permissions for every configured, enabled server (what the pool starts with). */
  async #configuredPermissions(): Promise<Required<TransportPermissions>> {
    let all: Required<TransportPermissions> = { run: [], net: [] };
    const specs = await Promise.all(
      Object.entries(this.#opts.servers ?? {}).filter(([, c]) => c.enabled !== false).map(
        ([name, config]) =>
          (isStdioConfig(config)
            ? this.#stdioSpecWithoutSideEffects(name, config)
            : this.specFor(name, config))
            // A server that cannot start fails on its own spawn, with its own message.
            .catch(() => undefined),
      ),
    );
    for (const spec of specs) if (spec) all = union(all, transportPluginPermissions(spec));
    return all;
  }

  /** The run permission a stdio server will need, without creating its sandbox's directories. */
  async #stdioSpecWithoutSideEffects(
    name: string,
    config: StdioServerConfig,
  ): Promise<TransportSpec> {
    const availability = await this.#opts.sandbox?.availability();
    const sandboxed = this.#opts.sandbox && config.sandbox !== false && availability?.available;
    if (sandboxed && availability?.features) {
      return { kind: "stdio", name, command: availability.features.bwrap, args: [], env: {} };
    }
    const getEnv = this.#opts.getEnv ?? safeEnvGet;
    const command = resolveCommand(
      config.command,
      config.env?.PATH ?? getEnv("PATH") ?? "",
      config.cwd,
    );
    return { kind: "stdio", name, command: command ?? config.command, args: [], env: {} };
  }

  #onChild(data: ChildEvent): void {
    const { name, pid, alive } = data;
    const groups = this.#groups.get(name) ?? new Set<number>();
    this.#groups.set(name, groups);
    if (alive) groups.add(pid);
    else {
      // The leader ended; anything left in its group is an orphan. Tracked, so an
      // exit waits for the SIGKILL of members that ignore SIGTERM.
      groups.delete(pid);
      const reap = killProcessGroup(pid).finally(() => this.#reaping.delete(reap));
      this.#reaping.add(reap);
    }
  }

  #poolHandlers(): PoolHostCalls {
    const oauth = this.#opts.oauth;
    const missing = (name: string) => {
      throw new Error(`mcp.servers.${name} needs OAuth, but this host has no OAuth storage set up`);
    };
    return {
      oauthStorage: async (
        p: { server: string; op: "get" | "set" | "delete"; key: string; value?: unknown },
      ) => {
        if (!oauth) return missing(p.server);
        // A server's transport may only touch its own server's keys.
        if (!p.key.startsWith(`mcp-oauth/${p.server}/`)) {
          throw new Error(`key ${p.key} is not ${p.server}'s`);
        }
        if (p.op === "get") return { value: await oauth.storage.get(p.key) };
        if (p.op === "set") await oauth.storage.set(p.key, p.value);
        else await oauth.storage.delete(p.key);
        return {};
      },
      oauthAuthorize: async (p: { server: string; url: string }) => {
        if (!oauth) return missing(p.server);
        try {
          return await oauth.authorize(p.server, new URL(p.url));
        } catch (error) {
          // Permanent: the server fails once instead of reconnecting, and the browser is not
          // opened again on every attempt. An explicit connect tries again.
          throw Object.assign(
            new Error(
              `signing in to ${p.server} failed: ${
                error instanceof Error ? error.message : String(error)
              } ` +
                `(/mcp connect ${p.server} or mcpchat servers test ${p.server} tries again)`,
            ),
            { code: "MCP_AUTH_REQUIRED" },
          );
        }
      },
    };
  }

  /** Stops a server's actor gracefully (reaping its child and its process group). */
  async stop(name: string): Promise<boolean> {
    const actor = this.#actors.get(name);
    if (!actor) return false;
    this.#actors.delete(name);
    await this.supervisor.removeChild(`mcp-server:${name}`).catch(() => {});
    await this.#reapGroups(name);
    return true;
  }

  async #reapGroups(name: string): Promise<void> {
    const groups = this.#groups.get(name);
    this.#groups.delete(name);
    await Promise.all([...groups ?? []].map((pgid) => killProcessGroup(pgid)));
  }

  /**
   * Terminates the pool worker at once, as a crash would (for admin and
   * tests): every server detaches and the manager reconnects each.
   * Returns whether `name` had an actor.
   */
  kill(name: string): boolean {
    const actor = this.#actors.get(name);
    if (!actor) return false;
    actor.pool.handle.kill();
    return true;
  }

  /** Stops every server's actor, then the pool worker; resolves once every process group is reaped. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#actors.keys()].map((n) => this.stop(n)));
    const pools = this.#pools;
    this.#pools = [];
    await Promise.all(pools.map((p) => this.supervisor.removeChild(p.id).catch(() => {})));
    await Promise.all([...this.#groups.keys()].map((n) => this.#reapGroups(n)));
    await Promise.all([...this.#reaping]);
  }

  /** Names with a running actor. */
  running(): string[] {
    return [...this.#actors.keys()];
  }

  /** What the pools may run and reach, together (diagnostics, tests). */
  poolPermissions(): Required<TransportPermissions> | undefined {
    if (this.#pools.length === 0) return undefined;
    const none: Required<TransportPermissions> = { run: [], net: [] };
    return this.#pools.reduce((all, p) => union(all, p.permissions), none);
  }

  /** How many pool workers run (one, unless servers added while running needed more). */
  poolCount(): number {
    return this.#pools.length;
  }
}

function covers(have: Required<TransportPermissions>, needed: TransportPermissions): boolean {
  return (needed.run ?? []).every((r) => have.run.includes(r)) &&
    (needed.net ?? []).every((n) => have.net.includes(n));
}

function union(
  a: Required<TransportPermissions>,
  b: TransportPermissions,
): Required<TransportPermissions> {
  return {
    run: [...new Set([...a.run, ...(b.run ?? [])])],
    net: [...new Set([...a.net, ...(b.net ?? [])])],
  };
}

/**
 * The absolute path of `command` on `path` (a `PATH` value), the way a shell
 * finds it; a command with a `/` is taken as it is (relative to `cwd`).
 * `undefined` when nothing executable is found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveCommand } from "./host_wiring.ts";
 * const bin = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${bin}/my-server`, "#!/bin/sh\n", { mode: 0o755 });
 * assert.equal(resolveCommand("my-server", `/no/such/dir:${bin}`), `${bin}/my-server`);
 * assert.equal(resolveCommand("./server.js", "", "/home/ada/project"), "/home/ada/project/./server.js");
 * assert.equal(resolveCommand("not-installed", bin), undefined);
 * await Deno.remove(bin, { recursive: true });
 * ```
 */
export function resolveCommand(command: string, path: string, cwd?: string): string | undefined {
  if (command.includes("/")) {
    if (command.startsWith("/") || !cwd) return command;
    return `${cwd.replace(/\/+$/, "")}/${command}`;
  }
  for (const dir of path.split(":")) {
    if (dir === "") continue;
    const candidate = `${dir.replace(/\/+$/, "")}/${command}`;
    try {
      const s = Deno.statSync(candidate);
      if (s.isFile && ((s.mode ?? 0o111) & 0o111) !== 0) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * SIGTERM a process group, then SIGKILL what is left after `graceMs`.
 * Silently does nothing when the group is gone (or signalling is not allowed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { killProcessGroup } from "./host_wiring.ts";
 * if (Deno.build.os !== "windows") {
 *   // A child in its own process group (pgid = pid), as stdio servers are started.
 *   const child = new Deno.Command("sleep", { args: ["30"], detached: true }).spawn();
 *   await killProcessGroup(child.pid, 50);
 *   assert.equal((await child.status).signal, "SIGTERM");
 * }
 * ```
 */
export async function killProcessGroup(pgid: number, graceMs = 300): Promise<void> {
  if (!(pgid > 1)) return;
  const signal = (sig: Deno.Signal) => {
    try {
      Deno.kill(-pgid, sig);
      return true;
    } catch {
      return false;
    }
  };
  if (!signal("SIGTERM")) return;
  // A referenced timer: at exit, the process must wait for the SIGKILL of a
  // grandchild that ignores SIGTERM (an unref'd one let it exit first).
  await new Promise<void>((resolve) => setTimeout(resolve, graceMs));
  signal("SIGKILL");
}

function safeEnvGet(key: string): string | undefined {
  try {
    return Deno.env.get(key);
  } catch {
    return undefined;
  }
}
