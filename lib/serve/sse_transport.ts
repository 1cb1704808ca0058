/**
 * The legacy HTTP+SSE server transport (MCP 2024-11-05) on web-standard
 * `Request`/`Response`, for clients that predate streamable HTTP: `GET /sse`
 * opens an event stream whose first event names the endpoint to POST
 * messages to (`/messages?sessionId=…`); answers come back on the stream.
 * (The SDK's `SSEServerTransport` is written for Node's `http` objects.)
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/**
 * One legacy SSE session. {@linkcode LegacySseTransport.response} is the
 * `GET /sse` answer; POSTed messages go to {@linkcode LegacySseTransport.receive}.
 *
 * @example
 * ```ts
 * import { LegacySseTransport } from "./sse_transport.ts";
 * const t = new LegacySseTransport("abc", "/messages");
 * await t.start();
 * const reader = t.response().body!.getReader();
 * console.log(new TextDecoder().decode((await reader.read()).value));
 * // "event: endpoint\ndata: /messages?sessionId=abc\n\n"
 * await t.close();
 * ```
 */
export class LegacySseTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly sessionId: string;
  readonly #endpoint: string;
  #controller?: ReadableStreamDefaultController<Uint8Array>;
  #stream: ReadableStream<Uint8Array>;
  #closed = false;
  #keepAlive?: number;

  constructor(sessionId: string, endpoint: string, keepAliveMs = 15_000) {
    this.sessionId = sessionId;
    this.#endpoint = endpoint;
    this.#stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      // The client went away: the session ends and its running calls are aborted.
      cancel: () => void this.close(),
    });
    if (keepAliveMs > 0) {
      this.#keepAlive = setInterval(
        () => this.#write(": keep-alive\n\n"),
        keepAliveMs,
      ) as unknown as number;
      Deno.unrefTimer(this.#keepAlive);
    }
  }

  start(): Promise<void> {
    this.#write(`event: endpoint\ndata: ${this.#endpoint}?sessionId=${this.sessionId}\n\n`);
    return Promise.resolve();
  }

  /** The event-stream response of `GET /sse`. */
  response(): Response {
    return new Response(this.#stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "connection": "keep-alive",
      },
    });
  }

  /** Hands messages POSTed to the endpoint to the server. */
  receive(messages: JSONRPCMessage[]): void {
    for (const message of messages) {
      try {
        this.onmessage?.(message);
      } catch (error) {
        this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("SSE stream closed"));
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return Promise.resolve();
  }

  #write(text: string): void {
    if (this.#closed) return;
    try {
      this.#controller?.enqueue(new TextEncoder().encode(text));
    } catch {
      void this.close();
    }
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    clearInterval(this.#keepAlive);
    try {
      this.#controller?.close();
    } catch {
      // already closed by the client
    }
    this.onclose?.();
    return Promise.resolve();
  }
}
