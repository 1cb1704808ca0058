/**
 * HTTP and legacy SSE sessions for the thin transport worker, on the SDK's
 * `StreamableHTTPClientTransport` / `SSEClientTransport`. Loaded only by
 * workers of HTTP servers (dynamic import), never by stdio ones.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/auth"
import {
  type OAuthClientProvider,
  UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
// @ts-types="@modelcontextprotocol/sdk/client/sse"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { TransportSpec } from "./port_protocol.ts";
import type { RelaySession, RelaySink } from "./transport_relay.ts";
import { cappedFetch } from "./reply_cap.ts";

/** Extra options of an HTTP session. */
export interface HttpSessionOptions {
  /** OAuth provider for servers that require authorization. */
  authProvider?: OAuthClientProvider & { pendingAuthorization?: URL };
  /** The browser step: resolves with the code the authorization server redirected with. */
  authorize?: (url: URL) => Promise<{ code: string }>;
  /** Replaces `fetch` (tests). */
  fetch?: typeof fetch;
}

/**
 * Opens a streamable HTTP or SSE session and relays its messages.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // @ts-types="@modelcontextprotocol/sdk/server/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * import { startHttpServer } from "../serve/http_server.ts";
 * import { openHttpSession } from "./http_session.ts";
 * // A streamable HTTP MCP server on a free loopback port.
 * const served = await startHttpServer({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   maxBodyBytes: 1 << 20,
 *   rateLimitPerSecond: 0,
 *   createServer: () => ({ server: new McpServer({ name: "remote", version: "1.0.0" }), dispose() {} }),
 * });
 * const reply = Promise.withResolvers<unknown>();
 * const { session, sessionId } = await openHttpSession(
 *   { kind: "http", name: "remote", url: served.url },
 *   { message: reply.resolve, error: () => {}, closed: () => {} },
 * );
 * await session.send(JSON.stringify({
 *   jsonrpc: "2.0",
 *   id: 1,
 *   method: "initialize",
 *   params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "0" } },
 * }));
 * const answer = await reply.promise as { id: number; result: { serverInfo: { name: string } } };
 * assert.deepEqual([answer.id, answer.result.serverInfo.name], [1, "remote"]);
 * assert.equal(sessionId, undefined); // the server assigns it with its first answer
 * await session.close();
 * await served.shutdown();
 * ```
 */
