/**
 * One MCP server as the manager sees it: the SDK `Client` (one per server,
 * reused across reconnects), its {@linkcode ServerLifecycle}, the bridge to
 * its thin transport worker, health pings, and the client-side request
 * handlers (sampling, elicitation, roots) routed to the host.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type CallToolResult,
  type CompleteResult,
  type CreateMessageRequest,
  CreateMessageRequestSchema,
  type CreateMessageResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  type GetPromptResult,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  type Notification,
  type Progress,
  type Prompt,
  PromptListChangedNotificationSchema,
  type ReadResourceResult,
  type Resource,
  ResourceListChangedNotificationSchema,
  type ResourceTemplate,
  ResourceUpdatedNotificationSchema,
  type Root,
  type ServerCapabilities,
  type Tool,
  ToolListChangedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { systemClock } from "../util/clock.ts";
import { PausableDeadline } from "./deadline.ts";

/** The longest delay a timer takes (the SDK's own timeout is then never the one that fires). */
const MAX_TIMER_MS = 2_147_483_647;
import { type BridgePort, newSessionNumber, WorkerBridgeTransport } from "./bridge_transport.ts";
import type { ReconnectOptions, ServerConfig } from "./config.ts";
import {
  McpCapabilityError,
  McpClientError,
  McpConnectionError,
  McpInitializeTimeoutError,
  McpRequestError,
} from "./errors.ts";
import { describeState, ServerLifecycle, type ServerState } from "./lifecycle.ts";
import { serverSchemaValidator } from "./schema_validator.ts";
import { applyElicitationDefaults } from "./elicitation.ts";

/** Where a connection gets the port to its transport worker. */
export interface TransportPortProvider {
  /** The port of the server's transport worker, spawning it if needed. */
  acquire(name: string, config: ServerConfig, signal?: AbortSignal): Promise<BridgePort>;
  /** The port stopped working (a start timed out): spawn a fresh worker next time. */
  invalidate(name: string): void;
  /** Stops the server's transport worker (server removed or disconnected). */
  release(name: string): Promise<void>;
}

/** What the host does for servers' requests to the client. */
export interface McpHostCallbacks {
  /** A server asks for an LLM completion (the host asks the user, then the model). */
  sampling?(
    request: { server: string; params: CreateMessageRequest["params"] },
    signal: AbortSignal,
  ): Promise<CreateMessageResult>;
  /** A server asks the user for input. */
  elicit?(
    request: { server: string; params: ElicitRequest["params"] },
    signal: AbortSignal,
  ): Promise<ElicitResult>;
}

/** Events a connection reports to its manager. */
export interface ConnectionEvents {
  /** The server's lifecycle state changed. */
  state(name: string, state: ServerState): void;
  /** A notification arrived (or a client-side `mcpchat/*` event happened). */
  notification(name: string, method: string, params: Record<string, unknown> | undefined): void;
  /** The server's tool list changed. */
  toolsChanged(name: string): void;
  /** The server's prompt list changed. */
  promptsChanged(name: string): void;
  /** The server's resource list changed. */
  resourcesChanged(name: string): void;
  /** A subscribed resource changed. */
  resourceUpdated(name: string, uri: string): void;
  /** A (re)connection happened: cached data of this server is stale. */
  connected(name: string): void;
}

