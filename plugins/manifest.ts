/**
 * The plugin manifest: for each service, its module (a static URL, so
 * `deno compile --include plugins/` and `deno run <url>` both find it), the
 * permissions it gets (deny by default), and its start data, computed from
 * the configuration on the main thread. Nothing heavy is imported here: the
 * plugin modules themselves load only inside their workers.
 *
 * @module
 */

import type { HostCallsOf, PluginSpec } from "../lib/plugin/mod.ts";
import { defaultConfigPath, type Env } from "../lib/config/paths.ts";
import { configWorkerPermissions } from "../lib/config/permissions.ts";
import type { Config } from "../lib/config/schema.ts";
import type { ConfigInit } from "./config.ts";
import type { McpManagerInit, mcpManagerPlugin } from "./mcp_manager.ts";
import type { LlmInit } from "./llm.ts";
import type { StoreInit } from "./store.ts";
import type { HealthInit, healthPlugin } from "./health.ts";
import type { McpServeInit, mcpServePlugin } from "./mcp_serve.ts";
import { type KvLocation, resolveKvLocation } from "../lib/store/location.ts";
import { storeWorkerPermissions } from "../lib/store/permissions.ts";
import {
  type LlmWorkerPermissions,
  llmWorkerPermissions,
  llmWorkerRead,
} from "../lib/llm/permissions.ts";
import type { BackendKind } from "../lib/llm/types.ts";

/** Static module URLs of every plugin. */
export const PLUGIN_MODULES = {
  config: new URL("./config.ts", import.meta.url),
  store: new URL("./store.ts", import.meta.url),
  llm: new URL("./llm.ts", import.meta.url),
  mcpManager: new URL("./mcp_manager.ts", import.meta.url),
  mcpTransports: new URL("./mcp_transports.ts", import.meta.url),
  health: new URL("./health.ts", import.meta.url),
  mcpServe: new URL("./mcp_serve.ts", import.meta.url),
} as const;

/** Heartbeats of long-lived plugins, from `[health]`. */
export function heartbeatOf(config?: Config): { intervalMs: number; missed: number } {
  return {
    intervalMs: config?.health.heartbeat_ms ?? 2_000,
    missed: config?.health.missed_heartbeats ?? 3,
  };
}

/**
 * The config plugin: reads the config directory and an explicit `--config`
 * file, and exactly the environment variables the loader uses.
 *
 * @example
 * ```ts
 * import { configSpec } from "./manifest.ts";
 * const spec = configSpec({ env: { HOME: "/home/ada" } });
 * console.log(spec.permissions.read); // ["/home/ada/.config/mcpchat"]
 * ```
 */
export function configSpec(options: {
  env: Env;
  configPath?: string;
  extraRead?: string[];
}): PluginSpec<ConfigInit> {
  const permissions = configWorkerPermissions({
    env: options.env,
    configPath: options.configPath,
    extraRead: options.extraRead,
  });
  return {
    name: "config",
    module: PLUGIN_MODULES.config,
    permissions,
    init: { path: options.configPath },
    heartbeat: configHeartbeat(options.env, configFileSize(options.env, options.configPath)),
  };
}

/** Parse time allowed per MiB of config file (~1 s measured under load: tenfold headroom). */
const CONFIG_PARSE_ALLOWANCE_MS_PER_MIB = 10_000;

/** Size in bytes of the config file this run reads (0 when it cannot be told). */
function configFileSize(env: Env, configPath: string | undefined): number {
  try {
    const path = configPath ?? (env.MCPCHAT_CONFIG?.trim() || defaultConfigPath(env));
    return Deno.statSync(path).size; // stat, not read: a FIFO must not be consumed here
  } catch {
    return 0;
  }
}

