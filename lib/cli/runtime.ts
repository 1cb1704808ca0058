/**
 * The running application: the root supervisor and a stable reference to
 * each service plugin. Only the config plugin starts before anything else;
 * every other service starts on first use (or, for MCP servers, as their
 * `startup_mode` says), so the prompt appears at once.
 *
 * @module
 */

import { type ChildInfo, Supervisor, type SupervisorEvent } from "../supervisor/mod.ts";
import { PluginRef, type PluginSpec, type SurfaceOf } from "../plugin/mod.ts";
import type { Config } from "../config/schema.ts";
import type { Env } from "../config/paths.ts";
import { McpTransportHost } from "../mcp/host_wiring.ts";
import { configSpec, llmSpec, mcpManagerSpec, storeSpec } from "../../plugins/manifest.ts";
import type { configPlugin } from "../../plugins/config.ts";
import type { mcpManagerPlugin } from "../../plugins/mcp_manager.ts";
import type { llmPlugin } from "../../plugins/llm.ts";
import type { storePlugin } from "../../plugins/store.ts";
import type { StartupProfiler } from "./profiler.ts";
import { discoverExtraReads } from "../config/permissions.ts";

/** RPC surface of the config plugin. */
export type ConfigSurface = SurfaceOf<typeof configPlugin>;
/** RPC surface of the MCP manager plugin. */
export type McpSurface = SurfaceOf<typeof mcpManagerPlugin>;

/** RPC surface of the LLM plugin. */
export type LlmSurface = SurfaceOf<typeof llmPlugin>;

/** RPC surface of the store plugin. */
export type StoreSurface = SurfaceOf<typeof storePlugin>;

/** Host-side answers to requests from MCP servers (sampling, elicitation). */
export interface McpHostHandlers {
  sampling?: (request: unknown, ctx: { signal: AbortSignal }) => Promise<unknown>;
  elicit?: (request: unknown, ctx: { signal: AbortSignal }) => Promise<unknown>;
}

/** Options of {@linkcode Runtime.boot}. */
export interface RuntimeOptions {
  env: Env;
  cwd: string;
  /** `--config FILE`, made absolute by the caller. */
  configPath?: string;
  profiler?: StartupProfiler;
  /** Receives supervisor events (the UI shows crashes and restarts). */
  onEvent?: (event: SupervisorEvent) => void;
  /** Shows a message to the user (stderr). */
  notify?: (message: string) => void;
}

/**
 * The application's services under one root supervisor.
 *
 * @example
 * ```ts ignore
 * const runtime = await Runtime.boot({ env: Deno.env.toObject(), cwd: Deno.cwd() });
 * const { config } = await runtime.loadConfig();
 * const mcp = await runtime.mcp(config, {});
 * console.log(await mcp.call("servers", undefined as never));
 * await runtime.shutdown();
 * ```
 */
export class Runtime {
  readonly root: Supervisor;
  readonly configRef: PluginRef<ConfigSurface>;
  #options: RuntimeOptions;
  #started = new Map<string, Promise<void>>();
  #mcp?: PluginRef<McpSurface>;
  #llm?: PluginRef<LlmSurface>;
  #store?: PluginRef<StoreSurface>;
  #storeOwnerId = crypto.randomUUID();
  #transports?: McpTransportHost;
  #serversStarted?: Promise<void>;
  #stopping?: Promise<void>;

  private constructor(options: RuntimeOptions, extraRead: string[]) {
    this.#options = options;
    this.root = new Supervisor({
      name: "root",
      strategy: "one_for_one",
      intensity: { maxRestarts: 5, periodMs: 30_000 },
      backoff: { baseMs: 100, maxMs: 5_000, jitter: "equal" },
    });
    this.root.subscribe((event) => {
      if (event.type === "gave-up") this.#refFor(event.id)?.markFailed(event.error);
      options.onEvent?.(event);
    });
    this.configRef = new PluginRef<ConfigSurface>(
      configSpec({ env: options.env, configPath: options.configPath, extraRead }),
    );
  }

