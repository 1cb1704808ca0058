/**
 * `McpManager`: every configured MCP server, their startup modes, the
 * namespaced tool surface for the model, the resource cache, the
 * notification history and progress batching. Pure library: no I/O of its
 * own; transports come from a {@linkcode TransportPortProvider}.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/types"
import type {
  CallToolResult,
  Progress,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Root,
  ServerCapabilities,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import type { ReconnectOptions, ServerConfig, ServerConfigInput, StartupMode } from "./config.ts";
import { validateServerConfig } from "./server_check.ts";
import {
  type McpHostCallbacks,
  ServerConnection,
  type ServerInfo,
  type TransportPortProvider,
} from "./connection.ts";
import {
  McpConfigError,
  McpConnectionError,
  McpUnknownServerError,
  McpUnknownToolError,
} from "./errors.ts";
import { describeState, type ServerState } from "./lifecycle.ts";
import {
  type NotificationBatch,
  NotificationBatcher,
  type NotificationCategory,
  type NotificationFilter,
  NotificationHistory,
  type NotificationRecord,
  ProgressCoalescer,
  type ProgressUpdate,
} from "./notifications.ts";
import {
  type CachedResourceInfo,
  ResourceCache,
  type ResourceCacheOptions,
  type ResourceCacheStats,
} from "./resource_cache.ts";
import { namespaceTools, type ToolRef } from "./tool_names.ts";
import { screenTools } from "./tool_screen.ts";

/** Events the manager emits (names as sent to the UI). */
export interface McpManagerEvents {
  /** A server's state changed. */
  "server-state": {
    name: string;
    state: ServerState;
    status: string;
    /** Why some of its tools were set aside (it is ready, but degraded). */
    degraded?: string;
  };
  /** Notifications for the UI, batched per `progress_interval_ms` (see {@linkcode NotificationBatcher}). */
  notifications: NotificationBatch;
  /** Coalesced progress of a tool call. */
  progress: ProgressUpdate & { callId?: string };
  /** A server's tool list changed: tools for the model must be listed again. */
  "tools-changed": { server: string };
}

/** Options of {@linkcode McpManager}. */
export interface McpManagerOptions {
  /** `mcp.servers`, validated at construction. */
  servers?: Record<string, ServerConfigInput>;
  /** Default startup mode (default `lazy`). */
  startup_mode?: StartupMode;
  /** Where transports come from (the host, or in-process wiring in tests). */
  ports: TransportPortProvider;
  /** Sampling and elicitation handlers. */
  host?: McpHostCallbacks;
  /** Roots given to servers (absolute `file://` URIs; the host resolves paths). */
  roots?: Root[];
  /** Default timeout of a request (default 60 000 ms). */
  request_timeout_ms?: number;
  /** Time allowed for `initialize` (default 30 000 ms). */
  initialize_timeout_ms?: number;
  /** Health ping interval (default 30 000 ms; 0 disables). */
  ping_interval_ms?: number;
  /** Health ping timeout (default 10 000 ms). */
  ping_timeout_ms?: number;
  /** Reconnect policy (`[mcp.reconnect]`). */
  reconnect?: ReconnectOptions;
  /** Resource cache limits (`[cache]`). */
  cache?: ResourceCacheOptions;
  /** History size and enabled categories (`[notifications]`). */
  notifications?: {
    history_size?: number;
    categories?: Partial<Record<NotificationCategory, boolean>>;
  };
  /** Progress coalescing interval (`ui.progress_interval_ms`, default 100). */
  progress_interval_ms?: number;
  /** Receives every event. */
  emit?: <K extends keyof McpManagerEvents>(event: K, data: McpManagerEvents[K]) => void;
  /** `clientInfo` sent in `initialize`. */
  clientInfo?: { name: string; version: string };
  /** Clock for timers (tests inject fake timers). */
  clock?: Clock;
  /** Randomness for backoff jitter. */
  random?: () => number;
}

