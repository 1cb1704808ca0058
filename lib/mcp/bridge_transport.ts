/**
 * `WorkerBridgeTransport`: the SDK `Transport` the manager's `Client` uses. It
 * speaks the port protocol of {@link ./port_protocol.ts} to a thin transport
 * worker that owns the real process or connection.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type {
  Transport,
  TransportSendOptions,
} from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { McpConnectionError } from "./errors.ts";
import { type FromTransport, isFromTransport, type ToTransport } from "./port_protocol.ts";

/** The port surface the bridge needs (a `MessagePort`). */
export interface BridgePort {
  /** Sends a message to the transport worker. */
  postMessage(message: ToTransport): void;
  /** Listens to the transport worker. */
  addEventListener(type: "message", fn: (e: MessageEvent) => void): void;
  /** Stops listening. */
  removeEventListener(type: "message", fn: (e: MessageEvent) => void): void;
  /** Starts delivery (a `MessagePort` queues messages until started). */
  start?(): void;
}

/** Details of how a bridged transport closed. */
export interface BridgeCloseInfo {
  /** Why it closed, in words (e.g. `process exited with code 1; stderr: …`). */
  reason: string;
  /** Stable code (`MCP_PROCESS_EXITED`, `MCP_STOPPED`, `MCP_ABANDONED`, …). */
  code: string;
  /** Whether `close()` on this side asked for it. */
  requested: boolean;
}

/** Options of {@linkcode WorkerBridgeTransport}. */
export interface WorkerBridgeOptions {
  /** Server name (for error messages). */
  server: string;
  /** Session number (unique per port; see the port protocol). */
  session: number;
  /** How long `start()` waits for the worker to open the transport (default 30 000 ms). */
  startTimeoutMs?: number;
}

let nextSession = 1;

/**
 * A fresh session number, unique in this realm.
 *
 * @example
 * ```ts
 * import { newSessionNumber } from "./bridge_transport.ts";
 * newSessionNumber() !== newSessionNumber(); // true
 * ```
 */
export function newSessionNumber(): number {
  return nextSession++;
}

/**
 * Bridges an SDK `Client` to a transport worker over a `MessagePort`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // @ts-types="@modelcontextprotocol/sdk/client/index"
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * // @ts-types="@modelcontextprotocol/sdk/server/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * // @ts-types="@modelcontextprotocol/sdk/inMemory"
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { newSessionNumber, WorkerBridgeTransport } from "./bridge_transport.ts";
 * import { type SessionOpener, serveTransport } from "./transport_relay.ts";
 * // The transport worker's end of the port, served here by an in-memory server
 * // (the worker opens a process or an HTTP connection instead).
 * const inMemoryServer: SessionOpener = async (_spec, sink) => {
 *   const server = new McpServer({ name: "mem", version: "1.0.0" });
 *   server.registerTool("hello", {}, () => ({ content: [{ type: "text", text: "hi" }] }));
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
 * const { port1, port2 } = new MessageChannel();
 * const stopWorkerSide = serveTransport(
 *   port1,
 *   { kind: "stdio", name: "mem", command: "mem", args: [], env: {} },
 *   inMemoryServer,
 * );
 * const transport = new WorkerBridgeTransport(port2, { server: "mem", session: newSessionNumber() });
 * const client = new Client({ name: "mcpchat", version: "0.1.0" });
 * await client.connect(transport);
 * const { tools } = await client.listTools();
 * assert.deepEqual(tools.map((t: { name: string }) => t.name), ["hello"]);
 * await client.close();
 * await stopWorkerSide();
 * port1.close();
 * port2.close();
 * ```
 */
export class WorkerBridgeTransport implements Transport {
  /** Set by the SDK client: the connection closed. */
  onclose?: () => void;
  /** Set by the SDK client: a non-fatal transport problem. */
  onerror?: (error: Error) => void;
  /** Set by the SDK client: a message from the server. */
  onmessage?: <T extends JSONRPCMessage>(message: T) => void;
  /** Session id of a streamable HTTP connection, once started. */
  sessionId?: string;
  /** Process id of a stdio server's child, once started. */
  pid?: number;
  /** The last send that failed with a transport's own code (e.g. 401/403), for connect errors. */
  sendFailure?: { code: string; message: string };
  /** How it closed, once closed. */
  closeInfo?: BridgeCloseInfo;