/**
 * The config worker's heartbeat. It runs before the config is read, so only the
 * environment's `MCPCHAT_HEALTH_HEARTBEAT_MS` / `MCPCHAT_HEALTH_MISSED_HEARTBEATS` apply; and
 * a big file gets more missed beats: parsing it is one synchronous stretch (TOML, then the
 * schema) during which the worker cannot answer, and it must not be taken for dead.
 *
 * @example
 * ```ts
 * import { configHeartbeat } from "./manifest.ts";
 * console.log(configHeartbeat({}, 2_000)); // { intervalMs: 2000, missed: 4 }
 * console.log(configHeartbeat({}, 2_500_000)); // { intervalMs: 2000, missed: 15 }: 24 s to parse
 * console.log(configHeartbeat({ MCPCHAT_HEALTH_HEARTBEAT_MS: "100" }, 2_500_000).missed); // 242
 * ```
 */
export function configHeartbeat(
  env: Env,
  fileBytes: number,
): { intervalMs: number; missed: number } {
  const positive = (value: string | undefined) => {
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  };
  const base = heartbeatOf();
  const intervalMs = positive(env.MCPCHAT_HEALTH_HEARTBEAT_MS) ?? base.intervalMs;
  const missed = positive(env.MCPCHAT_HEALTH_MISSED_HEARTBEATS) ?? base.missed;
  const allowanceMs = Math.ceil(fileBytes / 1_048_576 * CONFIG_PARSE_ALLOWANCE_MS_PER_MIB);
  return { intervalMs, missed: missed + Math.ceil(allowanceMs / intervalMs) };
}

/**
 * The MCP manager: no I/O of its own (each server's transport runs in its own
 * narrowed worker that the host spawns). Its permissions do not depend on the
 * config, so it may be spawned before the config is loaded: given a promise,
 * the worker loads the MCP SDK meanwhile and gets its init when it resolves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigSchema } from "../lib/config/schema.ts";
 * import { mcpManagerSpec } from "./manifest.ts";
 * const config = ConfigSchema.parse({ mcp: { servers: { mem: { command: "node", args: ["mem.js"] } } } });
 * const handlers = {
 *   spawnTransport: () => Promise.resolve({ generation: 1 }),
 *   stopTransport: () => Promise.resolve({ stopped: true }),
 * };
 * const options = { cwd: "/home/ada/project", handlers, sampling: true, elicitation: true };
 * const spec = mcpManagerSpec(config, options);
 * assert.deepEqual(spec.permissions, {}); // no I/O of its own
 * assert.deepEqual(Object.keys((await spec.init).servers ?? {}), ["mem"]);
 * // Before the config is loaded: the worker can start, its init follows.
 * const early = mcpManagerSpec(Promise.resolve(config), options);
 * assert.equal((await early.init).roots?.[0].uri, "file:///home/ada/project/");
 * ```
 */
export function mcpManagerSpec(
  config: Config | Promise<Config>,
  options: {
    cwd: string;
    handlers: HostCallsOf<typeof mcpManagerPlugin>;
    sampling: boolean;
    elicitation: boolean;
  },
): PluginSpec<McpManagerInit, HostCallsOf<typeof mcpManagerPlugin>> {
  const common = {
    name: "mcp-manager",
    module: PLUGIN_MODULES.mcpManager,
    permissions: {},
    handlers: options.handlers,
    readyTimeoutMs: 60_000,
  };
  if (config instanceof Promise) {
    const init = config.then((c) => mcpManagerInit(c, options));
    init.catch(() => {}); // a config error is the config load's to report
    return { ...common, heartbeat: config.then(heartbeatOf, () => false as const), init };
  }
  return { ...common, heartbeat: heartbeatOf(config), init: mcpManagerInit(config, options) };
}

function mcpManagerInit(
  config: Config,
  options: { cwd: string; sampling: boolean; elicitation: boolean },
): McpManagerInit {
  const mcp = config.mcp;
  return {
    servers: mcp.servers,
    startup_mode: mcp.startup_mode,
    roots: mcp.roots.map((root) => ({
      uri: new URL(root, `file://${options.cwd.replace(/\/?$/, "/")}`).href,
      name: root === "." ? "working directory" : root,
    })),
    request_timeout_ms: mcp.request_timeout_seconds * 1_000,
    reconnect: mcp.reconnect,
    cache: { max_entries: config.cache.max_entries, max_bytes: config.cache.max_bytes },
    notifications: {
      history_size: config.notifications.history_size,
      categories: config.notifications.categories,
    },
    progress_interval_ms: config.ui.progress_interval_ms,
    sampling: options.sampling,
    elicitation: options.elicitation,
  };
}

