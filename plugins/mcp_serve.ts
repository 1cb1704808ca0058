/**
 * `mcp-serve`: mcpchat as an MCP server, in its own worker. It owns the
 * protocol (the SDK's server classes) and the listening socket or stdio;
 * the work behind each tool (chat loop, sessions, backends) is done by the
 * host, reached with `ctx.call`. Permissions (`mcpServeSpec` in
 * `plugins/manifest.ts`): HTTP → `net` for exactly the address it listens
 * on; stdio → none (stdin/stdout need no permission).
 *
 * Host handlers it calls: `chat`, `newSession`, `listSessions`,
 * `getHistory`, `clearHistory`, `checkBackend`, `backends`, `listServers`.
 * Methods `clientSampling` / `clientElicit {progressId, params}`: the host
 * forwards a sampling or elicitation request to the client of the running
 * `chat` call `progressId`. Host call `listening {url}`: HTTP, at every (re)start, so the host can
 * announce the address. Events from the host: `session-changed {sessionId,
 * change}`, `chat-progress {progressId, progress, message}`. Event to the
 * host: `closed` (stdio: the client went away).
 *
 * @module
 */
import "../lib/plugin/guard.ts";
// define.ts, not mod.ts: this worker must stay small (no host/supervisor code).
import { declared, definePlugin, type PluginContext, serveWorker } from "../lib/plugin/define.ts";
import type {
  ChatClient,
  ChatProgress,
  ServeBackend,
  ServeEvents,
  ServeHostCalls,
  ServeHostEvents,
} from "../lib/serve/backend.ts";
import type { CreateMessageRequestParams, ElicitRequestParams } from "../lib/util/mcp_types.ts";
import type { ParamsOf } from "../lib/rpc/peer.ts";
import { createServeApp, ServeHub } from "../lib/serve/app.ts";

/** Start data of the serve plugin. */
export interface McpServeInit {
  transport: "stdio" | "http";
  hostname: string;
  port: number;
  token?: string;
  allowedOrigins: string[];
  maxBodyBytes: number;
  rateLimitPerSecond: number;
  /**
   * A restart of a server asked for port 0: the port it had, bound again if it is still
   * free (clients keep their URL), else `port` (a new one, announced again).
   */
  preferPort?: number;
  /** Serve the conformance fixture tools/resources/prompts too. */
  fixtures: boolean;
  version: string;
}

/** What `info` answers. */
export interface ServeInfo {
  transport: "stdio" | "http";
  /** `http://host:port/mcp` when serving over HTTP. */
  url?: string;
  /** Connected MCP sessions. */
  sessions: number;
}

/** What the serve worker can do towards the host. */
type ServeContext = PluginContext<ServeEvents, ServeHostEvents, ServeHostCalls>;

/** The backend as RPC calls to the host; chat progress comes back as events. */
function hostBackend(ctx: ServeContext): ServeBackend & {
  progress(data: ServeHostEvents["chat-progress"]): void;
  sessionsChanged(): void;
  /** The client of the running `chat` call `progressId`. */
  clientOf(progressId: string): ChatClient;
} {
  /** The client of each running `chat` call, by its progress id. */
  const clients = new Map<string, ChatClient>();
  const sessionPages = new Map<
    string,
    { at: number; page: ReturnType<ServeBackend["listSessions"]> }
  >();
  const listeners = new Map<string, (step: ChatProgress) => void>();
  let next = 0;
  const call = <K extends Exclude<keyof ServeHostCalls, "chat">>(
    method: K,
    params: ParamsOf<ServeHostCalls, K>,
  ) => ctx.call(method, params, { timeoutMs: 60_000 });
  return {
    progress: (data) => listeners.get(data.progressId)?.(data),
    sessionsChanged: () => sessionPages.clear(),
    clientOf: (progressId) => {
      const client = clients.get(progressId);
      if (!client) throw new Error("the chat call that caused this request has ended");
      return client;
    },
    chat: async (params, options) => {
      const progressId = `p${++next}`;
      if (options.onProgress) listeners.set(progressId, options.onProgress);
      const client = options.client;
      if (client) clients.set(progressId, client);
      try {
        return await ctx.call("chat", {
          ...params,
          progressId,
          ...(client
            ? { client: { sampling: client.sampling, elicitation: client.elicitation } }
            : {}),
        }, {
          signal: options.signal,
          timeoutMs: Infinity, // the agent loop bounds itself (turn limit, LLM timeouts)
        });
      } finally {
        listeners.delete(progressId);
        clients.delete(progressId);
      }
    },
    newSession: (p) => call("newSession", p),
    listSessions: (p) => {
      // Answered from a short-lived cache: this process's own changes clear it at once
      // (session-changed), another process's show within a second.
      const key = JSON.stringify(p);
      const hit = sessionPages.get(key);
      if (hit && Date.now() - hit.at < 1_000) return hit.page;
      const page = call("listSessions", p);
      sessionPages.set(key, { at: Date.now(), page });
      page.catch(() => sessionPages.delete(key));
      return page;
    },
    getHistory: (p) => call("getHistory", p),
    clearHistory: (p) => call("clearHistory", p),
    checkBackend: (p) => call("checkBackend", p),
    backends: () => call("backends", undefined),
    listServers: () => call("listServers", undefined),
  };
}

