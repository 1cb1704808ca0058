/**
 * Host-side wiring of the thin transport workers. The host (main thread)
 * spawns them because a nested worker cannot have more permissions than its
 * parent and the manager has none. Protocol:
 *
 * 1. The manager calls the host: `spawnTransport {name, config}` →
 *    `{generation}`. The host (re)starts the plugin `mcp-server:<name>`
 *    narrowed to that server's permissions, creates a `MessageChannel`,
 *    sends one end to the transport worker (event `port`) and the other to
 *    the manager (event `attach-server {name, generation, port}`, port
 *    transferred), then answers.
 * 2. When a transport worker crashes, the host emits
 *    `detach-server {name, generation, reason}` to the manager.
 * 3. The manager calls `stopTransport {name}` when a server is removed or
 *    disconnected for good; the host stops the worker gracefully (which
 *    reaps the child), then terminates it.
 *
 * @module
 */

import { startPlugin } from "../plugin/mod.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import type { PluginHandle } from "../plugin/mod.ts";
import { netPermissionFor, type ServerConfig } from "./config.ts";
import type { TransportSpec } from "./port_protocol.ts";
import type { OAuthStorage } from "./oauth.ts";
import { transportSpecFor } from "./transport_spec.ts";

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

/** The manager plugin's handle, as far as the wiring needs it (a `PluginHandle`). */
export interface ManagerEndpoint {
  /** Sends an event to the manager plugin (ports are transferred). */
  peer: { emit(event: string, data: unknown, transfer?: Transferable[]): void };
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
  /** Generation of the worker that ended. */
  generation: number;
  /** What happened to it. */
  reason: string;
}

/** Options of {@linkcode McpTransportHost}. */
export interface McpTransportHostOptions {
  /** Sends an event to the manager (e.g. `managerHandle.peer.emit`). */
  emitToManager: (event: string, data: unknown, transfer?: Transferable[]) => void;
  /** Environment lookup for the child's inherited variables (default `Deno.env.get`). */
  getEnv?: (key: string) => string | undefined;
  /** Transport plugin module (default `plugins/mcp_server.ts`). */
  module?: URL;
  /** Heartbeats of the transport workers (default the plugin host's). */
  heartbeat?: { intervalMs: number; missed: number } | false;
  /** Grace period of a stdio child after stdin closes, and after SIGTERM. */
  killGraceMs?: number;
  /** OAuth for HTTP servers: token storage (KV) and the browser step. */
  oauth?: {
    storage: OAuthStorage;
    /** Opens `url` for the user and resolves with the code from the redirect. */
    authorize(server: string, url: URL): Promise<{ code: string }>;
  };
}

/**
 * Runs the transport workers for the manager: register its methods as the
 * manager plugin's host handlers.
 *
 * @example
 * ```ts ignore
 * import { McpTransportHost } from "./host_wiring.ts";
 * let manager!: PluginHandle;
 * const transports = new McpTransportHost({ emitToManager: (e, d, t) => manager.peer.emit(e, d, t) });
 * manager = await startPlugin({ ..., handlers: transports.handlers() });
 * ```
 */
export class McpTransportHost {
  readonly #opts: McpTransportHostOptions;
  /**
   * The dynamic server supervisor: one `temporary` child per server's
   * transport worker. Reconnecting is the manager's job (it knows the
   * protocol state), so a dead worker is not restarted here; the supervisor
   * gives ordered, bounded shutdown and lifecycle events.
   */
  readonly supervisor: Supervisor;
  readonly #workers = new Map<string, { handle: PluginHandle; generation: number }>();
  /** Process groups of stdio children, per server. */
  readonly #groups = new Map<string, Set<number>>();
  #generation = 0;

  /** Creates the host side; nothing is spawned until the manager asks. */
  constructor(options: McpTransportHostOptions) {
    this.#opts = options;
    this.supervisor = new Supervisor({ name: "mcp-servers", strategy: "one_for_one" });
  }

  /** Host handlers to give the manager plugin (`spawnTransport`, `stopTransport`). */
  handlers(): {
    spawnTransport: (p: SpawnTransportParams) => Promise<{ generation: number; pid?: number }>;
    stopTransport: (p: { name: string }) => Promise<{ stopped: boolean }>;
  } {
    return {
      spawnTransport: (p) => this.spawn(p.name, p.config),
      stopTransport: async (p) => ({ stopped: await this.stop(p.name) }),
    };
  }