/** Options of a {@linkcode ServerConnection}. */
export interface ServerConnectionOptions {
  /** Server name (the `mcp.servers` key). */
  name: string;
  /** The server's configuration. */
  config: ServerConfig;
  /** Where the port to the transport worker comes from. */
  ports: TransportPortProvider;
  /** Where state changes and notifications go. */
  events: ConnectionEvents;
  /** Sampling and elicitation handlers; what is given is advertised to the server. */
  host?: McpHostCallbacks;
  /** Roots offered to the server (`roots/list`). */
  roots: () => Root[];
  /** `clientInfo` sent in `initialize` (default mcpchat). */
  clientInfo?: { name: string; version: string };
  /** Time allowed for `initialize` (default 30 000 ms). */
  initializeTimeoutMs?: number;
  /** Default request timeout (default 60 000 ms). */
  requestTimeoutMs?: number;
  /** Health ping interval (default 30 000 ms; 0 disables). */
  pingIntervalMs?: number;
  /** Ping timeout (default 10 000 ms). */
  pingTimeoutMs?: number;
  /** Reconnect policy (default 5 attempts, 500 ms–30 s). */
  reconnect?: ReconnectOptions;
  /** Clock for pings and backoff (tests inject fake timers). */
  clock?: Clock;
  /** Randomness for backoff jitter, in `[0, 1)`. */
  random?: () => number;
}

/** Summary of a server for `/mcp servers`. */
export interface ServerInfo {
  /** Server name. */
  name: string;
  /** Transport kind. */
  transport: "stdio" | "http" | "sse";
  /** Lifecycle state. */
  state: ServerState;
  /** One line, e.g. `reconnecting (2/5): process exited with code 1`. */
  status: string;
  /** `false` when the server is disabled. */
  enabled: boolean;
  /** What the server said it is, once connected. */
  serverInfo?: { name: string; version: string; title?: string };
  /** Negotiated protocol version, once connected. */
  protocolVersion?: string;
  /** The server's instructions for the model, once connected. */
  instructions?: string;
  /** Number of tools, once listed. */
  toolCount?: number;
  /** Process id of a stdio server's child, once started. */
  pid?: number;
}

const PAGE_LIMIT = 1000;

/**
 * A connection to one MCP server.
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
 * import { type ConnectionEvents, ServerConnection } from "./connection.ts";
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
 * const states: string[] = [];
 * const events: ConnectionEvents = {
 *   state: (_name, state) => void states.push(state.status),
 *   notification: () => {},
 *   toolsChanged: () => {},
 *   promptsChanged: () => {},
 *   resourcesChanged: () => {},
 *   resourceUpdated: () => {},
 *   connected: () => {},
 * };
 * const conn = new ServerConnection({
 *   name: "calc",
 *   config: { type: "stdio", command: "calc", args: [], env: {}, enabled: true },
 *   ports,
 *   events,
 *   roots: () => [],
 * });
 * await conn.connect();
 * const tools = await conn.listTools();
 * assert.deepEqual(tools.map((t) => t.name), ["add"]);
 * assert.equal(states.at(-1), "ready");
 * await conn.disconnect();
 * ```
 */
export class ServerConnection {
  /** Server name. */
  readonly name: string;
  /** The server's configuration. */
  config: ServerConfig;
  /** The SDK client (one per server, reused across reconnects). */
  readonly client: Client;
  /** The connection's state machine. */
  readonly lifecycle: ServerLifecycle;
  readonly #opts: ServerConnectionOptions;
  readonly #clock: Clock;
  /** Deadlines of calls in flight (stopped while the user is asked). */
  readonly #deadlines = new Set<PausableDeadline>();
  /** Sampling / elicitation requests of this server waiting for the user. */
  #askingUser = 0;
  #transport?: WorkerBridgeTransport;
  #pingTimer?: TimerHandle;
  #tools?: Tool[];
  #subscriptions = new Set<string>();
  #lossReason?: string;

  /** Creates the connection (not connected yet). */
  constructor(options: ServerConnectionOptions) {
    this.name = options.name;
    this.config = options.config;
    this.#opts = options;
    this.#clock = options.clock ?? systemClock;
    const capabilities: Record<string, unknown> = { roots: { listChanged: true } };
    if (options.host?.sampling) capabilities.sampling = {};
    if (options.host?.elicit) capabilities.elicitation = { form: {}, url: {} };
    this.client = new Client(options.clientInfo ?? { name: "mcpchat", version: "0.1.0" }, {
      capabilities,
      jsonSchemaValidator: serverSchemaValidator(),
    });
    this.#installHandlers();
    // Transport-level problems (malformed lines, oversized messages, failed
    // sends) are not fatal; keep them visible in the notification history.
    this.client.onerror = (error: Error) =>
      options.events.notification(this.name, "mcpchat/transport_error", { message: error.message });
    this.lifecycle = new ServerLifecycle({
      name: options.name,
      connect: (_attempt, signal) => this.#connectOnce(signal),
      onState: (state) => options.events.state(this.name, state),
      reconnect: options.reconnect,
      clock: options.clock,
      random: options.random,
    });
    if (options.config.enabled === false) this.lifecycle.disable();
  }

