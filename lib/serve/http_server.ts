/**
 * `mcpchat serve --http`: streamable HTTP on `/mcp` (the SDK's web-standard
 * transport under `Deno.serve`) plus the legacy SSE endpoints (`GET /sse`,
 * `POST /messages`). Every client gets its own MCP session and server
 * instance; every request passes the guard first (Host/Origin, token, rate
 * limit, body cap, JSON-RPC shape). A client that disconnects while a call
 * runs has that call cancelled.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  checkBearer,
  type JsonRpcLike,
  OriginPolicy,
  RateLimiter,
  readJsonRpcBody,
  type Refusal,
  refusalResponse,
} from "./guard.ts";
import { LegacySseTransport } from "./sse_transport.ts";
import { MemoryEventStore } from "./event_store.ts";
import { publicMessage } from "./public_error.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** Options of {@linkcode startHttpServer}. */
export interface HttpServeOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /** Bearer token clients must present (required off loopback; checked whenever set). */
  token?: string;
  allowedOrigins?: readonly string[];
  /** Largest request body in bytes. */
  maxBodyBytes: number;
  /** Requests per second per client (0: no limit). */
  rateLimitPerSecond: number;
  /** Most concurrent MCP sessions (default 1000). */
  maxSessions?: number;
  /** A session unused this long is closed (default 30 min). */
  idleMs?: number;
  /** A new MCP server for one client. */
  createServer(): { server: McpServer; dispose(): void };
  /** Diagnostics (stderr in the worker). */
  log?(message: string): void;
  clock?: Clock;
}

/** A running HTTP server. */
export interface HttpServeHandle {
  /** `http://host:port/mcp`. */
  url: string;
  port: number;
  /** Live MCP sessions (streamable + legacy). */
  sessions(): number;
  shutdown(): Promise<void>;
}

interface Session {
  kind: "streamable" | "sse";
  server: McpServer;
  dispose(): void;
  lastSeen: number;
  /** Request ids being answered, so a vanished client's calls can be cancelled. */
  inFlight: Set<string | number>;
  streamable?: WebStandardStreamableHTTPServerTransport;
  sse?: LegacySseTransport;
}

/** 256 bits from the system CSPRNG, hex: an unguessable session id. */
function newSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const isRequest = (m: JsonRpcLike) => typeof m.method === "string" && m.id !== undefined;

/**
 * Starts serving. Resolves once the socket listens.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // @ts-types="@modelcontextprotocol/sdk/server/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * // @ts-types="@modelcontextprotocol/sdk/client/index"
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * // @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
 * import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
 * import { startHttpServer } from "./http_server.ts";
 * const handle = await startHttpServer({
 *   hostname: "127.0.0.1",
 *   port: 0, // the system picks a free one
 *   maxBodyBytes: 1 << 20,
 *   rateLimitPerSecond: 50,
 *   createServer: () => {
 *     const server = new McpServer({ name: "hello", version: "0" });
 *     server.registerTool("hello", {}, () => ({ content: [{ type: "text", text: "hi" }] }));
 *     return { server, dispose() {} };
 *   },
 * });
 * assert.equal(handle.url, `http://127.0.0.1:${handle.port}/mcp`);
 * const client = new Client({ name: "example", version: "0" });
 * await client.connect(new StreamableHTTPClientTransport(new URL(handle.url)));
 * const { tools } = await client.listTools();
 * assert.deepEqual(tools.map((t: { name: string }) => t.name), ["hello"]);
 * assert.equal(handle.sessions(), 1);
 * await client.close();
 * await handle.shutdown();
 * ```
 */
