/**
 * HTTP and legacy SSE sessions for the thin transport worker, on the SDK's
 * `StreamableHTTPClientTransport` / `SSEClientTransport`. Loaded only by
 * workers of HTTP servers (dynamic import), never by stdio ones.
 *
 * @module
 */

import {
  type OAuthClientProvider,
  UnauthorizedError,
} from "@modelcontextprotocol/sdk/client/auth.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { TransportSpec } from "./port_protocol.ts";
import type { RelaySession, RelaySink } from "./transport_relay.ts";

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
 * ```ts ignore
 * import { openHttpSession } from "./http_session.ts";
 * const { session } = await openHttpSession(
 *   { kind: "http", name: "x", url: "http://127.0.0.1:3001/mcp" },
 *   { message: console.log, error: console.error, closed: () => {} },
 * );
 * ```
 */
export async function openHttpSession(
  spec: TransportSpec,
  sink: RelaySink,
  options: HttpSessionOptions = {},
): Promise<{ session: RelaySession; sessionId?: string }> {
  if (spec.kind === "stdio") throw new TypeError("openHttpSession needs an http or sse spec");
  const url = new URL(spec.url);
  const requestInit: RequestInit | undefined = spec.headers ? { headers: spec.headers } : undefined;
  const make = (): Transport & { finishAuth(code: string): Promise<void> } =>
    spec.kind === "sse"
      ? new SSEClientTransport(url, {
        requestInit,
        authProvider: options.authProvider,
        fetch: options.fetch,
        eventSourceInit: spec.headers
          ? {
            fetch: (input: string | URL | Request, init?: RequestInit) =>
              (options.fetch ?? fetch)(input, {
                ...init,
                headers: { ...Object.fromEntries(new Headers(init?.headers)), ...spec.headers },
              }),
          }
          : undefined,
      })
      : new StreamableHTTPClientTransport(url, {
        requestInit,
        authProvider: options.authProvider,
        fetch: options.fetch,
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
  const wire = () => {
    transport.onmessage = (m: JSONRPCMessage) =>
      sink.message(m as unknown as Record<string, unknown>);
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
      new Error(`cannot connect to ${spec.url}: ${(error as Error).message}`),
      { code: "MCP_HTTP_CONNECT" },
    );
  }
  const sendOnce = async (message: JSONRPCMessage) => {
    try {
      await transport.send(message);
    } catch (error) {
      // Streamable HTTP authorizes on the first POST: authorize, then retry once.
      if (!(await reauthorize(error))) throw error;
      await transport.send(message);
    }
  };
  // Sending `notifications/initialized` is what opens the server's standalone GET stream. The
  // SDK client awaits that send before its next message; here messages arrive from the manager
  // without waiting, so hold later ones until it is done, or a request sent at once (a tool
  // call whose server asks for elicitation) overtakes the stream its answer needs.
  let initialized: Promise<unknown> = Promise.resolve();
  return {
    sessionId: transport.sessionId,
    session: {
      send: async (json) => {
        const message = JSON.parse(json) as JSONRPCMessage;
        if ("method" in message && message.method === "notifications/initialized") {
          const sent = sendOnce(message);
          initialized = sent.catch(() => {});
          return await sent;
        }
        await initialized;
        await sendOnce(message);
      },
      setProtocolVersion: (v) => transport.setProtocolVersion?.(v),
      close: () => transport.close(),
    },
  };
}
