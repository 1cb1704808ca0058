/**
 * The running application: the root supervisor and a stable reference to
 * each service plugin. Only the config plugin starts before anything else;
 * every other service starts on first use (or, for MCP servers, as their
 * `startup_mode` says), so the prompt appears at once.
 *
 * @module
 */

import {
  type ChildHandle,
  type ChildInfo,
  Supervisor,
  type SupervisorEvent,
} from "../supervisor/mod.ts";
import {
  armFaults,
  type HostCallsOf,
  PluginHandle,
  PluginRef,
  type PluginSpec,
  type SurfaceOf,
} from "../plugin/mod.ts";
import type { Config } from "../config/schema.ts";
import type { Env } from "../config/paths.ts";
import type {
  ManagerHostCalls,
  McpTransportHost,
  SpawnTransportParams,
} from "../mcp/host_wiring.ts";
import {
  configSpec,
  healthSpec,
  llmSpec,
  llmWarmSpec,
  mcpManagerSpec,
  PLUGIN_MODULES,
  storeSpec,
} from "../../plugins/manifest.ts";
import type { healthPlugin } from "../../plugins/health.ts";
import type { HealthAlert, McpServerSample, WorkerSample } from "../health/types.ts";
import type { configPlugin } from "../../plugins/config.ts";
import type { mcpManagerPlugin } from "../../plugins/mcp_manager.ts";
import type { llmPlugin } from "../../plugins/llm.ts";
import type { storePlugin } from "../../plugins/store.ts";
import type { mcpServePlugin } from "../../plugins/mcp_serve.ts";
import type { StartupProfiler } from "./profiler.ts";
import { discoverExtraReads } from "../config/permissions.ts";
import { recordRestart } from "../telemetry/mod.ts";
import { configFileOf } from "../config/paths.ts";
import type { SandboxHost } from "../mcp/sandbox/host.ts";
import type { SandboxAvailability } from "../mcp/sandbox/detect.ts";
import { importOnDemand } from "../util/on_demand.ts";
import {
  type LlmWarmRecord,
  readWarmRecord,
  samePermissions,
  warmKey,
  warmRecordPath,
  writeWarmRecord,
} from "./llm_warm.ts";
import { type LoadedConfig, readConfigSnapshot, writeConfigSnapshot } from "./config_snapshot.ts";
import { backendKind } from "../llm/config.ts";
import { llmWorkerPermissions } from "../llm/permissions.ts";

/** RPC surface of the config plugin. */
export type ConfigSurface = SurfaceOf<typeof configPlugin>;
/** RPC surface of the MCP manager plugin. */
export type McpSurface = SurfaceOf<typeof mcpManagerPlugin>;

/** RPC surface of the LLM plugin. */
export type LlmSurface = SurfaceOf<typeof llmPlugin>;

/** RPC surface of the store plugin. */
export type StoreSurface = SurfaceOf<typeof storePlugin>;

/** RPC surface of the health plugin. */
export type HealthSurface = SurfaceOf<typeof healthPlugin>;

/** RPC surface of the MCP server plugin (`mcpchat serve`). */
export type McpServeSurface = SurfaceOf<typeof mcpServePlugin>;

/** Host-side answers to requests from MCP servers (sampling, elicitation). */
export type McpHostHandlers = Pick<ManagerHostCalls, "sampling" | "elicit">;

/**
 * A start-up hint, read before the config is loaded: whether the config file
 * may name MCP servers (it mentions "servers" at all: `[mcp.servers.…]`,
 * `mcpServers`, `servers_file`). A command then starts the MCP manager beside
 * the config load; a wrong guess costs only that head start.
 *
 * @example
 * ```ts
 * import { configMayNameServers } from "./runtime.ts";
 * console.log(await configMayNameServers({ HOME: "/nonexistent" })); // false
 * ```
 */
export async function configMayNameServers(env: Env, configPath?: string): Promise<boolean> {
  try {
    return /servers/i.test(await Deno.readTextFile(configFileOf(env, configPath)));
  } catch {
    return false;
  }
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
  /** Receives the health service's alerts (the REPL shows each as a line). */
  onHealthAlert?: (alert: HealthAlert) => void;
  /** A one-shot run (see {@linkcode OneShotOptions}). */
  oneShot?: OneShotOptions;
}