  /** Current lifecycle state. */
  get state(): ServerState {
    return this.lifecycle.state;
  }

  /** Connects (or reconnects now). Resolves when the attempt settles. */
  connect(): Promise<void> {
    this.lifecycle.enable();
    return this.lifecycle.start();
  }

  /** Disconnects and stops reconnecting; the transport worker is released. */
  async disconnect(): Promise<void> {
    this.lifecycle.stop();
    await this.#closeTransport();
    await this.#opts.ports.release(this.name).catch(() => {});
  }

  /** The host reports the transport worker is gone. */
  transportLost(reason: string): void {
    this.#opts.ports.invalidate(this.name);
    const t = this.#transport;
    if (t) {
      this.#lossReason = reason;
      t.abandon(reason);
    }
  }

  /** Waits until ready (connecting a lazy server on first use). */
  ensureReady(signal?: AbortSignal): Promise<void> {
    // A little past the attempt's own initialize timeout: a server that does not answer is
    // then reported with that reason ("did not answer initialize within …"), not as a bare
    // "(connecting)" from a wait that ran out first.
    return this.lifecycle.ensureReady((this.#opts.initializeTimeoutMs ?? 30_000) + 2_000, signal);
  }

  /** Summary for `/mcp servers`. */
  info(): ServerInfo {
    const v = this.client.getServerVersion();
    return {
      name: this.name,
      transport: this.config.type === "http" || this.config.type === "sse"
        ? this.config.type
        : "stdio",
      state: this.state,
      status: describeState(this.state),
      enabled: this.state.status !== "disabled",
      serverInfo: this.state.status === "ready" && v
        ? { name: v.name, version: v.version, title: v.title }
        : undefined,
      instructions: this.state.status === "ready" ? this.client.getInstructions() : undefined,
      toolCount: this.#tools?.length,
      pid: this.#transport?.pid,
    };
  }

  /** The server's capabilities (connects first). */
  async capabilities(signal?: AbortSignal): Promise<ServerCapabilities> {
    await this.ensureReady(signal);
    return this.client.getServerCapabilities() ?? {};
  }

  /** The last tool list, if loaded (no request). */
  cachedTools(): Tool[] | undefined {
    return this.#tools;
  }

  /** All tools (every page), cached until `list_changed` or reconnect. */
  async listTools(signal?: AbortSignal): Promise<Tool[]> {
    await this.ensureReady(signal);
    if (this.#tools) return this.#tools;
    if (!this.client.getServerCapabilities()?.tools) return (this.#tools = []);
    const tools = await this.#paginate("tools/list", signal, async (cursor, options) => {
      const r = await this.client.listTools(cursor ? { cursor } : undefined, options);
      return { items: r.tools, next: r.nextCursor };
    });
    this.#tools = tools;
    return tools;
  }

  /**
   * Calls a tool, always with a progress token. `signal` cancels it (the SDK
   * sends `notifications/cancelled`).
   */
  async callTool(
    tool: string,
    args: Record<string, unknown> | undefined,
    options: { signal?: AbortSignal; onProgress?: (p: Progress) => void; timeoutMs?: number } = {},
  ): Promise<CallToolResult> {
    await this.ensureReady(options.signal);
    // Our own deadline instead of the SDK's: it stops while the user answers a sampling
    // approval or an elicitation form this server asked for during the call.
    const timeoutMs = options.timeoutMs ?? this.#timeout();
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const deadline = new PausableDeadline(
      timeoutMs,
      () =>
        controller.abort(
          new McpError(ErrorCode.RequestTimeout, "Request timed out", { timeout: timeoutMs }),
        ),
      this.#clock,
    );
    if (this.#askingUser > 0) deadline.pause();
    this.#deadlines.add(deadline);
    try {
      return await this.#request(
        "tools/call",
        async () =>
          (await this.client.callTool({ name: tool, arguments: args }, undefined, {
            signal: controller.signal,
            onprogress: (p) => {
              deadline.touch();
              options.onProgress?.(p);
            },
            timeout: MAX_TIMER_MS,
          })) as CallToolResult, // the old `toolResult` form is only parsed when asked for
        options.signal,
      );
    } finally {
      deadline.clear();
      this.#deadlines.delete(deadline);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Runs a request to the user (sampling, elicitation) with every call deadline stopped. */
  async #askUser<T>(work: () => Promise<T>): Promise<T> {
    if (this.#askingUser++ === 0) { for (const d of this.#deadlines) d.pause(); }
    try {
      return await work();
    } finally {
      if (--this.#askingUser === 0) { for (const d of this.#deadlines) d.resume(); }
    }
  }

  /** All resources (every page). */
  async listResources(signal?: AbortSignal): Promise<Resource[]> {
    await this.#need("resources", signal);
    return await this.#paginate("resources/list", signal, async (cursor, options) => {
      const r = await this.client.listResources(cursor ? { cursor } : undefined, options);
      return { items: r.resources, next: r.nextCursor };
    });
  }

  /**
   * All resource templates (every page). A server that offers resources but
   * not the templates method (-32601, common among small servers) has none.
   */
  async listResourceTemplates(signal?: AbortSignal): Promise<ResourceTemplate[]> {
    await this.#need("resources", signal);
    return await this.#paginate("resources/templates/list", signal, async (cursor, options) => {
      try {
        const r = await this.client.listResourceTemplates(cursor ? { cursor } : undefined, options);
        return { items: r.resourceTemplates, next: r.nextCursor };
      } catch (error) {
        if (error instanceof McpError && error.code === ErrorCode.MethodNotFound) {
          return { items: [] };
        }
        throw error;
      }
    });
  }

  /** Reads a resource (no caching here; see the manager). */
  async readResource(uri: string, signal?: AbortSignal): Promise<ReadResourceResult> {
    await this.#need("resources", signal);
    return await this.#request(
      "resources/read",
      async () =>
        await this.client.readResource({ uri }, {
          signal,
          timeout: this.#timeout(),
        }),
    );
  }