/** A tool as given to the model. */
export interface ModelTool {
  /** Namespaced name (`server__tool`, sanitized). */
  name: string;
  /** Server that has the tool. */
  server: string;
  /** The tool's own name on that server. */
  tool: string;
  /** Description for the model. */
  description?: string;
  /** JSON Schema of the arguments. */
  inputSchema: Tool["inputSchema"];
  /** JSON Schema of `structuredContent`, when the tool declares one. */
  outputSchema?: Tool["outputSchema"];
  /** Hints (read-only, destructive, …) from the server; not trusted for approval. */
  annotations?: Tool["annotations"];
  /** Human-readable title. */
  title?: string;
  /** How the tool runs (e.g. `taskSupport`), as the server sent it. */
  execution?: Tool["execution"];
  /** Icons, as the server sent them. */
  icons?: Tool["icons"];
  /** The server's metadata. */
  _meta?: Tool["_meta"];
}

/** A per-server failure in an aggregate listing. */
export interface ServerError {
  /** Server name. */
  server: string;
  /** Error code (e.g. `MCP_SERVER_UNAVAILABLE`). */
  code: string;
  /** Actionable message. */
  message: string;
}

/** Target of a tool call: a namespaced name, or server + tool. */
export type ToolTarget = { name: string } | { server: string; tool: string };

/**
 * The MCP client of mcpchat.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // @ts-types="@modelcontextprotocol/sdk/server/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * // @ts-types="@modelcontextprotocol/sdk/inMemory"
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { z } from "zod";
 * import { type SessionOpener, serveTransport } from "./transport_relay.ts";
 * import type { TransportPortProvider } from "./connection.ts";
 * import { McpManager } from "./manager.ts";
 * // A calculator MCP server in memory, served the way the transport worker serves a
 * // process: each `acquire` hands out a port whose other end relays to it.
 * const calculator: SessionOpener = async (_spec, sink) => {
 *   const server = new McpServer({ name: "calc", version: "1.0.0" });
 *   server.registerTool("add", { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }: { a: number; b: number }) => ({
 *     content: [{ type: "text", text: String(a + b) }],
 *   }));
 *   const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 *   clientSide.onmessage = (message: object) => sink.message({ ...message });
 *   await server.connect(serverSide);
 *   await clientSide.start();
 *   return {
 *     session: {
 *       send: (json) => clientSide.send(JSON.parse(json)),
 *       close: async () => {
 *         await server.close();
 *         sink.closed("stopped", "MCP_STOPPED");
 *       },
 *     },
 *   };
 * };
 * const open = new Map<string, MessagePort[]>();
 * const ports: TransportPortProvider = {
 *   acquire: (name) => {
 *     const { port1, port2 } = new MessageChannel();
 *     serveTransport(port1, { kind: "stdio", name, command: name, args: [], env: {} }, calculator);
 *     open.set(name, [port1, port2]);
 *     return Promise.resolve(port2);
 *   },
 *   invalidate: () => {},
 *   release: (name) => Promise.resolve(open.get(name)?.forEach((p) => p.close())),
 * };
 * const manager = new McpManager({ servers: { calc: { command: "calc" } }, ports });
 * await manager.start();
 * const { tools } = await manager.listTools();
 * assert.deepEqual(tools.map((t) => t.name), ["calc__add"]); // namespaced for the model
 * const result = await manager.callTool({ name: "calc__add", arguments: { a: 2, b: 40 } });
 * assert.deepEqual(result.content, [{ type: "text", text: "42" }]);
 * await manager.close();
 * ```
 */
export class McpManager {
  readonly #opts: McpManagerOptions;
  readonly #conns = new Map<string, ServerConnection>();
  readonly #history: NotificationHistory;
  readonly #cache: ResourceCache;
  readonly #progress: ProgressCoalescer;
  readonly #batcher: NotificationBatcher;
  readonly #clock: Clock;
  #roots: Root[];
  #toolNames?: ReturnType<typeof namespaceTools>;
  /** Servers whose tools were (partly) set aside at the last listing, and why. */
  #degraded = new Map<string, string>();
  #callIds = new Map<string, string>();
  #callSeq = 0;
  #started?: Promise<void>;