  /** (Re)starts the transport worker of a server and attaches a fresh port to the manager. */
  async spawn(name: string, config: ServerConfig): Promise<{ generation: number }> {
    // Checked here too: the manager worker asks, the main thread grants permissions.
    const { validateServerConfig } = await import("./server_check.ts");
    const valid = validateServerConfig(name, config);
    await this.stop(name);
    const spec = transportSpecFor(name, valid, this.#opts.getEnv ?? safeEnvGet, {
      killGraceMs: this.#opts.killGraceMs,
    });
    let handle!: PluginHandle;
    const grace = this.#opts.killGraceMs ?? 1_000;
    await this.supervisor.startChild({
      id: `mcp-server:${name}`,
      restart: "temporary",
      // Room for the child's own stop: stdin EOF, grace, SIGTERM, grace, SIGKILL.
      shutdownMs: 2 * grace + 2_000,
      start: async () => {
        handle = await startPlugin({
          name: `mcp-server:${name}`,
          module: this.#opts.module ?? new URL("../../plugins/mcp_server.ts", import.meta.url),
          permissions: transportPluginPermissions(spec),
          init: spec,
          heartbeat: this.#opts.heartbeat,
          handlers: this.#oauthHandlers(name),
        });
        return handle;
      },
    });
    const generation = ++this.#generation;
    this.#workers.set(name, { handle, generation });
    handle.peer.on("child", (data) => {
      const { pid, alive } = data as { pid: number; alive: boolean };
      const groups = this.#groups.get(name) ?? new Set<number>();
      this.#groups.set(name, groups);
      if (alive) groups.add(pid);
      else {
        // The leader ended; anything left in its group is an orphan.
        groups.delete(pid);
        void killProcessGroup(pid);
      }
    });
    const { port1, port2 } = new MessageChannel();
    handle.peer.emit("port", { port: port1 }, [port1]);
    this.#opts.emitToManager("attach-server", { name, generation, port: port2 }, [port2]);
    void handle.exited.then((reason) => {
      const current = this.#workers.get(name);
      if (current?.generation !== generation) return;
      this.#workers.delete(name);
      void this.#reapGroups(name);
      // Any exit we did not ask for (crash, missed heartbeats, kill): the
      // manager's port is dead; tell it so it reconnects through a new worker.
      this.#opts.emitToManager(
        "detach-server",
        {
          name,
          generation,
          reason: reason.kind === "crash"
            ? `transport worker crashed: ${reason.error}`
            : `transport worker ended: ${reason.kind === "shutdown" ? reason.reason : "exit"}`,
        } satisfies DetachServerEvent,
      );
    });
    return { generation };
  }

  #oauthHandlers(name: string): object {
    const oauth = this.#opts.oauth;
    const missing = () => {
      throw new Error(`mcp.servers.${name} needs OAuth, but this host has no OAuth storage set up`);
    };
    return {
      oauthStorage: async (p: { op: "get" | "set" | "delete"; key: string; value?: unknown }) => {
        if (!oauth) return missing();
        // The worker may only touch its own server's keys.
        if (!p.key.startsWith(`mcp-oauth/${name}/`)) {
          throw new Error(`key ${p.key} is not ${name}'s`);
        }
        if (p.op === "get") return { value: await oauth.storage.get(p.key) };
        if (p.op === "set") await oauth.storage.set(p.key, p.value);
        else await oauth.storage.delete(p.key);
        return {};
      },
      oauthAuthorize: (p: { url: string }) =>
        oauth ? oauth.authorize(name, new URL(p.url)) : missing(),
    };
  }

  /** Stops a server's transport worker gracefully (reaping its child). */
  async stop(name: string): Promise<boolean> {
    const w = this.#workers.get(name);
    if (!w) return false;
    this.#workers.delete(name);
    // Graceful stop (which closes the child's stdin), bounded, then terminate.
    await this.supervisor.removeChild(`mcp-server:${name}`);
    await this.#reapGroups(name);
    return true;
  }

  async #reapGroups(name: string): Promise<void> {
    const groups = this.#groups.get(name);
    this.#groups.delete(name);
    await Promise.all([...groups ?? []].map((pgid) => killProcessGroup(pgid)));
  }

  /** Terminates a server's transport worker at once (as a crash would; for admin and tests). */
  kill(name: string): boolean {
    const w = this.#workers.get(name);
    if (!w) return false;
    w.handle.kill();
    return true;
  }

  /** Stops every transport worker. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#workers.keys()].map((n) => this.stop(n)));
  }

  /** Names with a running transport worker. */
  running(): string[] {
    return [...this.#workers.keys()];
  }
}