  /** Whether the server supports resource subscriptions. */
  supportsSubscriptions(): boolean {
    return this.client.getServerCapabilities()?.resources?.subscribe === true;
  }

  /** Subscribes to `resources/updated` for a URI (remembered across reconnects). */
  async subscribe(uri: string, signal?: AbortSignal): Promise<void> {
    await this.#need("resources", signal);
    if (!this.supportsSubscriptions()) {
      throw new McpCapabilityError(this.name, "resource subscriptions");
    }
    await this.#request(
      "resources/subscribe",
      () => this.client.subscribeResource({ uri }, { signal, timeout: this.#timeout() }),
    );
    this.#subscriptions.add(uri);
  }

  /** Unsubscribes. */
  async unsubscribe(uri: string, signal?: AbortSignal): Promise<void> {
    this.#subscriptions.delete(uri);
    await this.#need("resources", signal);
    await this.#request(
      "resources/unsubscribe",
      () => this.client.unsubscribeResource({ uri }, { signal, timeout: this.#timeout() }),
    );
  }

  /** URIs currently subscribed. */
  subscriptions(): string[] {
    return [...this.#subscriptions];
  }

  /** All prompts (every page). */
  async listPrompts(signal?: AbortSignal): Promise<Prompt[]> {
    await this.#need("prompts", signal);
    return await this.#paginate("prompts/list", signal, async (cursor, options) => {
      const r = await this.client.listPrompts(cursor ? { cursor } : undefined, options);
      return { items: r.prompts, next: r.nextCursor };
    });
  }

  /** Gets a prompt with arguments. */
  async getPrompt(
    name: string,
    args: Record<string, string> | undefined,
    signal?: AbortSignal,
  ): Promise<GetPromptResult> {
    await this.#need("prompts", signal);
    return await this.#request(
      "prompts/get",
      async () =>
        await this.client.getPrompt({ name, arguments: args }, {
          signal,
          timeout: this.#timeout(),
        }),
    );
  }