/** The serve plugin. */
export const mcpServePlugin = definePlugin({
  name: "mcp-serve",
  events: declared<ServeEvents>(),
  hostEvents: declared<ServeHostEvents>(),
  hostCalls: declared<ServeHostCalls>(),
  async start(init: McpServeInit, ctx) {
    const backend = hostBackend(ctx);
    const hub = new ServeHub();
    const fixtures = init.fixtures
      ? (await import("../lib/serve/conformance_fixtures.ts")).addConformanceFixtures
      : undefined;
    const createServer = () =>
      createServeApp({
        backend,
        hub,
        fixtures,
        version: init.version,
        secrets: init.token ? [init.token] : [],
      });
    /**
     * The host forwards a sampling or elicitation request of one of mcpchat's own MCP servers
     * to the client whose `chat` call is using that server.
     */
    type ClientAsk<P> = { progressId: string; params: P };
    const clientHandlers = {
      clientSampling: async (
        p: ClientAsk<CreateMessageRequestParams>,
        call: { signal: AbortSignal },
      ) => await backend.clientOf(p.progressId).createMessage(p.params, call.signal),
      clientElicit: async (
        p: ClientAsk<ElicitRequestParams>,
        call: { signal: AbortSignal },
      ) => await backend.clientOf(p.progressId).elicit(p.params, call.signal),
    };
    ctx.onEvent("chat-progress", (step) => backend.progress(step));
    ctx.onEvent("session-changed", ({ sessionId, change }) => {
      backend.sessionsChanged();
      hub.sessionChanged(sessionId, change);
    });
    const log = (message: string) =>
      void Deno.stderr.write(new TextEncoder().encode(`mcpchat serve: ${message}\n`)).catch(
        () => {},
      );

    if (init.transport === "stdio") {
      const { stdioTransport } = await import("../lib/serve/stdio_transport.ts");
      const { server, dispose } = createServer();
      const transport = stdioTransport();
      transport.onerror = (error) => log(`stdio: ${error.message}`);
      const closed = new Promise<void>((resolve) => {
        server.server.onclose = () => resolve();
      });
      await server.connect(transport);
      void closed.then(() => {
        dispose();
        ctx.emit("closed", {});
      });
      return {
        handlers: {
          info: (): ServeInfo => ({ transport: "stdio", sessions: hub.size }),
          ...clientHandlers,
        },
        stop: () => server.close(),
      };
    }

    const { AddressInUseError, startHttpServer } = await import("../lib/serve/http_server.ts");
    const listen = (port: number) =>
      startHttpServer({
        hostname: init.hostname,
        port,
        token: init.token,
        allowedOrigins: init.allowedOrigins,
        maxBodyBytes: init.maxBodyBytes,
        rateLimitPerSecond: init.rateLimitPerSecond,
        createServer,
        log,
      });
    let handle;
    if (init.preferPort !== undefined) {
      try {
        handle = await listen(init.preferPort);
      } catch (error) {
        if (!(error instanceof AddressInUseError)) throw error;
        log(`port ${init.preferPort} was taken while restarting; listening on a new one`);
      }
    }
    handle ??= await listen(init.port);
    // The host announces the address (again, after a restart): a client must be able to find it.
    void ctx.call("listening", { url: handle.url }, { timeoutMs: 10_000 }).catch(() => {});
    return {
      handlers: {
        info: (): ServeInfo => ({
          transport: "http",
          url: handle.url,
          sessions: handle.sessions(),
        }),
        ...clientHandlers,
      },
      stop: () => handle.shutdown(),
    };
  },
});

serveWorker(mcpServePlugin);