/**
 * SIGTERM a process group, then SIGKILL what is left after `graceMs`.
 * Silently does nothing when the group is gone (or signalling is not allowed).
 *
 * @example
 * ```ts ignore
 * import { killProcessGroup } from "./host_wiring.ts";
 * await killProcessGroup(12345);
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
  await new Promise<void>((resolve) => {
    const id = setTimeout(resolve, graceMs);
    Deno.unrefTimer(id);
  });
  signal("SIGKILL");
}

function safeEnvGet(key: string): string | undefined {
  try {
    return Deno.env.get(key);
  } catch {
    return undefined;
  }
}

/** What the host answers for servers' sampling and elicitation requests. */
export interface McpHostHandlers {
  /** `sampling {server, params}` → `CreateMessageResult` (ask the user, then the model). */
  sampling?: (p: { server: string; params: unknown }) => Promise<unknown>;
  /** `elicit {server, params}` → `ElicitResult` (ask the user). */
  elicit?: (p: { server: string; params: unknown }) => Promise<unknown>;
}

/** Options of {@linkcode createMcpHost}. */
export interface CreateMcpHostOptions<Init> {
  /** Manager init (the `[mcp]` config mapped by the host; see `plugins/mcp_manager.ts`). */
  init: Init;
  /** Sampling and elicitation handlers (advertised to servers only when given). */
  handlers?: McpHostHandlers;
  /** Environment lookup for stdio children (default `Deno.env.get`). */
  getEnv?: (key: string) => string | undefined;
  /** Heartbeats of the transport workers. */
  heartbeat?: { intervalMs: number; missed: number } | false;
  /** Grace period after closing a child's stdin, and after SIGTERM. */
  killGraceMs?: number;
}

/**
 * Everything the host needs to run the MCP client: the manager plugin's spec
 * (no permissions at all) with the host handlers it calls, and the transport
 * host that spawns the thin per-server workers. Call `bind(handle)` after
 * every (re)start of the manager so attach/detach events reach it.
 *
 * @example
 * ```ts ignore
 * import { createMcpHost } from "./host_wiring.ts";
 * import { startPlugin } from "../plugin/mod.ts";
 * const mcp = createMcpHost({ init: { servers, startup_mode: "background", roots } });
 * const manager = await startPlugin(mcp.spec());
 * mcp.bind(manager);
 * await manager.peer.call("startServers", {}); // eager servers ready; background ones connecting
 * const { tools } = await manager.peer.call("listTools", {});
 * ```
 */
export function createMcpHost<Init>(options: CreateMcpHostOptions<Init>): {
  spec(): {
    name: string;
    module: URL;
    permissions: TransportPermissions;
    init: Init & { sampling: boolean; elicitation: boolean };
    handlers: object;
    heartbeat?: { intervalMs: number; missed: number } | false;
  };
  bind(handle: ManagerEndpoint): void;
  transports: McpTransportHost;
} {
  let current: ManagerEndpoint | undefined;
  const transports = new McpTransportHost({
    emitToManager: (event, data, transfer) => current?.peer.emit(event, data, transfer),
    getEnv: options.getEnv,
    heartbeat: options.heartbeat,
    killGraceMs: options.killGraceMs,
  });
  return {
    transports,
    bind(handle) {
      // A new manager instance (restart after a crash): the transports belong
      // to the old one; stop them (reaping children), the new one respawns.
      if (current && current !== handle) void transports.stopAll();
      current = handle;
    },
    spec() {
      return {
        name: "mcp-manager",
        module: new URL("../../plugins/mcp_manager.ts", import.meta.url),
        // The manager touches nothing itself: transports run in their own workers.
        permissions: {},
        init: {
          ...options.init,
          sampling: options.handlers?.sampling !== undefined,
          elicitation: options.handlers?.elicit !== undefined,
        },
        handlers: {
          ...transports.handlers(),
          ...(options.handlers?.sampling ? { sampling: options.handlers.sampling } : {}),
          ...(options.handlers?.elicit ? { elicit: options.handlers.elicit } : {}),
        },
      };
    },
  };
}