  readonly #port: BridgePort;
  readonly #server: string;
  readonly #s: number;
  readonly #startTimeoutMs: number;
  #state: "new" | "starting" | "open" | "closed" = "new";
  #closeRequested = false;
  #startWaiter?: { resolve: () => void; reject: (e: Error) => void };
  #closeWaiter?: () => void;
  #draining = false;
  #backlog: (string | Record<string, unknown>)[] = [];
  readonly #listener = (e: MessageEvent) => {
    // From the pool's isolate: anything that is not the port protocol is ignored.
    if (isFromTransport(e.data)) this.#receive(e.data);
  };

  /** Bridges over `port`; one instance per connection attempt. */
  constructor(port: BridgePort, options: WorkerBridgeOptions) {
    this.#port = port;
    this.#server = options.server;
    this.#s = options.session;
    this.#startTimeoutMs = options.startTimeoutMs ?? 30_000;
  }

  /** Asks the worker to open the transport; resolves once it is open. */
  start(): Promise<void> {
    if (this.#state !== "new") {
      throw new Error("WorkerBridgeTransport already started; create a new one per connection");
    }
    this.#state = "starting";
    this.#port.addEventListener("message", this.#listener);
    this.#port.start?.();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#startWaiter = undefined;
        this.#finish("transport worker did not answer start", "MCP_TRANSPORT_TIMEOUT");
        reject(
          new McpConnectionError(
            this.#server,
            `transport worker did not open the transport within ${this.#startTimeoutMs} ms`,
          ),
        );
      }, this.#startTimeoutMs);
      this.#startWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#port.postMessage({ t: "start", s: this.#s });
    });
  }

  /** Sends one message to the server. */
  send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.#state !== "open") {
      return Promise.reject(new McpConnectionError(this.#server, "not connected"));
    }
    this.#port.postMessage({ t: "send", s: this.#s, m: JSON.stringify(message) });
    return Promise.resolve();
  }

  /** Relays the negotiated protocol version (used by HTTP transports). */
  setProtocolVersion(version: string): void {
    if (this.#state === "open") {
      this.#port.postMessage({ t: "protocol-version", s: this.#s, v: version });
    }
  }

  /** Closes the transport in the worker (reaping a child) and waits (bounded) for it. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#closeRequested = true;
    if (this.#state === "new") {
      this.#finish("closed", "MCP_STOPPED");
      return;
    }
    const closed = new Promise<void>((resolve) => (this.#closeWaiter = resolve));
    this.#port.postMessage({ t: "close", s: this.#s });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([closed, new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    this.#finish("closed", "MCP_STOPPED");
  }

  /**
   * Gives up on the transport without waiting for the worker (it crashed,
   * or stopped answering): the client sees the connection close at once.
   */
  abandon(reason: string): void {
    if (this.#state === "closed") return;
    this.#port.postMessage({ t: "close", s: this.#s });
    this.#startWaiter?.reject(new McpConnectionError(this.#server, reason));
    this.#startWaiter = undefined;
    this.#finish(reason, "MCP_ABANDONED");
  }

  #receive(msg: FromTransport): void {
    if (msg.s !== this.#s || this.#state === "closed") return;
    switch (msg.t) {
      case "started":
        this.#state = "open";
        this.pid = msg.pid;
        this.sessionId = msg.sessionId;
        this.#startWaiter?.resolve();
        this.#startWaiter = undefined;
        return;
      case "message":
        if (this.#draining) this.#backlog.push(msg.m);
        else this.#deliver(msg.m);
        return;
      case "batch":
        this.#backlog.push(...msg.m);
        if (!this.#draining) void this.#drain();
        return;
      case "error": {
        const error = new McpConnectionError(this.#server, msg.message);
        this.onerror?.(error);
        if (msg.id !== undefined && msg.code && msg.code !== "MCP_SEND") {
          this.sendFailure = { code: msg.code, message: msg.message };
        }
        if (msg.id !== undefined) {
          // A request could not be delivered: fail it now instead of at its timeout.
          this.onmessage?.({
            jsonrpc: "2.0",
            id: msg.id,
            error: { code: -32000, message: `could not send to the server: ${msg.message}` },
          });
        }
        return;
      }
      case "closed": {
        const reason = msg.reason ?? "closed";
        if (this.#startWaiter) {
          const e = Object.assign(new McpConnectionError(this.#server, reason), {
            transportCode: msg.code ?? "MCP_CLOSED",
          });
          this.#startWaiter.reject(e);
          this.#startWaiter = undefined;
        }
        this.#finish(reason, msg.code ?? "MCP_CLOSED");
        return;
      }
    }
  }

  /**
   * Delivers a batch one message per microtask turn: the SDK runs
   * notification handlers a microtask after delivery but resolves responses
   * at once, so a progress notification followed by the response in the
   * same batch would otherwise be dropped.
   */
  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      while (this.#backlog.length > 0 && this.#state !== "closed") {
        this.#deliver(this.#backlog.shift()!);
        await new Promise<void>((resolve) => queueMicrotask(resolve));
      }
    } finally {
      this.#draining = false;
      this.#backlog = [];
    }
  }

  #deliver(m: string | Record<string, unknown>): void {
    const msg = { m };
    let parsed: JSONRPCMessage;
    try {
      const raw = typeof msg.m === "string" ? JSON.parse(msg.m) : msg.m;
      // Cheap structural check on the hot path (progress bursts); the SDK
      // validates every request, notification and result against its own
      // schema afterwards. Anything unusual gets the full schema check.
      parsed = looksLikeJsonRpc(raw) ? raw : JSONRPCMessageSchema.parse(raw);
    } catch (error) {
      this.onerror?.(
        new McpConnectionError(
          this.#server,
          `ignored a malformed message from the server: ${
            (typeof msg.m === "string" ? msg.m : JSON.stringify(msg.m)).slice(0, 200)
          }`,
          error,
        ),
      );
      return;
    }
    this.onmessage?.(parsed);
  }

  #finish(reason: string, code: string): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.closeInfo = { reason, code, requested: this.#closeRequested };
    this.#port.removeEventListener("message", this.#listener);
    this.#closeWaiter?.();
    this.onclose?.();
  }
}

function looksLikeJsonRpc(v: unknown): v is JSONRPCMessage {
  if (typeof v !== "object" || v === null) return false;
  const m = v as {
    jsonrpc?: unknown;
    method?: unknown;
    id?: unknown;
    result?: unknown;
    error?: unknown;
  };
  if (m.jsonrpc !== "2.0") return false;
  const idOk = typeof m.id === "string" || typeof m.id === "number";
  if (typeof m.method === "string") return m.id === undefined || idOk;
  return idOk && ((typeof m.result === "object" && m.result !== null) !== (m.error !== undefined));
}