export function startHttpServer(options: HttpServeOptions): Promise<HttpServeHandle> {
  const sessions = new Map<string, Session>();
  const limiter = new RateLimiter({ perSecond: options.rateLimitPerSecond });
  const maxSessions = options.maxSessions ?? 1000;
  const idleMs = options.idleMs ?? 30 * 60_000;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? (() => {});
  const secrets = options.token ? [options.token] : [];
  // Known once the socket listens (the port may have been picked by the system).
  const bound: { policy?: OriginPolicy } = {};

  const endSession = (id: string) => {
    const session = sessions.get(id);
    if (!session) return;
    sessions.delete(id);
    limiter.forget(id);
    session.dispose();
    void session.server.close().catch(() => {});
  };

  /** Wraps `send` so answered requests leave the in-flight set. */
  const track = (session: Session, transport: Transport) => {
    const send = transport.send.bind(transport);
    transport.send = (message: JSONRPCMessage, sendOptions?: TransportSendOptions) => {
      if ("id" in message && !("method" in message) && message.id !== undefined) {
        session.inFlight.delete(message.id);
      }
      return send(message, sendOptions);
    };
  };

  /**
   * Cancels the calls of `ids` still running when the client that sent them
   * went away: Deno cancels a response body whose connection closed, so the
   * body is relayed through a stream whose `cancel` says so (request.signal
   * would also fire after a normal end).
   */
  const cancelOnDisconnect = (
    response: Response,
    session: Session,
    ids: (string | number)[],
  ): Response => {
    if (ids.length === 0 || !response.body) return response;
    for (const id of ids) session.inFlight.add(id);
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel: async (reason) => {
        for (const id of ids) {
          if (!session.inFlight.delete(id)) continue;
          const cancel: JSONRPCMessage = {
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId: id, reason: "client disconnected" },
          };
          const transport = session.streamable ?? session.sse;
          transport?.onmessage?.(cancel);
        }
        await reader.cancel(reason).catch(() => {});
      },
    });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };

  const newStreamable = async (): Promise<Session> => {
    const { server, dispose } = options.createServer();
    const session: Session = {
      kind: "streamable",
      server,
      dispose,
      lastSeen: clock.now(),
      inFlight: new Set(),
    };
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: newSessionId,
      enableJsonResponse: false,
      maxRequestBodySize: options.maxBodyBytes,
      // A dropped SSE stream resumes with Last-Event-ID; clients wait this long to reconnect.
      eventStore: new MemoryEventStore(),
      retryInterval: 1_000,
      onsessioninitialized: (id: string) => void sessions.set(id, session),
      onsessionclosed: (id: string) => endSession(id),
    });
    session.streamable = transport;
    transport.onclose = () => transport.sessionId && endSession(transport.sessionId);
    await server.connect(transport);
    track(session, transport);
    return session;
  };

  const handleMcp = async (request: Request): Promise<Response> => {
    const id = request.headers.get("mcp-session-id");
    if (request.method === "POST") {
      const parsed = await readJsonRpcBody(request, options.maxBodyBytes);
      if (!parsed.ok) return refusalResponse(parsed.refusal);
      const ids = parsed.messages.filter(isRequest).map((m) => m.id as string | number);
      if (!id) {
        if (!parsed.messages.some((m) => m.method === "initialize")) {
          return refusalResponse({
            status: 400,
            code: -32000,
            message: "bad request: no Mcp-Session-Id header; send initialize first",
          });
        }
        if (sessions.size >= maxSessions) {
          return refusalResponse({
            status: 503,
            code: -32000,
            message: "too many sessions: try again later",
            headers: { "retry-after": "5" },
          });
        }
        const session = await newStreamable();
        const response = await session.streamable!.handleRequest(request, {
          parsedBody: parsed.raw,
        });
        if (!session.streamable!.sessionId) {
          // initialize was refused: nothing to keep
          session.dispose();
          void session.server.close().catch(() => {});
        }
        return response;
      }
      const session = sessions.get(id);
      if (!session || session.kind !== "streamable") return unknownSession();
      session.lastSeen = clock.now();
      const response = await session.streamable!.handleRequest(request, {
        parsedBody: parsed.raw,
      });
      return cancelOnDisconnect(response, session, ids);
    }
    if (request.method === "GET" || request.method === "DELETE") {
      const session = id ? sessions.get(id) : undefined;
      if (!session || session.kind !== "streamable") {
        return id ? unknownSession() : refusalResponse({
          status: 400,
          code: -32000,
          message: "bad request: no Mcp-Session-Id header",
        });
      }
      session.lastSeen = clock.now();
      return await session.streamable!.handleRequest(request);
    }
    return refusalResponse({
      status: 405,
      code: -32000,
      message: "method not allowed: use POST, GET or DELETE on /mcp",
      headers: { allow: "GET, POST, DELETE" },
    });
  };

  const handleSseOpen = async (): Promise<Response> => {
    if (sessions.size >= maxSessions) {
      return refusalResponse({ status: 503, code: -32000, message: "too many sessions" });
    }
    const id = newSessionId();
    const { server, dispose } = options.createServer();
    const transport = new LegacySseTransport(id, "/messages");
    const session: Session = {
      kind: "sse",
      server,
      dispose,
      lastSeen: clock.now(),
      inFlight: new Set(),
      sse: transport,
    };
    sessions.set(id, session);
    transport.onclose = () => endSession(id);
    await server.connect(transport);
    track(session, transport);
    return transport.response();
  };

  const handleSseMessage = async (request: Request, url: URL): Promise<Response> => {
    const id = url.searchParams.get("sessionId") ?? "";
    const session = sessions.get(id);
    if (!session || session.kind !== "sse" || session.sse!.closed) return unknownSession();
    const parsed = await readJsonRpcBody(request, options.maxBodyBytes);
    if (!parsed.ok) return refusalResponse(parsed.refusal);
    // Checked against the SDK's schema, as its transport on /mcp does: a message that fails it
    // would otherwise be dropped by the server unanswered, leaving the client waiting.
    const messages: JSONRPCMessage[] = [];
    for (const message of parsed.messages) {
      const checked = JSONRPCMessageSchema.safeParse(message);
      if (!checked.success) {
        return refusalResponse({
          status: 400,
          code: -32600,
          message: "not a valid JSON-RPC 2.0 message (a request, notification or response)",
        });
      }
      messages.push(checked.data);
    }
    session.lastSeen = clock.now();
    session.sse!.receive(messages);
    return new Response("Accepted", { status: 202 });
  };

  const route = async (request: Request, remote: string): Promise<Response> => {
    const origin = request.headers.get("origin");
    const originRefusal = bound.policy!.check(request.headers.get("host"), origin);
    if (originRefusal) return refusalResponse(originRefusal);
    // Past the policy, an Origin is an allowed browser page: answer its preflight, and let
    // it read our answers (CORS). Without Origin (non-browser clients) nothing changes.
    if (request.method === "OPTIONS" && origin) {
      return cors(new Response(null, { status: 204 }), origin);
    }
    const response = await routeAllowed(request, remote);
    return origin ? cors(response, origin) : response;
  };

  const routeAllowed = async (request: Request, remote: string): Promise<Response> => {
    const url = new URL(request.url);
    const refusal: Refusal | undefined = checkBearer(
      request.headers.get("authorization"),
      options.token,
    );
    if (refusal) return refusalResponse(refusal);
    const sessionKey = request.headers.get("mcp-session-id") ?? url.searchParams.get("sessionId");
    const limited = limiter.take(sessionKey && sessions.has(sessionKey) ? sessionKey : remote);
    if (limited) return refusalResponse(limited);
    switch (url.pathname) {
      case "/mcp":
        return await handleMcp(request);
      case "/sse":
        if (request.method !== "GET") break;
        return await handleSseOpen();
      case "/messages":
        if (request.method !== "POST") break;
        return await handleSseMessage(request, url);
    }
    return refusalResponse({
      status: 404,
      code: -32000,
      message: "not found: MCP is served on /mcp (streamable HTTP) and /sse (legacy SSE)",
    });
  };

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = serve();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new AddressInUseError(
        `${options.hostname}:${options.port} is already in use: pick another port with --port ` +
          "(0 lets the system choose) or stop what is listening there",
      );
    }
    throw error;
  }
  function serve() {
    return Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
      onError: (error) => {
        log(`request failed: ${publicMessage(error, secrets)}`);
        return refusalResponse({ status: 500, code: -32603, message: "internal error" });
      },
    }, async (request, info) => {
      try {
        return await route(request, (info.remoteAddr as Deno.NetAddr).hostname ?? "unknown");
      } catch (error) {
        log(`request failed: ${publicMessage(error, secrets)}`);
        return refusalResponse({ status: 500, code: -32603, message: "internal error" });
      }
    });
  }
  const addr = server.addr;
  bound.policy = new OriginPolicy({
    hostname: options.hostname,
    port: addr.port,
    allowedOrigins: options.allowedOrigins,
  });

  // Idle sessions are closed (a client that vanished without DELETE leaves no state behind).
  let reaper: TimerHandle | undefined;
  let stopped = false;
  const reap = () => {
    const cutoff = clock.now() - idleMs;
    for (const [id, session] of sessions) {
      if (session.lastSeen < cutoff && session.inFlight.size === 0) {
        void (session.streamable ?? session.sse)?.close();
        endSession(id);
      }
    }
    schedule();
  };
  const schedule = () => {
    if (stopped) return;
    reaper = clock.setTimeout(reap, Math.min(idleMs, 60_000));
    // A real timer must not keep the worker alive by itself.
    if (clock === systemClock) Deno.unrefTimer(reaper);
  };
  schedule();

  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return Promise.resolve({
    url: `http://${host}:${addr.port}/mcp`,
    port: addr.port,
    sessions: () => sessions.size,
    shutdown: async () => {
      stopped = true;
      if (reaper !== undefined) clock.clearTimeout(reaper);
      for (const [id, session] of [...sessions]) {
        await (session.streamable ?? session.sse)?.close().catch(() => {});
        endSession(id);
      }
      await server.shutdown();
    },
  });
}

/** The address asked for is taken (the message says what to do). */
export class AddressInUseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AddressInUseError";
  }
}

/** CORS headers for an allowed browser origin. */
function cors(response: Response, origin: string): Response {
  const headers = new Headers(response.headers);
  headers.set("access-control-allow-origin", origin);
  headers.set("vary", "Origin");
  headers.set("access-control-expose-headers", "Mcp-Session-Id, Mcp-Protocol-Version");
  headers.set("access-control-allow-methods", "GET, POST, DELETE, OPTIONS");
  headers.set(
    "access-control-allow-headers",
    "Content-Type, Authorization, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID",
  );
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

function unknownSession(): Response {
  // 404 tells a streamable HTTP client to start a new session (spec: session management).
  return refusalResponse({
    status: 404,
    code: -32001,
    message: "session not found: it ended or never existed; initialize a new one",
  });
}