  /** Completion for a prompt argument or a resource template argument. */
  async complete(
    params: {
      ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string };
      argument: { name: string; value: string };
      context?: { arguments?: Record<string, string> };
    },
    signal?: AbortSignal,
  ): Promise<CompleteResult> {
    await this.#need("completions", signal);
    return await this.#request(
      "completion/complete",
      async () =>
        await this.client.complete(params, {
          signal,
          timeout: this.#timeout(),
        }),
    );
  }

  /** Sets the server's logging level. */
  async setLogLevel(
    level: "debug" | "info" | "notice" | "warning" | "error" | "critical" | "alert" | "emergency",
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#need("logging", signal);
    await this.#request(
      "logging/setLevel",
      () => this.client.setLoggingLevel(level, { signal, timeout: this.#timeout() }),
    );
  }

  /** Pings the server; returns the round trip in ms. */
  async ping(signal?: AbortSignal): Promise<number> {
    await this.ensureReady(signal);
    const t0 = this.#clock.now();
    await this.#request(
      "ping",
      () => this.client.ping({ signal, timeout: this.#opts.pingTimeoutMs ?? 10_000 }),
    );
    return this.#clock.now() - t0;
  }

  /** Tells a ready server the roots changed. */
  async rootsChanged(): Promise<void> {
    if (this.state.status === "ready") await this.client.sendRootsListChanged().catch(() => {});
  }

  /** Shuts the connection down for good. */
  async close(): Promise<void> {
    await this.disconnect();
  }

  // --- internals ---

  #timeout(): number {
    return this.#opts.requestTimeoutMs ?? 60_000;
  }

  async #need(capability: keyof ServerCapabilities, signal?: AbortSignal): Promise<void> {
    await this.ensureReady(signal);
    if (!this.client.getServerCapabilities()?.[capability]) {
      throw new McpCapabilityError(this.name, String(capability));
    }
  }

  async #paginate<T>(
    method: string,
    signal: AbortSignal | undefined,
    page: (
      cursor: string | undefined,
      options: { signal?: AbortSignal; timeout: number },
    ) => Promise<{ items: T[]; next?: string }>,
  ): Promise<T[]> {
    const all: T[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < PAGE_LIMIT; i++) {
      const r = await this.#request(
        method,
        () => page(cursor, { signal, timeout: this.#timeout() }),
      );
      all.push(...r.items);
      if (!r.next || r.next === cursor) return all;
      cursor = r.next;
    }
    throw new McpRequestError(this.name, method, `more than ${PAGE_LIMIT} pages; stopped`);
  }

  async #request<T>(method: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (signal?.aborted) {
        throw new McpRequestError(
          this.name,
          method,
          "cancelled",
          "MCP_CANCELLED",
          undefined,
          error,
        );
      }
      throw this.#mapError(method, error);
    }
  }

  #mapError(method: string, error: unknown): Error {
    if (error instanceof McpClientError) return error;
    if (error instanceof McpError) {
      return this.#mapMcpError(method, error);
    }
    if (stringProp(error, "name") === "AbortError") {
      return new McpRequestError(this.name, method, "cancelled", "MCP_CANCELLED", undefined, error);
    }
    return new McpRequestError(
      this.name,
      method,
      stringProp(error, "message") ?? String(error),
      "MCP_REQUEST",
      undefined,
      error,
    );
  }

  #mapMcpError(method: string, error: McpError): Error {
    const cancelled = () =>
      new McpRequestError(this.name, method, "cancelled", "MCP_CANCELLED", error.code, error);
    if (error.code === ErrorCode.ConnectionClosed) {
      const why = this.#transport?.closeInfo?.reason ?? this.#lossReason ?? "connection closed";
      if (/cancelled/i.test(error.message)) return cancelled();
      return new McpRequestError(
        this.name,
        method,
        `connection lost during the call (${why}); the server is reconnecting — retry the call`,
        "MCP_CONNECTION_LOST",
        error.code,
        error,
      );
    }
    if (error.code === ErrorCode.RequestTimeout && /AbortError|aborted/.test(error.message)) {
      return cancelled();
    }
    if (error.code === ErrorCode.RequestTimeout) {
      return new McpRequestError(
        this.name,
        method,
        error.message,
        "MCP_TIMEOUT",
        error.code,
        error,
      );
    }
    return new McpRequestError(
      this.name,
      method,
      // A server built on the SDK sends its own "MCP error N: " prefix, which the client's
      // McpError adds again: say it once.
      error.message.replace(/^(MCP error -?\d+: )\1+/, "$1"),
      "MCP_REQUEST",
      error.code,
      error,
    );
  }

  async #connectOnce(signal: AbortSignal): Promise<void> {
    await this.#closeTransport();
    let port: BridgePort;
    try {
      port = await this.#opts.ports.acquire(this.name, this.config);
    } catch (error) {
      // A permanent refusal from the host (e.g. a required sandbox is missing) keeps its code.
      const code = stringProp(error, "code");
      const own = code !== undefined && code.startsWith("MCP_");
      throw Object.assign(
        new McpConnectionError(
          this.name,
          // The host's own errors (command not found, sandbox required) say it all.
          own ? messageOf(error) : `could not start the transport worker: ${messageOf(error)}`,
          error,
        ),
        own ? { transportCode: code } : {},
      );
    }
    const transport = new WorkerBridgeTransport(port, {
      server: this.name,
      session: newSessionNumber(),
      startTimeoutMs: 15_000,
    });
    this.#transport = transport;
    this.#lossReason = undefined;
    transport.onclose = () => this.#onTransportClosed(transport);
    const timeoutMs = this.#opts.initializeTimeoutMs ?? 30_000;
    try {
      await this.client.connect(transport, { timeout: timeoutMs });
    } catch (error) {
      const info = transport.closeInfo;
      await transport.close().catch(() => {});
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        throw new McpInitializeTimeoutError(this.name, timeoutMs);
      }
      const failure = transport.sendFailure;
      const code = stringProp(error, "transportCode") ?? info?.code ?? failure?.code;
      if (code === "MCP_TRANSPORT_TIMEOUT") this.#opts.ports.invalidate(this.name);
      const reason = info?.reason ?? failure?.message ?? messageOf(error);
      throw Object.assign(new McpConnectionError(this.name, reason, error), {
        transportCode: code ?? "MCP_CONNECTION",
      });
    }
    if (signal.aborted) {
      // Disconnected while initializing: do not leave this connection open.
      await this.#closeTransport();
      throw new McpConnectionError(this.name, "disconnected while connecting");
    }
    this.#tools = undefined;
    this.#opts.events.connected(this.name);
    // Restore subscriptions made before a reconnect.
    for (const uri of this.#subscriptions) {
      this.client.subscribeResource({ uri }, { timeout: this.#timeout() }).catch(() => {});
    }
    this.#schedulePing();
  }

  #onTransportClosed(transport: WorkerBridgeTransport): void {
    if (transport !== this.#transport) return;
    this.#stopPing();
    const info = transport.closeInfo;
    if (info?.requested && !this.#lossReason) return;
    this.#tools = undefined;
    const reason = this.#lossReason ?? info?.reason ?? "connection closed";
    this.#opts.events.notification(this.name, "mcpchat/connection_lost", { reason });
    this.lifecycle.lost(reason);
  }

  async #closeTransport(): Promise<void> {
    this.#stopPing();
    const t = this.#transport;
    this.#transport = undefined;
    if (t) await this.client.close().catch(() => t.close());
  }

  #schedulePing(): void {
    const interval = this.#opts.pingIntervalMs ?? 30_000;
    if (interval <= 0) return;
    this.#stopPing();
    this.#pingTimer = this.#clock.setTimeout(async () => {
      this.#pingTimer = undefined;
      const t = this.#transport;
      if (!t || this.state.status !== "ready") return;
      try {
        await this.client.ping({ timeout: this.#opts.pingTimeoutMs ?? 10_000 });
        if (t === this.#transport) this.#schedulePing();
      } catch (error) {
        if (t !== this.#transport) return;
        if (answered(error)) {
          // An error reply ("no ping": -32601) is an answer too: the server is alive, and
          // replacing it every interval would lose its state for nothing.
          this.#schedulePing();
          return;
        }
        this.#lossReason = `health check failed: ${messageOf(error)}`;
        t.abandon(this.#lossReason);
      }
    }, interval);
  }

  #stopPing(): void {
    if (this.#pingTimer !== undefined) this.#clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #installHandlers(): void {
    const c = this.client;
    const ev = this.#opts.events;
    c.setRequestHandler(ListRootsRequestSchema, () => ({ roots: this.#opts.roots() }));
    const host = this.#opts.host;
    if (host?.sampling) {
      const sampling = host.sampling.bind(host);
      c.setRequestHandler(
        CreateMessageRequestSchema,
        async (req, extra) => {
          ev.notification(this.name, "mcpchat/sampling_request", {
            maxTokens: req.params.maxTokens,
            messages: req.params.messages.length,
          });
          return await this.#askUser(() =>
            sampling({ server: this.name, params: req.params }, extra.signal)
          );
        },
      );
    }
    if (host?.elicit) {
      const elicit = host.elicit.bind(host);
      c.setRequestHandler(
        ElicitRequestSchema,
        async (req, extra) => {
          ev.notification(this.name, "mcpchat/elicitation_request", {
            message: req.params.message,
          });
          const result = await this.#askUser(() =>
            elicit({ server: this.name, params: req.params }, extra.signal)
          );
          return applyElicitationDefaults(req.params, result);
        },
      );
    }
    const record = (n: Notification) => ev.notification(this.name, n.method, n.params);
    c.setNotificationHandler(ToolListChangedNotificationSchema, (n) => {
      record(n);
      this.#tools = undefined;
      ev.toolsChanged(this.name);
    });
    c.setNotificationHandler(PromptListChangedNotificationSchema, (n) => {
      record(n);
      ev.promptsChanged(this.name);
    });
    c.setNotificationHandler(ResourceListChangedNotificationSchema, (n) => {
      record(n);
      ev.resourcesChanged(this.name);
    });
    c.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => {
        record(n);
        ev.resourceUpdated(this.name, n.params.uri);
      },
    );
    c.setNotificationHandler(LoggingMessageNotificationSchema, record);
    c.fallbackNotificationHandler = (n) => {
      record(n);
      return Promise.resolve();
    };
  }
}

/** Whether a failed request got a JSON-RPC error reply (not a timeout or a lost connection). */
function answered(error: unknown): boolean {
  if (!(error instanceof McpError)) return false;
  const code: number = (error as McpError).code;
  return code !== ErrorCode.RequestTimeout && code !== ErrorCode.ConnectionClosed;
}

/** The message of anything thrown. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A string property of a thrown value (`code`, `name`…), when it has one. */
function stringProp(error: unknown, key: string): string | undefined {
  if (typeof error !== "object" || error === null || !(key in error)) return undefined;
  const value: unknown = Reflect.get(error, key);
  return typeof value === "string" ? value : undefined;
}