/**
 * The LLM plugin: network access to exactly the configured providers'
 * host:port and their key variables only. Provider libraries load lazily
 * inside it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigSchema } from "../lib/config/schema.ts";
 * import { llmSpec } from "./manifest.ts";
 * const spec = llmSpec(ConfigSchema.parse({}), { ANTHROPIC_API_KEY: "sk-test", HOME: "/home/ada" });
 * assert.deepEqual(spec.permissions.net, ["api.anthropic.com:443"]);
 * assert.deepEqual(spec.permissions.env, ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"]); // not HOME
 * ```
 */
export function llmSpec(config: Config, env: Env): PluginSpec<LlmInit> {
  const permissions = llmWorkerPermissions(config.llm, (name) => env[name]);
  return {
    name: "llm",
    module: PLUGIN_MODULES.llm,
    permissions: { ...permissions, read: llmWorkerRead() },
    heartbeat: heartbeatOf(config),
    init: { config: config.llm },
  };
}

/**
 * The LLM plugin started before the config is read (a warm start, see
 * `lib/cli/llm_warm.ts`): the permissions the last run's config gave it, and
 * the provider libraries to import meanwhile. It serves nothing until the
 * host checked those permissions against the loaded config's and sent it
 * `configure`.
 *
 * @example
 * ```ts
 * import { llmWarmSpec } from "./manifest.ts";
 * const spec = llmWarmSpec({ net: ["api.anthropic.com:443"], env: ["ANTHROPIC_API_KEY"] }, ["anthropic"]);
 * console.log(spec.init); // { warm: ["anthropic"] }
 * ```
 */
export function llmWarmSpec(
  permissions: LlmWorkerPermissions,
  kinds: BackendKind[],
): PluginSpec<LlmInit> {
  return {
    name: "llm",
    module: PLUGIN_MODULES.llm,
    permissions: {
      net: [...permissions.net],
      env: [...permissions.env],
      read: llmWorkerRead(),
    },
    heartbeat: heartbeatOf(),
    init: { warm: kinds },
  };
}

/**
 * The store plugin: read and write of the data directory only (or, for a
 * remote KV via `MCPCHAT_KV_URL`, network to that host and its access token).
 *
 * @throws {KvLocationError} an unusable `MCPCHAT_KV_URL` or data directory
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigSchema } from "../lib/config/schema.ts";
 * import { storeSpec } from "./manifest.ts";
 * const config = ConfigSchema.parse({ session: { data_dir: "/home/ada/.local/share/mcpchat" } });
 * const spec = storeSpec(config, { HOME: "/home/ada" }, "/home/ada/project", "owner-1");
 * assert.deepEqual(spec.permissions.read, ["/home/ada/.local/share/mcpchat"]);
 * assert.deepEqual(spec.permissions.write, ["/home/ada/.local/share/mcpchat"]);
 * assert.equal(spec.permissions.net, undefined);
 * ```
 */
export function storeSpec(
  config: Config,
  env: Env,
  cwd: string,
  ownerId: string,
): PluginSpec<StoreInit> {
  const location: KvLocation = resolveKvLocation({
    env,
    dataDir: config.session.data_dir || undefined,
    cwd,
    os: Deno.build.os,
  });
  return {
    name: "store",
    module: PLUGIN_MODULES.store,
    permissions: storeWorkerPermissions(location),
    heartbeat: heartbeatOf(config),
    // The worker has no `sys` permission: name this host for "session busy" messages here.
    init: {
      location,
      pageSize: config.session.page_size,
      owner: { pid: Deno.pid, host: Deno.hostname() },
      ownerId,
    },
  };
}