  /** Starts the root supervisor with the config plugin. */
  static async boot(options: RuntimeOptions): Promise<Runtime> {
    // A servers_file outside the config directory (Claude Desktop's own file,
    // say) is granted to the config worker by name, and nothing else.
    const extraRead = await discoverExtraReads({
      env: options.env,
      configPath: options.configPath,
    });
    const runtime = new Runtime(options, extraRead);
    await runtime.ensure(runtime.configRef);
    options.profiler?.mark("config worker ready");
    return runtime;
  }

  /**
   * Loads the configuration through the config plugin.
   * @throws {RemoteError} a config error (code `CONFIG_*`, with file/line/column in `data`)
   */
  async loadConfig(): Promise<{ config: Config; sources: string[]; warnings: string[] }> {
    const result = await this.configRef.call("load", {});
    this.#options.profiler?.mark("config loaded");
    return result;
  }

  /** Adds `ref` to the root supervisor once, and waits until it runs. */
  ensure<R>(ref: PluginRef<R>): Promise<void> {
    let started = this.#started.get(ref.name);
    if (!started) {
      started = this.root.startChild(ref.childSpec());
      this.#started.set(ref.name, started);
      started.catch(() => this.#started.delete(ref.name));
    }
    return started;
  }

  /**
   * The MCP manager, started on first use. Its thin transport workers
   * (`mcp-server:<name>`) are spawned here on the main thread, because a
   * worker cannot grant more permissions than it has.
   */
  async mcp(config: Config, hostHandlers: McpHostHandlers = {}): Promise<PluginRef<McpSurface>> {
    if (!this.#mcp) {
      const store = () => this.store(config);
      const transports = new McpTransportHost({
        // OAuth tokens of remote servers live in the session store, keyed per server.
        oauth: {
          storage: {
            get: async (key) =>
              (await (await store()).call("oauthStorage", { op: "get", key })).value,
            set: async (key, value) => {
              await (await store()).call("oauthStorage", { op: "set", key, value });
            },
            delete: async (key) => {
              await (await store()).call("oauthStorage", { op: "delete", key });
            },
          },
          authorize: (server, url) => this.#authorize(server, url),
        },
        emitToManager: (event, data, transfer) => this.#mcp?.emit(event, data, transfer),
        heartbeat: {
          intervalMs: config.health.heartbeat_ms,
          missed: config.health.missed_heartbeats,
        },
        // After stdin closes a server gets this long to exit, then SIGTERM, then as long
        // again before SIGKILL: short enough that `mcpchat tools list` exits promptly.
        killGraceMs: 250,
      });
      this.#transports = transports;
      transports.supervisor.subscribe((event) => this.#options.onEvent?.(event));
      // The server supervisor starts before the manager, so the root stops it after.
      this.#serversStarted = this.root.startChild({
        id: transports.supervisor.name,
        restart: "temporary",
        start: () => Promise.resolve(transports.supervisor),
      });
      const handlers = { ...transports.handlers(), ...hostHandlers };
      const spec: () => PluginSpec = () =>
        mcpManagerSpec(config, {
          cwd: this.#options.cwd,
          handlers,
          sampling: hostHandlers.sampling !== undefined,
          elicitation: hostHandlers.elicit !== undefined,
        });
      this.#mcp = new PluginRef<McpSurface>(spec, {
        waitMs: 30_000,
        shutdownMs: 8_000,
        // The transport workers belong to one manager instance: when it ends
        // (crash or stop), reap them; a restarted manager spawns its own.
        onStart: (handle) => void handle.exited.then(() => transports.stopAll()),
      });
    }
    await this.#serversStarted;
    await this.ensure(this.#mcp);
    this.#options.profiler?.mark("mcp manager ready");
    return this.#mcp;
  }

  /**
   * The LLM plugin, started on first use (its provider library loads on the
   * first call, or on `preload`).
   */
  async llm(config: Config): Promise<PluginRef<LlmSurface>> {
    this.#llm ??= new PluginRef<LlmSurface>(() => llmSpec(config, this.#options.env), {
      waitMs: 15_000,
    });
    await this.ensure(this.#llm);
    this.#options.profiler?.mark("llm worker ready");
    return this.#llm;
  }

  /** The session store (Deno KV), started on first use. */
  async store(config: Config): Promise<PluginRef<StoreSurface>> {
    this.#store ??= new PluginRef<StoreSurface>(
      // One lease identity for every store worker of this process: a restarted
      // worker takes over the sessions its crashed predecessor held.
      () => storeSpec(config, this.#options.env, this.#options.cwd, this.#storeOwnerId),
      { waitMs: 15_000 },
    );
    await this.ensure(this.#store);
    this.#options.profiler?.mark("store ready");
    return this.#store;
  }

  /**
   * Every supervised service with its state, restarts, last error and the
   * figures of its last heartbeat (heap, pending calls).
   */
  services(): (ChildInfo & { heapUsed?: number; pendingCalls?: number })[] {
    return this.root.children().map((child) => {
      const vitals = this.#refFor(child.id)?.current?.vitals;
      return { ...child, heapUsed: vitals?.heapUsed, pendingCalls: vitals?.pendingCalls };
    });
  }

  /** Whether a service has been started (so `/health` does not start one just to ask). */
  started(name: "llm" | "store" | "mcp-manager"): boolean {
    return this.#started.has(name);
  }

  /** Stops everything in reverse order: MCP servers are reaped, KV is closed. */
  shutdown(reason = "exit"): Promise<void> {
    this.#stopping ??= (async () => {
      await this.root.stop(reason);
      await this.#transports?.stopAll?.();
    })();
    return this.#stopping;
  }

  /** The browser step of OAuth: print the URL, try to open it, wait for the loopback redirect. */
  async #authorize(server: string, url: URL): Promise<{ code: string }> {
    const redirectUrl = url.searchParams.get("redirect_uri");
    if (!redirectUrl) throw new Error(`${server}: the authorization URL has no redirect_uri`);
    const { authorizeInBrowser } = await import("../mcp/oauth.ts");
    return await authorizeInBrowser(url, {
      redirectUrl,
      open: async (target) => {
        this.#options.notify?.(
          `${server} needs you to sign in: open ${target.href}\n(waiting for the browser to come back)\n`,
        );
        const [opener, ...args] = browserCommand(target.href, this.#options.env);
        await new Deno.Command(opener, { args, stdout: "null", stderr: "null" })
          .output().catch(() => undefined);
      },
    });
  }

  #refFor(id: string): PluginRef<unknown> | undefined {
    if (id === this.configRef.name) return this.configRef as PluginRef<unknown>;
    if (id === this.#mcp?.name) return this.#mcp as PluginRef<unknown>;
    if (id === this.#llm?.name) return this.#llm as PluginRef<unknown>;
    if (id === this.#store?.name) return this.#store as PluginRef<unknown>;
    return undefined;
  }
}

/**
 * The command that opens `url` for the user: `$BROWSER` when set (as SSH
 * sessions, WSL and headless setups do; `%s` marks where the URL goes, else
 * it comes last), otherwise the desktop's opener.
 *
 * @example
 * ```ts
 * import { browserCommand } from "./runtime.ts";
 * console.log(browserCommand("https://auth.example/x", { BROWSER: "w3m -o x=%s" }));
 * // ["w3m", "-o", "x=https://auth.example/x"]
 * ```
 */
export function browserCommand(url: string, env: Env): string[] {
  const words = (env.BROWSER ?? "").trim().split(/\s+/).filter((w) => w !== "");
  if (words.length > 0) {
    return words.some((w) => w.includes("%s"))
      ? words.map((w) => w.replaceAll("%s", url))
      : [...words, url];
  }
  const opener = Deno.build.os === "darwin"
    ? "open"
    : Deno.build.os === "windows"
    ? "explorer"
    : "xdg-open";
  return [opener, url];
}