export async function openHttpSession(
  spec: TransportSpec,
  sink: RelaySink,
  options: HttpSessionOptions = {},
): Promise<{ session: RelaySession; sessionId?: string }> {
  if (spec.kind === "stdio") throw new TypeError("openHttpSession needs an http or sse spec");
  const remote = spec;
  const url = new URL(spec.url);
  const requestInit: RequestInit | undefined = spec.headers ? { headers: spec.headers } : undefined;
  // The SDK opens the listening GET stream right after `notifications/initialized` without
  // waiting; in-process, the client's next request comes later. Relayed, it can overtake the
  // GET, and what the server sends on that stream meanwhile is lost. So: note when a GET
  // stream has answered, and hold later sends until then (bounded).
  let listened!: () => void;
  const listening = new Promise<void>((resolve) => (listened = resolve));
  // Every response passes the size limit of one message (as a stdio line does).
  const baseFetch = cappedFetch(options.fetch ?? fetch, {
    server: spec.name,
    onDropped: (error) => sink.error(error.message, "MCP_LINE_TOO_LONG"),
  });
  const watchedFetch: typeof fetch = (input, init) => {
    const response = baseFetch(input, init);
    if ((init?.method ?? "GET").toUpperCase() === "GET") {
      response.then(() => listened(), () => listened());
    }
    return response;
  };
  const make = (): Transport & { finishAuth(code: string): Promise<void> } =>
    spec.kind === "sse"
      ? new SSEClientTransport(url, {
        requestInit,
        authProvider: options.authProvider,
        fetch: baseFetch,
        eventSourceInit: spec.headers
          ? {
            fetch: (input: string | URL | Request, init?: RequestInit) =>
              baseFetch(input, {
                ...init,
                headers: { ...Object.fromEntries(new Headers(init?.headers)), ...spec.headers },
              }),
          }
          : undefined,
      })
      : new StreamableHTTPClientTransport(url, {
        requestInit,
        authProvider: options.authProvider,
        fetch: watchedFetch,
      });
  let transport = make();
  const provider = options.authProvider;
  /** Runs the authorization step after a 401; true when a retry makes sense. */
  const reauthorize = async (error: unknown): Promise<boolean> => {
    if (
      !(error instanceof UnauthorizedError) || !provider?.pendingAuthorization || !options.authorize
    ) {
      return false;
    }
    const url = provider.pendingAuthorization;
    provider.pendingAuthorization = undefined;
    const { code } = await options.authorize(url);
    await transport.finishAuth(code);
    return true;
  };
  let closed = false;
  /** Sends wait on this while `initialized` and the listening stream are under way. */
  let gate: Promise<void> = Promise.resolve();
  const wire = () => {
    transport.onmessage = (m: JSONRPCMessage) => sink.message(m);
    transport.onerror = (e: Error) => sink.error(e.message, "MCP_HTTP");
    transport.onclose = () => {
      if (closed) return;
      closed = true;
      sink.closed("connection closed", "MCP_HTTP_CLOSED");
    };
  };
  wire();
  try {
    try {
      await transport.start();
    } catch (error) {
      // Legacy SSE authorizes on the GET that opens the stream.
      if (!(await reauthorize(error))) throw error;
      transport = make();
      wire();
      await transport.start();
    }
  } catch (error) {
    closed = true;
    throw Object.assign(
      new Error(
        `cannot connect to ${spec.url}: ${error instanceof Error ? error.message : String(error)}`,
      ),
      { code: "MCP_HTTP_CONNECT" },
    );
  }
  return {
    sessionId: transport.sessionId,
    session: {
      send: async (json) => {
        const message = JSON.parse(json) as JSONRPCMessage;
        if (spec.kind === "http" && "method" in message) {
          if (message.method === "notifications/initialized") {
            const previous = gate;
            const sent = (async () => {
              await previous;
              await deliver(message);
              await Promise.race([listening, delay(listenWaitMs)]);
            })();
            // Later sends wait for it, but do not fail because it did.
            gate = sent.catch(() => {});
            return await sent;
          }
          await gate;
        }
        return await deliver(message);
      },
      setProtocolVersion: (v) => transport.setProtocolVersion?.(v),
      close: () => transport.close(),
    },
  };

  async function deliver(message: JSONRPCMessage): Promise<void> {
    try {
      try {
        await transport.send(message);
      } catch (error) {
        // Streamable HTTP authorizes on the first POST: authorize, then retry once.
        if (!(await reauthorize(error))) throw error;
        await transport.send(message);
      }
    } catch (error) {
      throw refusal(remote, error) ?? error;
    }
  }
}

/** How long sends wait for the listening stream after `initialized` (a server may refuse GET). */
const listenWaitMs = 2_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => Deno.unrefTimer(setTimeout(resolve, ms)));
}

/**
 * A 401 or 403 as one clear, permanent error (no retry can fix it), or
 * `undefined` for other failures.
 *
 * @example
 * ```ts
 * import { refusal } from "./http_session.ts";
 * const e = refusal({ name: "gh", url: "https://x.test/mcp" }, Object.assign(new Error("Error POSTing to endpoint (HTTP 403): no"), { code: 403 }));
 * console.log(e?.code); // "MCP_NOT_ALLOWED"
 * ```
 */
export function refusal(
  spec: { name: string; url: string },
  error: unknown,
): (Error & { code: string }) | undefined {
  const e = typeof error === "object" && error !== null ? error : {};
  const message = "message" in e && typeof e.message === "string" ? e.message : "";
  const status = "code" in e && typeof e.code === "number"
    ? e.code
    : Number(/HTTP (40[13])\b/.exec(message)?.[1] ?? 0);
  const key = `mcp.servers.${spec.name}`;
  if (status === 401 || ("name" in e && e.name === "UnauthorizedError")) {
    return Object.assign(
      new Error(
        `${spec.url} answered 401 Unauthorized: it needs credentials — set ${key}.headers ` +
          `(e.g. Authorization = "Bearer …") or [${key}.oauth]`,
      ),
      { code: "MCP_AUTH_REQUIRED" },
    );
  }
  if (status === 403) {
    return Object.assign(
      new Error(
        `${spec.url} answered 403 Forbidden: the credentials were refused — check ${key}.headers ` +
          `or [${key}.oauth] (scope)`,
      ),
      { code: "MCP_NOT_ALLOWED" },
    );
  }
  return undefined;
}