/**
 * The health service: inline on the main thread (it needs the supervisors'
 * view and the authority to restart), no permissions of its own. Checks run
 * at the heartbeat interval against `[health]`; a worker unhealthy for three
 * checks in a row is restarted.
 *
 * @example
 * ```ts
 * import { healthSpec } from "./manifest.ts";
 * const none = () => Promise.resolve([]);
 * const spec = healthSpec(undefined, {
 *   healthSamples: () => [],
 *   healthRestart: () => ({ restarted: false }),
 *   healthBreakers: none,
 *   healthMcpServers: none,
 * });
 * console.log(spec.mode, (await spec.init).thresholds.maxQueue); // inline 1000
 * ```
 */
export function healthSpec(
  config: Config | undefined,
  handlers: HostCallsOf<typeof healthPlugin>,
): PluginSpec<HealthInit, HostCallsOf<typeof healthPlugin>> {
  const { intervalMs, missed } = heartbeatOf(config);
  return {
    name: "health",
    module: PLUGIN_MODULES.health,
    mode: "inline",
    loadDefinition: () => import("./health.ts").then((m) => m.healthPlugin),
    permissions: {},
    handlers,
    heartbeat: false,
    init: {
      intervalMs,
      thresholds: {
        maxHeapBytes: (config?.health.max_heap_mb ?? 100) * 2 ** 20,
        maxQueue: config?.health.max_queue ?? 1_000,
        missedHeartbeats: missed,
        restartAfterChecks: 3,
      },
    },
  };
}

/**
 * The MCP server plugin (`mcpchat serve`): over HTTP, `net` for exactly the
 * address it listens on (any port of that host when the port is 0, "pick
 * one"); over stdio, nothing at all (stdin and stdout need no permission).
 * The work behind its tools is done by the host through `handlers`.
 *
 * @example
 * ```ts
 * import { mcpServePermissions } from "./manifest.ts";
 * console.log(mcpServePermissions({ transport: "http", hostname: "127.0.0.1", port: 8931 }).net);
 * // ["127.0.0.1:8931"]
 * ```
 */
export function mcpServePermissions(
  init: Pick<McpServeInit, "transport" | "hostname" | "port">,
): PluginSpec["permissions"] {
  if (init.transport === "stdio") return {};
  const host = init.hostname.includes(":") ? `[${init.hostname}]` : init.hostname;
  return { net: [init.port === 0 ? host : `${host}:${init.port}`] };
}

/**
 * The spec of the MCP server plugin.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mcpServeSpec } from "./manifest.ts";
 * // The host's side of every call the plugin makes (here: none is made).
 * const refuse = () => Promise.reject(new Error("no host in this example"));
 * const host = {
 *   chat: refuse,
 *   newSession: refuse,
 *   listSessions: refuse,
 *   getHistory: refuse,
 *   clearHistory: refuse,
 *   checkBackend: refuse,
 *   backends: refuse,
 *   listServers: refuse,
 *   listening: refuse,
 * };
 * const spec = mcpServeSpec({
 *   transport: "http",
 *   hostname: "127.0.0.1",
 *   port: 8931,
 *   allowedOrigins: [],
 *   maxBodyBytes: 4 << 20,
 *   rateLimitPerSecond: 50,
 *   fixtures: false,
 *   version: "0.1.0",
 * }, host);
 * assert.equal(spec.name, "mcp-serve");
 * assert.deepEqual(spec.permissions, { net: ["127.0.0.1:8931"] });
 * ```
 */
export function mcpServeSpec(
  init: McpServeInit,
  handlers: HostCallsOf<typeof mcpServePlugin>,
  config?: Config,
): PluginSpec<McpServeInit, HostCallsOf<typeof mcpServePlugin>> {
  return {
    name: "mcp-serve",
    module: PLUGIN_MODULES.mcpServe,
    permissions: mcpServePermissions(init),
    init,
    handlers,
    heartbeat: heartbeatOf(config),
    readyTimeoutMs: 30_000,
  };
}