/**
 * What a one-shot run asks of the runtime: it reads its config once, uses
 * every MCP server at once (its first turn lists every tool), and its output
 * is complete when it stops.
 *
 * - The config comes from the last load's snapshot when nothing it depends
 *   on changed, and no config worker starts (`lib/cli/config_snapshot.ts`);
 *   each load keeps a snapshot. (A REPL keeps the service: it watches the
 *   file.)
 * - The enabled stdio servers' processes start as soon as the config is
 *   known, when `startServers` accepts it: from a snapshot, before the
 *   command's own code has loaded.
 * - At shutdown a stdio server gets SIGTERM right after its stdin closes,
 *   instead of a grace period first, as the MCP stdio transport allows ("if
 *   the server does not exit within a reasonable time"): many servers ignore
 *   stdin EOF, and nothing more is wanted from them.
 */
export interface OneShotOptions {
  /** Whether the run goes on with this config (not when its backend is unconfigured). */
  startServers: (config: Config) => boolean;
}

/**
 * The application's services under one root supervisor.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Runtime } from "./runtime.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${home}/config.toml`,
 *   `[session]\ndata_dir = "${home}/data"\n[mcp.servers.echo]\ncommand = "cat"\n`,
 * );
 * // mcpchat passes Deno.env.toObject() and Deno.cwd().
 * const runtime = await Runtime.boot({ env: { HOME: home }, cwd: home, configPath: `${home}/config.toml` });
 * const { config } = await runtime.loadConfig();
 * const mcp = await runtime.mcp(config, {});
 * const servers = await mcp.call("servers");
 * assert.deepEqual(servers.map((s) => [s.name, s.transport]), [["echo", "stdio"]]); // lazy: not started
 * await runtime.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export class Runtime {
  readonly root: Supervisor;
  readonly configRef: PluginRef<ConfigSurface>;
  #options: RuntimeOptions;
  #started = new Map<string, Promise<void>>();
  /** Each service's first instance, started ahead of the supervisor's queue (see `ensure`). */
  #headStarts = new Map<string, Promise<unknown>>();
  #mcp?: PluginRef<McpSurface>;
  #llm?: PluginRef<LlmSurface>;
  #llmReady?: Promise<PluginRef<LlmSurface>>;
  /** The config the LLM worker gets (set by the first `llm()`). */
  #llmConfig?: Config;
  /** A warm start under way, from the last run's record (see `warmLlm`). */
  #llmWarm?: { record: LlmWarmRecord; state: "starting" | "used" | "replaced" };
  /** The config files the last load read (for the warm-start record). */
  #configFiles: string[] = [];
  #store?: PluginRef<StoreSurface>;
  #health?: PluginRef<HealthSurface>;
  #storeOwnerId = crypto.randomUUID();
  #serve?: PluginRef<McpServeSurface>;
  #transports?: McpTransportHost;
  #transportsReady?: Promise<McpTransportHost>;
  #sandbox?: SandboxHost;
  #serversStarted?: Promise<void>;
  #stopping?: Promise<void>;
  /** The early start of the server processes (see `#prestart`), once begun. */
  #serversPrestart?: Promise<void>;
  #sandboxProbe?: Promise<SandboxAvailability>;
  /** The config at hand from a current snapshot, until the first load takes it. */
  #snapshot?: LoadedConfig;
  /** Writes of cache files (snapshot, warm record) that shutdown lets finish. */
  #cacheWrites = new Set<Promise<unknown>>();

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
      this.#health?.emit("supervisor", event);
      if (event.type === "restarted") void recordRestart(event.id, event.supervisor, "restarted");
    });
    // Test hook of the reliability suite: kill a worker in the middle of a call.
    if (options.env.MCPCHAT_TEST_FAULT) {
      armFaults(options.env.MCPCHAT_TEST_FAULT, (target) => this.#pluginHandle(target));
    }
    this.configRef = new PluginRef<ConfigSurface>(
      configSpec({ env: options.env, configPath: options.configPath, extraRead }),
    );
  }

  /** Starts the root supervisor with the config plugin, and waits until it runs. */
  static async boot(options: RuntimeOptions): Promise<Runtime> {
    const runtime = await Runtime.create(options);
    await runtime.configStarted;
    return runtime;
  }

  /**
   * Starts the root supervisor and spawns the config plugin without waiting
   * for it, so a command can start other services beside it (see
   * {@linkcode Runtime.mcp} with a config promise).
   */
  static async create(options: RuntimeOptions): Promise<Runtime> {
    // A servers_file outside the config directory (Claude Desktop's own file,
    // say) is granted to the config worker by name, and nothing else.
    const [extraRead, snapshot] = await Promise.all([
      discoverExtraReads({ env: options.env, configPath: options.configPath }),
      // The fault hooks of the reliability suite aim at the config worker: it must run.
      options.oneShot && !options.env.MCPCHAT_TEST_FAULT
        ? readConfigSnapshot(options.env, options.configPath ?? "")
        : undefined,
    ]);
    const runtime = new Runtime(options, extraRead);
    if (snapshot) {
      runtime.#snapshot = snapshot;
      options.profiler?.mark("config snapshot current");
      // The slowest thing to start, started first: before the command has even loaded.
      if (options.oneShot?.startServers(snapshot.config)) runtime.#prestart(snapshot.config);
      return runtime;
    }
    runtime.configStarted = runtime.ensure(runtime.configRef).then(() =>
      options.profiler?.mark("config worker ready")
    );
    runtime.configStarted.catch(() => {}); // awaited by boot / loadConfig
    return runtime;
  }

  /** Resolves when the config plugin runs (rejects when it could not start). */
  configStarted: Promise<void> = Promise.resolve();

  /**
   * Loads the configuration through the config plugin.
   * @throws {RemoteError} a config error (code `CONFIG_*`, with file/line/column in `data`)
   */
  async loadConfig(): Promise<LoadedConfig> {
    let result = this.#snapshot;
    this.#snapshot = undefined; // a later load (a reload) asks the service
    if (!result) {
      const startedAt = Date.now();
      try {
        await this.ensure(this.configRef);
        result = await this.configRef.call("load", {});
      } catch (error) {
        throw configServiceFailure(error, this.configFile());
      }
      if (this.#options.oneShot) {
        const { config, sources, warnings } = result;
        // As the service gave it: the command settles what the worker could not check (a
        // variable it may not read) in this object, and that must be settled anew each run.
        const loaded = { config: structuredClone(config), sources, warnings };
        this.#keepWriting(
          writeConfigSnapshot(
            this.#options.env,
            this.#options.configPath ?? "",
            this.configFile(),
            loaded,
            startedAt,
          ),
        );
      }
    }
    this.#options.profiler?.mark("config loaded");
    this.#configFiles = result.sources.filter((s) => !s.startsWith("$"));
    // The health service watches from now on (inline: no worker to wait for).
    void this.health(result.config).catch(() => undefined);
    return result;
  }

  /**
   * Stops the config plugin when a command needs nothing more from it (a
   * one-shot run, once its config is loaded), so its memory is free before the
   * model's libraries load. A later `loadConfig` starts it again.
   */
  async releaseConfig(): Promise<void> {
    const started = this.#started.get(this.configRef.name);
    if (!started) return;
    this.#started.delete(this.configRef.name);
    await started.catch(() => {});
    await this.root.removeChild(this.configRef.name);
  }

  /**
   * Starts the probe of the OS sandbox (bubblewrap's version and a trial
   * run: two short processes) now, so servers started soon need not wait
   * for it; the MCP host uses its result.
   */
  probeSandbox(): Promise<SandboxAvailability> {
    // The answer is kept for a day (lib/cli/sandbox_probe.ts): two process starts fewer.
    this.#sandboxProbe ??= importOnDemand<typeof import("./sandbox_probe.ts")>(
      new URL("./sandbox_probe.ts", import.meta.url),
    ).then(({ probeThisMachine }) => probeThisMachine(this.#options.env));
    return this.#sandboxProbe;
  }

  /**
   * The config file the config service reads, worked out here so a message
   * can name it even when the service itself has failed.
   */
  configFile(): string {
    const env = this.#options.env;
    try {
      return configFileOf(env, this.#options.configPath);
    } catch {
      return "the config file";
    }
  }

  /** Adds `ref` to the root supervisor once, and waits until it runs. */
  ensure<R>(ref: PluginRef<R>): Promise<void> {
    let started = this.#started.get(ref.name);
    if (!started) {
      // The supervisor starts its children one at a time (a mailbox), waiting for
      // each to be ready. The first start of this one begins now, outside that
      // queue, so services spawn and load side by side; restarts go through it.
      const spec = ref.childSpec();
      let headStart: Promise<ChildHandle> | undefined = spec.start();
      headStart.catch(() => {}); // reported by startChild below
      this.#headStarts.set(ref.name, headStart);
      started = this.root.startChild({
        ...spec,
        start: () => {
          const first = headStart;
          headStart = undefined;
          return first ?? spec.start();
        },
      });
      this.#started.set(ref.name, started);
      const attempt = started;
      started.catch(() => {
        // Only this attempt's entry: a replacement may have been started meanwhile.
        if (this.#started.get(ref.name) === attempt) this.#started.delete(ref.name);
        // Refused before its turn (a stopped supervisor): end what was started early.
        void headStart?.then((handle) => handle.kill(), () => {});
      });
    }
    return started;
  }

  /**
   * Like {@linkcode Runtime.ensure}, but resolves as soon as the service's
   * instance runs: its head start, without waiting for its turn in the
   * supervisor's queue, where it may stand behind a slower service's start
   * (the LLM worker behind the MCP manager loading the SDK). Rejects when
   * the supervisor could not start it.
   */
  #running<R>(ref: PluginRef<R>): Promise<void> {
    const supervised = this.ensure(ref);
    const headStart = this.#headStarts.get(ref.name);
    return new Promise<void>((resolve, reject) => {
      headStart?.then(() => resolve(), () => {});
      supervised.then(resolve, reject);
    });
  }

  /**
   * The MCP manager, started on first use. Its thin transport workers
   * (`mcp-server:<name>`) are spawned here on the main thread, because a
   * worker cannot grant more permissions than it has.
   *
   * Given the config still loading (a promise), the manager's worker is
   * spawned at once and loads the MCP SDK while the config loads: it needs no
   * permission, only its init waits for the config.
   *
   * With `startServers` (a command that uses every server at once), or in
   * a one-shot run whose `startServers` accepts the config, the enabled
   * stdio servers' processes start as soon as the config is read, while the
   * manager is still loading; it then connects to the processes already
   * running.
   */
  async mcp(
    configOrLoading: Config | Promise<Config>,
    hostHandlers: McpHostHandlers = {},
    options: { startServers?: boolean } = {},
  ): Promise<PluginRef<McpSurface>> {
    if (!this.#mcp) {
      const loading = Promise.resolve(configOrLoading);
      const oneShot = this.#options.oneShot;
      // Servers to start early need the sandbox probe first (begun by now, when asked for).
      const detecting = options.startServers || oneShot ? this.probeSandbox() : this.#sandboxProbe;
      const transportsReady = loading.then((config) => {
        if (options.startServers || oneShot?.startServers(config)) this.#prestart(config);
        return this.#transportsFor(config, detecting);
      });
      transportsReady.catch(() => {}); // reported by the manager's start
      // The server supervisor starts before the manager, so the root stops it after.
      // It exists once the config is known: until then the root holds a stand-in.
      const servers: ChildHandle = {
        exited: transportsReady.then(
          (transports) => transports.supervisor.exited,
          () => ({ kind: "shutdown", reason: "no config" }),
        ),
        stop: async (reason) => {
          const transports = await transportsReady.catch(() => undefined);
          await transports?.supervisor.stop(reason);
        },
        kill: () =>
          void transportsReady.then((transports) => transports.supervisor.kill(), () => {}),
      };
      this.#serversStarted = this.root.startChild({
        id: "mcp-servers",
        restart: "temporary",
        start: () => Promise.resolve(servers),
      });
      const handlers = {
        spawnTransport: async (p: SpawnTransportParams) =>
          await (await transportsReady).handlers().spawnTransport(p),
        stopTransport: async (p: { name: string }) =>
          await (await transportsReady).handlers().stopTransport(p),
        ...hostHandlers,
      };
      const spec: () => PluginSpec = () =>
        mcpManagerSpec(configOrLoading, {
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
        onStart: (handle) =>
          void handle.exited.then(() => transportsReady.then((t) => t.stopAll(), () => {})),
      });
      this.#mcp.on("server-state", (data) => this.#health?.emit("mcp-server-state", data));
    }
    const mcp = this.#mcp;
    // Both start at once; the supervisor's start is only waited for after the config.
    const managerStarted = this.ensure(mcp);
    await this.#serversStarted;
    await managerStarted;
    this.#options.profiler?.mark("mcp manager ready");
    return mcp;
  }

  /**
   * Starts the enabled servers' processes now, once (after the sandbox
   * probe); the manager's connections adopt them. With none enabled, loads
   * nothing.
   */
  #prestart(config: Config): void {
    if (!Object.values(config.mcp.servers).some((s) => s.enabled)) return;
    this.#serversPrestart ??= this.#transportsFor(config, this.probeSandbox())
      .then((transports) => transports.prestart(config.mcp.servers))
      .then(() => this.#options.profiler?.mark("mcp servers spawned"), () => {});
  }

  /**
   * Resolves once the server processes started early (from a config
   * snapshot) are spawned, at once when none were; never rejects, and waits
   * at most `boundMs`. A one-shot run waits for it before it starts the
   * services that load big libraries (the MCP SDK, the provider's): on two
   * cores they would slow the transport worker's start, which is on the way
   * to the slowest thing, the server's own start-up.
   */
  serversSpawned(boundMs = 2_000): Promise<void> {
    const prestart = this.#serversPrestart;
    if (!prestart) return Promise.resolve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)));
    return Promise.race([prestart, bound]).finally(() => clearTimeout(timer));
  }

  /**
   * The host of the MCP servers' transports, made once, for the config first
   * given. Its modules (and the sandbox's) load then: a run without servers
   * never reads them.
   */
  #transportsFor(
    config: Config,
    detecting?: Promise<SandboxAvailability>,
  ): Promise<McpTransportHost> {
    this.#transportsReady ??= this.#transportHost(config, () => this.store(config), detecting);
    return this.#transportsReady;
  }

  async #transportHost(
    config: Config,
    store: () => Promise<PluginRef<StoreSurface>>,
    detecting?: Promise<SandboxAvailability>,
  ): Promise<McpTransportHost> {
    const here = (path: string) => new URL(path, import.meta.url);
    const [{ McpTransportHost }, { SandboxHost }, { sandboxHostOptions }] = await Promise.all([
      importOnDemand<typeof import("../mcp/host_wiring.ts")>(here("../mcp/host_wiring.ts")),
      importOnDemand<typeof import("../mcp/sandbox/host.ts")>(here("../mcp/sandbox/host.ts")),
      importOnDemand<typeof import("./sandbox_setup.ts")>(here("./sandbox_setup.ts")),
    ]);
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
      module: PLUGIN_MODULES.mcpTransports,
      // The pooled transport worker starts with permissions for every configured server.
      servers: config.mcp.servers,
      heartbeat: {
        intervalMs: config.health.heartbeat_ms,
        missed: config.health.missed_heartbeats,
      },
      // After stdin closes a server gets this long to exit, then SIGTERM, then as long
      // again before SIGKILL: short enough that `mcpchat tools list` exits promptly.
      killGraceMs: 250,
      stdinGraceMs: this.#options.oneShot ? 0 : undefined,
      // Every stdio server process runs in an OS sandbox (docs/sandbox.md).
      sandbox: this.#sandbox = new SandboxHost({
        ...sandboxHostOptions(config, this.#options),
        ...(detecting ? { detect: () => detecting } : {}),
      }),
    });
    this.#transports = transports;
    transports.supervisor.subscribe((event) => {
      this.#options.onEvent?.(event);
      this.#health?.emit("supervisor", event);
    });
    return transports;
  }

  /**
   * Starts the LLM worker now, before the config is read, with what the last
   * run's config gave it (`lib/cli/llm_warm.ts`), when that record still
   * fits the config files and variables: the worker and its provider
   * library load while the config does. {@linkcode Runtime.llm} checks its
   * permissions against the loaded config before it gets the config or any
   * request, and replaces it when they differ. Does nothing without a
   * fitting record.
   */
  async warmLlm(): Promise<void> {
    // With the config at hand the worker starts from it, exactly.
    if (this.#llm || this.#snapshot) return;
    const env = this.#options.env;
    try {
      const record = await readWarmRecord(warmRecordPath(env), this.#options.configPath ?? "");
      if (!record || this.#llm) return;
      const key = await warmKey(record.files, record.permissions.env, env, this.#warmExtra());
      if (key !== record.key || this.#llm) return;
      this.#llmWarm = { record, state: "starting" };
    } catch {
      return; // no HOME, an unreadable cache: start the usual way
    }
    void this.ensure(this.#llmRef()).catch(() => {}); // a failed start is retried by llm()
  }

  /**
   * The LLM plugin, started on first use (its provider library loads on the
   * first call, or on `preload`). A warm-started worker gets its config here,
   * once its permissions proved equal to the ones `config` gives; otherwise
   * it is replaced by one started from `config`.
   */
  llm(config: Config): Promise<PluginRef<LlmSurface>> {
    this.#llmReady ??= this.#startLlm(config);
    return this.#llmReady;
  }

  async #startLlm(config: Config): Promise<PluginRef<LlmSurface>> {
    this.#llmConfig = config;
    const llm = this.#llmRef();
    const warm = this.#llmWarm;
    if (warm?.state === "starting") {
      // Exactly what each worker is granted: the warm one's spec against the config's.
      const wanted = llmSpec(config, this.#options.env).permissions;
      const granted = llmWarmSpec(warm.record.permissions, warm.record.kinds).permissions;
      let used = false;
      if (samePermissions(granted, wanted)) {
        try {
          await this.ensure(llm);
          await llm.call("configure", { config: config.llm });
          used = true;
        } catch {
          // Could not start or take its config: a worker from the config replaces it.
        }
      }
      warm.state = used ? "used" : "replaced";
      if (!used) {
        this.#started.delete(llm.name);
        await this.root.removeChild(llm.name).catch(() => {});
      }
      this.#options.profiler?.mark(used ? "llm warm start used" : "llm warm start replaced");
    }
    try {
      await this.#running(llm);
    } catch (error) {
      this.#llmReady = undefined; // a later call tries again
      throw error;
    }
    this.#options.profiler?.mark("llm worker ready");
    return llm;
  }

  /**
   * Starts the LLM plugin and loads the backend's provider library in it as
   * soon as the worker runs, without waiting for other services' starts.
   * Also records what the next run's warm start needs.
   */
  async preloadLlm(config: Config, backend: string): Promise<void> {
    const llm = await this.llm(config);
    this.#keepWriting(
      this.#rememberLlm(config, backendKind(backend, config.llm.backends[backend])),
    );
    await llm.call("preload", { backend });
  }

  /** Writes the warm-start record for the next run, when it changed. */
  async #rememberLlm(config: Config, kind: LlmWarmRecord["kinds"][number]): Promise<void> {
    const env = this.#options.env;
    const permissions = llmWorkerPermissions(config.llm, (name) => env[name]);
    const files = this.#configFiles;
    const record: LlmWarmRecord = {
      for: this.#options.configPath ?? "",
      key: await warmKey(files, permissions.env, env, this.#warmExtra()),
      files,
      permissions: { net: permissions.net, env: permissions.env },
      kinds: [kind],
    };
    const had = this.#llmWarm?.record;
    if (had && JSON.stringify(had) === JSON.stringify(record)) return;
    await writeWarmRecord(warmRecordPath(env), record);
  }

  /** Lets a cache write finish before shutdown ends; a failed one costs only a head start. */
  #keepWriting(writing: Promise<unknown>): void {
    const kept = writing.catch(() => {});
    this.#cacheWrites.add(kept);
    void kept.then(() => this.#cacheWrites.delete(kept));
  }

  /** What else the warm-start key depends on: the `--config` argument. */
  #warmExtra(): string[] {
    return [this.#options.configPath ?? ""];
  }

  #llmRef(): PluginRef<LlmSurface> {
    if (!this.#llm) {
      this.#llm = new PluginRef<LlmSurface>(() => this.#llmSpec(), { waitMs: 15_000 });
      this.#llm.on("breaker", (data) => this.#health?.emit("breaker", data));
    }
    return this.#llm;
  }

  /** The LLM worker's spec: the warm start's while it is under way, else from the config. */
  #llmSpec(): PluginSpec {
    const warm = this.#llmWarm;
    if (warm?.state === "starting") return llmWarmSpec(warm.record.permissions, warm.record.kinds);
    if (!this.#llmConfig) throw new Error("the llm service needs the config first");
    return llmSpec(this.#llmConfig, this.#options.env);
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
   * The health service (inline), started once; `loadConfig` starts it.
   * Its alerts go to `onHealthAlert`.
   */
  async health(config: Config): Promise<PluginRef<HealthSurface>> {
    if (!this.#health) {
      this.#health = new PluginRef<HealthSurface>(() => healthSpec(config, this.#healthHandlers()));
      this.#health.on("alert", (alert) => this.#options.onHealthAlert?.(alert));
    }
    await this.ensure(this.#health);
    return this.#health;
  }

  /** What the health service asks of the host: samples, and restarts. */
  #healthHandlers(): HostCallsOf<typeof healthPlugin> {
    return {
      healthSamples: (): WorkerSample[] => this.workerSamples(),
      healthRestart: (p: { id: string; supervisor: string; reason: string }) => {
        const handle = this.#pluginHandle(p.id);
        // Ended as a crash: its supervisor restarts it (or, for a server's
        // transport worker, the manager reconnects through a new one).
        handle?.end({ kind: "crash", error: `restarted by the health service: ${p.reason}` });
        return { restarted: handle !== undefined };
      },
      healthBreakers: async () => {
        const llm = this.#llm?.current ? this.#llm : undefined;
        if (!llm) return [];
        return (await llm.call("health", undefined, { timeoutMs: 5_000 })).map((b) => ({
          backend: b.backend,
          state: b.state,
          consecutiveFailures: b.consecutiveFailures,
          retryInMs: b.retryInMs,
        }));
      },
      healthMcpServers: async (): Promise<McpServerSample[]> => {
        const mcp = this.#mcp?.current ? this.#mcp : undefined;
        if (!mcp) return [];
        return (await mcp.call("servers", undefined, { timeoutMs: 5_000 })).map((s) => ({
          name: s.name,
          status: s.status,
          state: s.state.status,
        }));
      },
    };
  }

  /**
   * Asks every worker for a heartbeat now and waits up to `waitMs` for the
   * answers, so a health check right after start sees everyone's figures.
   */
  async refreshVitals(waitMs = 1_000): Promise<void> {
    const handles = this.#allHandles().filter((h) => h.inWorker);
    const before = new Map(handles.map((h) => [h, h.vitals?.at]));
    for (const handle of handles) handle.pingNow();
    const deadline = Date.now() + waitMs;
    while (
      Date.now() < deadline && handles.some((h) => !h.ended && h.vitals?.at === before.get(h))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  #allHandles(): PluginHandle<unknown>[] {
    const supervisors = [this.root, this.#transports?.supervisor].filter((s) => s !== undefined);
    return supervisors.flatMap((s) => s.children().map((c) => s.handleOf(c.id)))
      .filter((h): h is PluginHandle<unknown> => h instanceof PluginHandle);
  }

  /**
   * Every supervised child of the root and of the MCP server supervisor, with
   * the figures of its worker's last heartbeat and its queue of calls.
   */
  workerSamples(): WorkerSample[] {
    const supervisors = [this.root, this.#transports?.supervisor].filter((s) => s !== undefined);
    return supervisors.flatMap((supervisor) =>
      supervisor.children().map((child) => {
        const handle = supervisor.handleOf(child.id);
        const plugin = handle instanceof PluginHandle ? handle : undefined;
        return {
          id: child.id,
          supervisor: supervisor.name,
          state: child.state,
          restarts: child.restarts,
          lastError: child.lastError,
          inWorker: plugin?.inWorker ?? false,
          inline: plugin ? !plugin.inWorker : undefined,
          heapUsed: plugin?.inWorker ? plugin.vitals?.heapUsed : undefined,
          queued: plugin?.inWorker ? plugin.queuedCalls : undefined,
          outgoing: plugin?.vitals?.pendingCalls,
          unansweredHeartbeats: plugin?.inWorker ? plugin.unansweredHeartbeats : undefined,
        };
      })
    );
  }

  /**
   * Adds mcpchat's own MCP server (`mcp-serve`) as a permanent child of the
   * root supervisor, once, and waits until it runs.
   */
  async serve(spec: () => PluginSpec): Promise<PluginRef<McpServeSurface>> {
    this.#serve ??= new PluginRef<McpServeSurface>(spec, { waitMs: 15_000, shutdownMs: 5_000 });
    await this.ensure(this.#serve);
    return this.#serve;
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
      this.#sandbox?.close();
      await Promise.all(this.#cacheWrites);
    })();
    return this.#stopping;
  }

  /** The browser step of OAuth: print the URL, try to open it, wait for the loopback redirect. */
  async #authorize(server: string, url: URL): Promise<{ code: string }> {
    const redirectUrl = url.searchParams.get("redirect_uri");
    if (!redirectUrl) throw new Error(`${server}: the authorization URL has no redirect_uri`);
    const { authorizeInBrowser } = await importOnDemand<typeof import("../mcp/oauth.ts")>(
      new URL("../mcp/oauth.ts", import.meta.url),
    );
    return await authorizeInBrowser(url, {
      redirectUrl,
      onPortBusy: (address) =>
        this.#options.notify?.(
          `${server}: waiting for ${address}, the sign-in's return address: ` +
            `another sign-in is using it (this one starts when it ends)\n`,
        ),
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

  /** The running plugin instance called `name`, in any supervisor. */
  #pluginHandle(name: string): PluginHandle<unknown> | undefined {
    const handle = this.root.handleOf(name) ?? this.#transports?.supervisor.handleOf(name);
    return handle instanceof PluginHandle ? handle : undefined;
  }

  /** The service whose child id is `id` (each keeps its own surface type). */
  #refFor(id: string) {
    return [this.configRef, this.#mcp, this.#llm, this.#store, this.#health, this.#serve]
      .find((ref) => ref?.name === id);
  }
}

/**
 * A failure of the config service itself (a crash, missed heartbeats, a
 * timeout) as an error that names the file it was reading; config errors
 * (`CONFIG_*`, already located in the file) pass through unchanged.
 *
 * @example
 * ```ts
 * import { configServiceFailure } from "./runtime.ts";
 * const e = configServiceFailure(new Error("config is not available: crashed"), "/c/config.toml");
 * console.log(e.message); // config service failed while reading /c/config.toml: config is not available: crashed
 * ```
 */
export function configServiceFailure(error: unknown, file: string): Error {
  if (
    error instanceof Error && "code" in error && typeof error.code === "string" &&
    error.code.startsWith("CONFIG_")
  ) {
    return error;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return Object.assign(
    new Error(
      `config service failed while reading ${file}: ${reason} ` +
        `(check the file with: mcpchat config validate ${file})`,
      { cause: error },
    ),
    { code: "SERVICE_FAILED" },
  );
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