  /** Creates the manager; servers connect on `start()` or first use. */
  constructor(options: McpManagerOptions) {
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    this.#roots = options.roots ?? [];
    this.#history = new NotificationHistory({
      size: options.notifications?.history_size,
      categories: options.notifications?.categories,
      clock: this.#clock,
    });
    this.#cache = new ResourceCache(options.cache);
    this.#progress = new ProgressCoalescer(
      (u) =>
        this.#emit("progress", {
          ...u,
          callId: this.#callIds.get(progressKey(u.server, u.progressToken)),
        }),
      { intervalMs: options.progress_interval_ms ?? 100, clock: this.#clock },
    );
    this.#batcher = new NotificationBatcher((batch) => this.#emit("notifications", batch), {
      intervalMs: options.progress_interval_ms ?? 100,
      clock: this.#clock,
    });
    for (const [name, config] of Object.entries(options.servers ?? {})) {
      this.#add(name, validateServerConfig(name, config));
    }
  }

  /**
   * Starts servers per their startup mode: `eager` ones are awaited,
   * `background` ones are started without waiting, `lazy` ones connect on
   * first use. Resolves when the eager ones have settled.
   */
  start(): Promise<void> {
    // Idempotent: the plugin starts servers by itself, and `startServers` waits on the same run.
    this.#started ??= this.#startServers();
    return this.#started;
  }

  async #startServers(): Promise<void> {
    const eager: Promise<void>[] = [];
    for (const conn of this.#conns.values()) {
      if (conn.state.status === "disabled") continue;
      const mode = this.#mode(conn);
      if (mode === "eager") eager.push(conn.connect());
      // After this call has returned: the prompt must not wait for them.
      else if (mode === "background") this.#clock.setTimeout(() => void conn.connect(), 0);
    }
    await Promise.all(eager);
  }

  /**
   * Every server with its state. A server whose tools were (partly) set
   * aside says so in `degraded` and in its status line.
   */
  servers(): (ServerInfo & { degraded?: string })[] {
    return [...this.#conns.values()].map((c) => {
      const info = c.info();
      const degraded = this.#degraded.get(c.name);
      return degraded
        ? { ...info, degraded, status: `${info.status}, degraded: ${degraded}` }
        : info;
    });
  }

  /** Connects a server now (also re-enables a disabled one); returns its info. */
  async connect(name: string): Promise<ServerInfo> {
    const c = this.#get(name);
    await c.connect();
    return c.info();
  }

  /** Disconnects a server (no reconnects until `connect`). */
  async disconnect(name: string): Promise<ServerInfo> {
    const c = this.#get(name);
    await c.disconnect();
    this.#cache.invalidateServer(name);
    this.#toolNames = undefined;
    return c.info();
  }

  /** Adds a server at run time; connects it unless its mode is lazy. */
  async addServer(name: string, config: ServerConfigInput): Promise<ServerInfo> {
    if (this.#conns.has(name)) {
      throw new McpConfigError(name, `a server named "${name}" already exists; remove it first`);
    }
    const conn = this.#add(name, validateServerConfig(name, config));
    if (conn.state.status !== "disabled" && this.#mode(conn) !== "lazy") await conn.connect();
    return conn.info();
  }

  /** Removes a server (disconnecting it). */
  async removeServer(name: string): Promise<{ removed: boolean }> {
    const c = this.#get(name);
    this.#conns.delete(name);
    await c.close();
    this.#cache.invalidateServer(name);
    this.#toolNames = undefined;
    return { removed: true };
  }

  /**
   * Records whether a server is degraded; a change is a `server-state` event,
   * so the UI shows it wherever it shows servers' state.
   */
  #setDegraded(name: string, problem: string | undefined): void {
    if (this.#degraded.get(name) === problem) return;
    if (problem === undefined) this.#degraded.delete(name);
    else this.#degraded.set(name, problem);
    const conn = this.#conns.get(name);
    if (!conn) return;
    const status = describeState(conn.state);
    this.#emit("server-state", {
      name,
      state: conn.state,
      status: problem ? `${status}, degraded: ${problem}` : status,
      ...(problem ? { degraded: problem } : {}),
    });
  }

  /** The connection of a server (for advanced use and tests). */
  connection(name: string): ServerConnection {
    return this.#get(name);
  }

  /**
   * Tools for the model, namespaced. Without `server`, every enabled server
   * is asked (lazy ones connect); unreachable ones are reported in `errors`.
   * With `waitMs`, a server that has not answered by then is reported as
   * still connecting and left out, so one slow server never holds up a chat
   * turn; it keeps connecting in the background and joins the next listing.
   */
  async listTools(
    params: { server?: string; waitMs?: number } = {},
    signal?: AbortSignal,
  ): Promise<{ tools: ModelTool[]; errors: ServerError[] }> {
    const targets = params.server ? [this.#get(params.server)] : this.#enabled();
    const errors: ServerError[] = [];
    const lists = await Promise.all(targets.map(async (c) => {
      try {
        const listing = c.listTools(signal);
        if (params.server || params.waitMs === undefined) {
          return { server: c.name, tools: await listing };
        }
        listing.catch(() => {}); // reported below, or by the next listing
        let timer: TimerHandle | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = this.#clock.setTimeout(() => resolve("late"), params.waitMs!);
        });
        const first = await Promise.race([listing, late]).finally(() => {
          if (timer !== undefined) this.#clock.clearTimeout(timer);
        });
        if (first === "late") {
          throw new McpConnectionError(
            c.name,
            `still connecting (${c.info().status}); its tools join when it is ready`,
          );
        }
        return { server: c.name, tools: first };
      } catch (error) {
        if (params.server) throw error;
        errors.push(toServerError(c.name, error));
        return { server: c.name, tools: [] as Tool[] };
      }
    }));
    const names = this.#names();
    const out: ModelTool[] = [];
    for (const listed of lists) {
      // Before anything recursive (cloning to another worker, a provider library) sees them.
      const { kept, problem } = screenTools(listed.tools);
      listed.tools = kept;
      if (problem) {
        const first = this.#degraded.get(listed.server) !== problem;
        this.#setDegraded(listed.server, problem);
        // Said once per problem, not at every turn.
        if (first || params.server) {
          errors.push({ server: listed.server, code: "MCP_TOOLS_SET_ASIDE", message: problem });
        }
      } else if (listed.tools.length > 0 || !errors.some((e) => e.server === listed.server)) {
        this.#setDegraded(listed.server, undefined);
      }
    }
    for (const { server, tools } of lists) {
      for (const t of tools) {
        out.push({
          // Every field the server sent (execution, icons, _meta…), then our names.
          ...t,
          name: names.toModel.get(`${server}\u0000${t.name}`) ?? `${server}__${t.name}`,
          server,
          tool: t.name,
        });
      }
    }
    return { tools: out, errors };
  }

  /** Resolves a namespaced tool name. */
  async resolveTool(name: string, signal?: AbortSignal): Promise<ToolRef> {
    let ref = this.#names().fromModel.get(name);
    if (!ref) {
      // Names are built from known tool lists; make sure they are loaded.
      await this.listTools({}, signal);
      ref = this.#names().fromModel.get(name);
    }
    if (!ref) throw new McpUnknownToolError(name);
    return ref;
  }

  /**
   * Calls a tool. Progress is emitted as `progress` events tagged with
   * `callId` (coalesced); `signal` cancels the call on the server.
   */
  async callTool(
    params: ToolTarget & {
      arguments?: Record<string, unknown>;
      callId?: string;
      timeoutMs?: number;
    },
    signal?: AbortSignal,
    onProgress?: (p: Progress) => void,
  ): Promise<CallToolResult> {
    const ref = "name" in params
      ? await this.resolveTool(params.name, signal)
      : { server: params.server, tool: params.tool };
    const conn = this.#get(ref.server);
    const token = `${ref.server}#${++this.#callSeq}`;
    let progressed = false;
    try {
      return await conn.callTool(ref.tool, params.arguments, {
        signal,
        timeoutMs: params.timeoutMs,
        onProgress: (p) => {
          // The SDK puts the request id on the wire as the progress token;
          // here each call gets its own key for coalescing.
          if (!progressed && params.callId) {
            this.#callIds.set(progressKey(ref.server, token), params.callId);
          }
          progressed = true;
          this.#history.record(ref.server, "notifications/progress", {
            progressToken: token,
            ...p,
          });
          this.#progress.push({ server: ref.server, progressToken: token, ...p });
          onProgress?.(p);
        },
      });
    } finally {
      if (progressed) {
        this.#progress.done(ref.server, token);
        this.#callIds.delete(progressKey(ref.server, token));
      }
    }
  }

  /** Resources of one server or all (lazy servers connect). */
  async listResources(
    params: { server?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ resources: (Resource & { server: string })[]; errors: ServerError[] }> {
    const { items, errors } = await this.#gather(
      params.server,
      "resources",
      (c) => c.listResources(signal),
    );
    return { resources: items, errors };
  }

  /** Resource templates of one server or all. */
  async listResourceTemplates(
    params: { server?: string } = {},
    signal?: AbortSignal,
  ): Promise<
    { resourceTemplates: (ResourceTemplate & { server: string })[]; errors: ServerError[] }
  > {
    const { items, errors } = await this.#gather(
      params.server,
      "resources",
      (c) => c.listResourceTemplates(signal),
    );
    return { resourceTemplates: items, errors };
  }

  /**
   * Reads a resource through the cache. On a miss, the result is cached and,
   * when the server supports it, a subscription keeps it fresh.
   */
  async readResource(
    params: { server: string; uri: string; noCache?: boolean },
    signal?: AbortSignal,
  ): Promise<ReadResourceResult & { cached: boolean }> {
    const conn = this.#get(params.server);
    if (!params.noCache) {
      const hit = this.#cache.get(params.server, params.uri);
      if (hit && conn.state.status === "ready") return { ...hit, cached: true };
    }
    const result = await conn.readResource(params.uri, signal);
    // Cache only what we will hear about when it changes.
    if (conn.supportsSubscriptions()) {
      if (!conn.subscriptions().includes(params.uri)) {
        await conn.subscribe(params.uri, signal).catch(() => {});
      }
      if (conn.subscriptions().includes(params.uri)) {
        this.#cache.set(params.server, params.uri, result);
      }
    }
    return { ...result, cached: false };
  }

  /** Subscribes to updates of a resource. */
  async subscribe(
    params: { server: string; uri: string },
    signal?: AbortSignal,
  ): Promise<{ subscribed: true }> {
    await this.#get(params.server).subscribe(params.uri, signal);
    return { subscribed: true };
  }

  /** Unsubscribes (and drops the cached copy). */
  async unsubscribe(
    params: { server: string; uri: string },
    signal?: AbortSignal,
  ): Promise<{ subscribed: false }> {
    this.#cache.invalidate(params.server, params.uri);
    await this.#get(params.server).unsubscribe(params.uri, signal);
    return { subscribed: false };
  }

  /** Prompts of one server or all. */
  async listPrompts(
    params: { server?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ prompts: (Prompt & { server: string })[]; errors: ServerError[] }> {
    const { items, errors } = await this.#gather(
      params.server,
      "prompts",
      (c) => c.listPrompts(signal),
    );
    return { prompts: items, errors };
  }

  /** Gets a prompt. */
  getPrompt(
    params: { server: string; name: string; arguments?: Record<string, string> },
    signal?: AbortSignal,
  ): ReturnType<ServerConnection["getPrompt"]> {
    return this.#get(params.server).getPrompt(params.name, params.arguments, signal);
  }

  /** Completion of a prompt or resource-template argument. */
  complete(
    params: { server: string } & Parameters<ServerConnection["complete"]>[0],
    signal?: AbortSignal,
  ): ReturnType<ServerConnection["complete"]> {
    const { server, ...rest } = params;
    return this.#get(server).complete(rest, signal);
  }

  /** Sets the logging level of one server, or every ready server. */
  async setLogLevel(
    params: { server?: string; level: Parameters<ServerConnection["setLogLevel"]>[0] },
    signal?: AbortSignal,
  ): Promise<{ set: string[]; errors: ServerError[] }> {
    const targets = params.server
      ? [this.#get(params.server)]
      : this.#enabled().filter((c) => c.state.status === "ready");
    const set: string[] = [];
    const errors: ServerError[] = [];
    await Promise.all(targets.map(async (c) => {
      try {
        await c.setLogLevel(params.level, signal);
        set.push(c.name);
      } catch (error) {
        if (params.server) throw error;
        errors.push(toServerError(c.name, error));
      }
    }));
    return { set, errors };
  }

  /** Pings a server; returns the round trip. */
  async ping(params: { server: string }, signal?: AbortSignal): Promise<{ ms: number }> {
    return { ms: await this.#get(params.server).ping(signal) };
  }

  /** A server's capabilities, version and instructions (connects it). */
  async capabilities(
    params: { server: string },
    signal?: AbortSignal,
  ): Promise<
    {
      capabilities: ServerCapabilities;
      serverInfo?: ServerInfo["serverInfo"];
      instructions?: string;
    }
  > {
    const c = this.#get(params.server);
    const capabilities = await c.capabilities(signal);
    const info = c.info();
    return { capabilities, serverInfo: info.serverInfo, instructions: info.instructions };
  }

  /** The notification history. */
  notifications(filter: NotificationFilter = {}): NotificationRecord[] {
    return this.#history.query(filter);
  }

  /** Enables or disables a notification category. */
  setNotificationCategory(
    params: { category: NotificationCategory; enabled: boolean },
  ): Record<NotificationCategory, boolean> {
    this.#history.setCategory(params.category, params.enabled);
    return this.#history.categories();
  }

  /** Notification counters and categories. */
  notificationStats(): ReturnType<NotificationHistory["stats"]> & {
    categories: Record<NotificationCategory, boolean>;
  } {
    return { ...this.#history.stats(), categories: this.#history.categories() };
  }

  /** Cache counters. */
  cacheStats(): ResourceCacheStats {
    return this.#cache.stats();
  }

  /** Cached entries. */
  cacheEntries(): CachedResourceInfo[] {
    return this.#cache.entries();
  }

  /** Empties the resource cache. */
  clearCache(): { cleared: true } {
    this.#cache.clear();
    return { cleared: true };
  }

  /** Current roots. */
  roots(): Root[] {
    return [...this.#roots];
  }

  /** Replaces the roots and tells every ready server (`roots/list_changed`). */
  async setRoots(roots: Root[]): Promise<Root[]> {
    this.#roots = [...roots];
    await Promise.all([...this.#conns.values()].map((c) => c.rootsChanged()));
    return this.roots();
  }

  /** Host event `detach-server`: the transport worker of a server died. */
  transportLost(name: string, reason: string): void {
    this.#conns.get(name)?.transportLost(reason);
  }

  /** Disconnects everything. */
  async close(): Promise<void> {
    this.#progress.close();
    this.#batcher.flush();
    await Promise.all([...this.#conns.values()].map((c) => c.close().catch(() => {})));
  }

  // --- internals ---

  #emit<K extends keyof McpManagerEvents>(event: K, data: McpManagerEvents[K]): void {
    this.#opts.emit?.(event, data);
  }

  #mode(conn: ServerConnection): StartupMode {
    return conn.config.startup_mode ?? this.#opts.startup_mode ?? "lazy";
  }

  #enabled(): ServerConnection[] {
    return [...this.#conns.values()].filter((c) => c.state.status !== "disabled");
  }

  #get(name: string): ServerConnection {
    const c = this.#conns.get(name);
    if (!c) throw new McpUnknownServerError(name, [...this.#conns.keys()]);
    return c;
  }

  #names(): ReturnType<typeof namespaceTools> {
    if (!this.#toolNames) {
      const refs: ToolRef[] = [];
      for (const c of this.#conns.values()) {
        for (const t of c.cachedTools() ?? []) refs.push({ server: c.name, tool: t.name });
      }
      this.#toolNames = namespaceTools(refs);
    }
    return this.#toolNames;
  }

  async #gather<T>(
    server: string | undefined,
    capability: keyof ServerCapabilities,
    fn: (c: ServerConnection) => Promise<T[]>,
  ): Promise<{ items: (T & { server: string })[]; errors: ServerError[] }> {
    if (server) {
      return { items: (await fn(this.#get(server))).map((x) => ({ ...x, server })), errors: [] };
    }
    const items: (T & { server: string })[] = [];
    const errors: ServerError[] = [];
    await Promise.all(
      this.#enabled().map(async (c) => {
        try {
          await c.ensureReady();
          if (!c.client.getServerCapabilities()?.[capability]) return;
          for (const x of await fn(c)) items.push({ ...x, server: c.name });
        } catch (error) {
          errors.push(toServerError(c.name, error));
        }
      }),
    );
    return { items, errors };
  }

  #add(name: string, config: ServerConfig): ServerConnection {
    const o = this.#opts;
    const conn = new ServerConnection({
      name,
      config,
      ports: o.ports,
      host: o.host,
      roots: () => this.#roots,
      clientInfo: o.clientInfo,
      initializeTimeoutMs: o.initialize_timeout_ms,
      requestTimeoutMs: o.request_timeout_ms,
      pingIntervalMs: o.ping_interval_ms,
      pingTimeoutMs: o.ping_timeout_ms,
      reconnect: o.reconnect,
      clock: o.clock,
      random: o.random,
      events: {
        state: (n, state) => {
          this.#history.record(n, "mcpchat/server_state", { status: describeState(state) });
          const degraded = state.status === "ready" ? this.#degraded.get(n) : undefined;
          this.#emit("server-state", {
            name: n,
            state,
            status: describeState(state) + (degraded ? `, degraded: ${degraded}` : ""),
            ...(degraded ? { degraded } : {}),
          });
        },
        notification: (n, method, params) => {
          const rec = this.#history.record(n, method, params);
          if (rec) this.#batcher.push(rec);
        },
        toolsChanged: (n) => {
          this.#toolNames = undefined;
          this.#emit("tools-changed", { server: n });
        },
        promptsChanged: () => {},
        resourcesChanged: (n) => void this.#cache.invalidateServer(n),
        resourceUpdated: (n, uri) => void this.#cache.invalidate(n, uri),
        connected: (n) => {
          this.#cache.invalidateServer(n);
          this.#toolNames = undefined;
        },
      },
    });
    this.#conns.set(name, conn);
    return conn;
  }
}

function progressKey(server: string, token: string | number): string {
  return `${server}\u0000${token}`;
}

function toServerError(server: string, error: unknown): ServerError {
  const e = typeof error === "object" && error !== null ? error : {};
  return {
    server,
    code: "code" in e && typeof e.code === "string" ? e.code : "MCP_ERROR",
    message: "message" in e && typeof e.message === "string" ? e.message : String(error),
  };
}
