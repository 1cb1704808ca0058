/**
 * The thin transport worker's job: given a {@linkcode TransportSpec} and the
 * `MessagePort` to the manager, open the transport when asked, relay raw
 * messages both ways, and own the child process / connection (close it on
 * request, on shutdown, and when the manager starts a new session).
 *
 * The stdio path uses {@linkcode StdioProcess} and never loads the SDK; the
 * HTTP/SSE path loads the SDK's client transports lazily.
 *
 * @module
 */

import { type FromTransport, isToTransport, type TransportSpec } from "./port_protocol.ts";
import { StdioProcess } from "./stdio_process.ts";
import {
  commandNotFoundIn,
  explainDenial,
  mayBeDenial,
  type SandboxSummary,
} from "./sandbox/explain.ts";

/** Minimal port surface (a `MessagePort`, or a test double). */
export interface PortLike {
  /** Sends to the other end. */
  postMessage(message: unknown): void;
  /** Receives from the other end. */
  onmessage: ((event: MessageEvent) => void) | null;
  /** Closes the port. */
  close?(): void;
}

/** One open transport session (a child process or an HTTP session). */
export interface RelaySession {
  /** Sends one serialized JSON-RPC message. */
  send(json: string): Promise<void>;
  /** Tells the transport the negotiated protocol version (HTTP header). */
  setProtocolVersion?(version: string): void;
  /** Closes the transport and releases the process or connection. */
  close(): Promise<void>;
}

/** Callbacks an opened session reports through. */
export interface RelaySink {
  /** A message from the server (a raw line, or a parsed object). */
  message(m: string | Record<string, unknown>): void;
  /** A non-fatal problem. */
  error(message: string, code?: string): void;
  /** The transport ended. */
  closed(reason?: string, code?: string, stderr?: string): void;
}

/** Opens a session for a spec (injected so HTTP support loads only when needed). */
export type SessionOpener = (
  spec: TransportSpec,
  sink: RelaySink,
) => Promise<{ session: RelaySession; pid?: number; sessionId?: string }>;

/**
 * Opens a stdio session: spawns the process and relays its stdout lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openStdioSession } from "./transport_relay.ts";
 * // `cat` stands in for a server: it answers each message with itself.
 * const { promise: reply, resolve } = Promise.withResolvers<unknown>();
 * const closed: (string | undefined)[] = [];
 * const { session, pid } = await openStdioSession(
 *   { kind: "stdio", name: "echo", command: "cat", args: [], env: {} },
 *   { message: resolve, error: () => {}, closed: (_reason, code) => closed.push(code) },
 * );
 * assert.ok(pid! > 0);
 * await session.send('{"jsonrpc":"2.0","id":1,"method":"ping"}');
 * assert.equal(await reply, '{"jsonrpc":"2.0","id":1,"method":"ping"}');
 * await session.close();
 * assert.deepEqual(closed, ["MCP_STOPPED"]);
 * ```
 */
export function openStdioSession(
  spec: TransportSpec,
  sink: RelaySink,
  hooks: { onSpawn?(pid: number): void; onExit?(pid: number): void } = {},
): Promise<{ session: RelaySession; pid?: number }> {
  if (spec.kind !== "stdio") throw new TypeError("openStdioSession needs a stdio spec");
  const proc = StdioProcess.spawn({
    name: spec.name,
    command: spec.command,
    args: spec.args,
    env: spec.env,
    cwd: spec.cwd,
    killGraceMs: spec.killGraceMs,
    stdinGraceMs: spec.stdinGraceMs,
    stderrChars: spec.stderrChars,
  }, {
    onLine: (line) =>
      sink.message(spec.sandbox && mayBeDenial(line) ? annotateDenial(line, spec.sandbox) : line),
    onError: (e) => sink.error(e.message, "MCP_LINE_TOO_LONG"),
    onExit: (exit) => {
      hooks.onExit?.(proc.pid);
      if (exit.requested) return sink.closed("stopped", "MCP_STOPPED", exit.stderr);
      const missing = spec.sandbox ? commandNotFoundIn(exit.stderr) : undefined;
      if (missing) {
        return sink.closed(
          `command not found: ${missing} (looked up on the server's PATH; ` +
            `check mcp.servers.${spec.name}.command, or set PATH in its env)`,
          "MCP_COMMAND_NOT_FOUND",
          exit.stderr,
        );
      }
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      const hint = spec.sandbox ? explainDenial(exit.stderr, spec.sandbox) : undefined;
      sink.closed(
        `process ${how}` + (exit.stderr ? `; stderr: ${exit.stderr}` : "") +
          (hint ? `\n${hint}` : ""),
        "MCP_PROCESS_EXITED",
        exit.stderr,
      );
    },
  });
  hooks.onSpawn?.(proc.pid);
  return Promise.resolve({
    pid: proc.pid,
    session: {
      send: (json) =>
        proc.write(json + "\n").catch(async (error) => {
          if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
          // The server exited before reading it: its exit (code, stderr) is the reason, and
          // reaches the manager as the session's close; "Broken pipe" would hide it.
          await proc.exited;
        }),
      close: async () => {
        await proc.stop();
      },
    },
  });
}

/**
 * Adds the sandbox's explanation to a server's error reply: one more text
 * item on a tool result with `isError`, or a second line on a JSON-RPC
 * error. Anything else (or a line that is not JSON) passes unchanged.
 *
 * @example
 * ```ts
 * import { annotateDenial } from "./transport_relay.ts";
 * const line = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { isError: true,
 *   content: [{ type: "text", text: "EROFS: read-only file system, open '/etc/x'" }] } });
 * const out = JSON.parse(annotateDenial(line, { server: "s", denyRead: [], write: [], networkOpen: true }));
 * console.log(out.result.content[1].text); // sandbox: writing /etc/x was denied; …
 * ```
 */
export function annotateDenial(line: string, sandbox: SandboxSummary): string {
  let msg: {
    result?: { isError?: boolean; content?: { type: string; text?: string }[] };
    error?: { message?: string };
  };
  try {
    msg = JSON.parse(line);
  } catch {
    return line;
  }
  if (msg.result?.isError === true && Array.isArray(msg.result.content)) {
    const text = msg.result.content.map((c) => c.text ?? "").join("\n");
    const hint = explainDenial(text, sandbox);
    if (!hint) return line;
    msg.result.content.push({ type: "text", text: hint });
    return JSON.stringify(msg);
  }
  if (typeof msg.error?.message === "string") {
    const hint = explainDenial(msg.error.message, sandbox);
    if (!hint) return line;
    msg.error.message += `\n${hint}`;
    return JSON.stringify(msg);
  }
  return line;
}

/**
 * Serves the manager's side of the port: one session at a time, numbered by
 * the manager. Returns a function that closes the current session (for
 * worker shutdown).
 *
 * With `prestart`, the session is opened at once (a stdio server's process
 * starts) before the manager asks: what it reports waits, and the manager's
 * first `start` adopts it instead of opening another. Nothing reaches the
 * server before the manager sends its first message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type PortLike, serveTransport, type SessionOpener } from "./transport_relay.ts";
 * import type { FromTransport, ToTransport, TransportSpec } from "./port_protocol.ts";
 * // The manager's end of the port, in memory.
 * const posted: FromTransport[] = [];
 * let arrived = () => {};
 * const port: PortLike = {
 *   onmessage: null,
 *   postMessage: (m) => {
 *     posted.push(m as FromTransport);
 *     arrived();
 *   },
 * };
 * const posts = (t: FromTransport["t"]) =>
 *   new Promise<FromTransport[]>((resolve) => {
 *     const check = () => {
 *       const found = posted.filter((m) => m.t === t);
 *       if (found.length) resolve(found);
 *       else arrived = check;
 *     };
 *     check();
 *   });
 * const deliver = (data: ToTransport) => port.onmessage!({ data } as MessageEvent);
 * // An echo server in memory (the worker passes `openStdioSession` or the HTTP opener).
 * const echo: SessionOpener = (_spec, sink) =>
 *   Promise.resolve({
 *     session: {
 *       send: (json) => Promise.resolve(sink.message(json)),
 *       close: () => Promise.resolve(sink.closed("stopped", "MCP_STOPPED")),
 *     },
 *   });
 * const spec: TransportSpec = { kind: "stdio", name: "echo", command: "echo", args: [], env: {} };
 * const shutdown = serveTransport(port, spec, echo);
 * deliver({ t: "start", s: 1 });
 * await posts("started");
 * deliver({ t: "send", s: 1, m: '{"jsonrpc":"2.0","id":1,"result":{}}' });
 * assert.deepEqual(await posts("message"), [
 *   { t: "message", s: 1, m: '{"jsonrpc":"2.0","id":1,"result":{}}' },
 * ]);
 * await shutdown();
 * assert.equal(posted.at(-1)?.t, "closed");
 * ```
 */
export function serveTransport(
  port: PortLike,
  spec: TransportSpec,
  open: SessionOpener,
  options: { burstMs?: number; prestart?: boolean } = {},
): () => Promise<void> {
  let current: { s: number; session?: RelaySession; opening?: Promise<unknown> } | undefined;
  const post = (m: FromTransport) => port.postMessage(m);
  let early = options.prestart ? openEarly(spec, open) : undefined;

  const closeCurrent = async () => {
    // Both taken at once, before any await: a start right after opens the next session.
    const waiting = early;
    early = undefined;
    const c = current;
    current = undefined;
    await waiting?.close();
    if (!c) return;
    await c.opening?.catch(() => {});
    await c.session?.close().catch(() => {});
  };

  port.onmessage = (event: MessageEvent) => {
    // From the manager's isolate: anything that is not the port protocol is ignored.
    if (!isToTransport(event.data)) return;
    const msg = event.data;
    switch (msg.t) {
      case "start": {
        const s = msg.s;
        // The first start adopts a session opened before the manager asked.
        const adopted = early;
        early = undefined;
        const previous = closeCurrent();
        const entry: { s: number; session?: RelaySession; opening?: Promise<unknown> } = { s };
        current = entry;
        entry.opening = (async () => {
          await previous;
          const batcher = new MessageBatcher((m) => post(m), s, options.burstMs ?? 4);
          const sink: RelaySink = {
            message: (m) => current === entry && batcher.push(m),
            error: (message, code) => {
              if (current !== entry) return;
              batcher.flush();
              post({ t: "error", s, message, code });
            },
            closed: (reason, code, stderr) => {
              if (current === entry) current = undefined;
              batcher.flush();
              post({ t: "closed", s, reason, code, stderr });
            },
          };
          try {
            const opened = adopted ? await adopted.attach(sink) : await open(spec, sink);
            entry.session = opened.session;
            if (current !== entry) {
              await opened.session.close().catch(() => {});
              return;
            }
            post({ t: "started", s, pid: opened.pid, sessionId: opened.sessionId });
          } catch (error) {
            if (current === entry) current = undefined;
            const e = typeof error === "object" && error !== null ? error : {};
            post({
              t: "closed",
              s,
              reason: "message" in e && typeof e.message === "string" ? e.message : String(error),
              code: "code" in e && typeof e.code === "string" ? e.code : "MCP_START",
            });
          }
        })();
        break;
      }
      case "send": {
        const c = current;
        if (!c || c.s !== msg.s || !c.session) {
          post({ t: "error", s: msg.s, message: "transport is not open", code: "MCP_NOT_OPEN" });
          return;
        }
        c.session.send(msg.m).catch((e: Error & { code?: unknown }) =>
          post({
            t: "error",
            s: msg.s,
            message: e.message,
            // A transport's own code (e.g. MCP_AUTH_REQUIRED: permanent) travels as is.
            code: typeof e.code === "string" ? e.code : "MCP_SEND",
            id: requestIdOf(msg.m),
          })
        );
        break;
      }
      case "protocol-version":
        if (current?.s === msg.s) current.session?.setProtocolVersion?.(msg.v);
        break;
      case "close": {
        if (current?.s !== msg.s) {
          post({ t: "closed", s: msg.s, reason: "stopped", code: "MCP_STOPPED" });
          return;
        }
        const c = current;
        closeCurrent().then(() => {
          // A stdio session reports its own exit; make sure the manager hears one.
          if (!c.session) post({ t: "closed", s: msg.s, reason: "stopped", code: "MCP_STOPPED" });
        });
        break;
      }
    }
  };
  return closeCurrent;
}

/**
 * A session opened before anyone listens: what it reports is kept, in
 * order, and replayed into the sink that {@linkcode EarlySession.attach} gives.
 */
interface EarlySession {
  attach(sink: RelaySink): ReturnType<SessionOpener>;
  close(): Promise<void>;
}

function openEarly(spec: TransportSpec, open: SessionOpener): EarlySession {
  const kept: ((sink: RelaySink) => void)[] = [];
  let target: RelaySink | undefined;
  const report = (call: (sink: RelaySink) => void) => target ? call(target) : kept.push(call);
  const opened = open(spec, {
    message: (m) => report((sink) => sink.message(m)),
    error: (message, code) => report((sink) => sink.error(message, code)),
    closed: (reason, code, stderr) => report((sink) => sink.closed(reason, code, stderr)),
  });
  opened.catch(() => {}); // the adopter hears of a failed open
  return {
    attach: async (sink) => {
      const result = await opened;
      target = sink;
      for (const call of kept.splice(0)) call(sink);
      return result;
    },
    close: async () => {
      const result = await opened.catch(() => undefined);
      await result?.session.close().catch(() => {});
    },
  };
}

function requestIdOf(json: string): string | number | undefined {
  try {
    const parsed = JSON.parse(json) as { id?: unknown; method?: unknown };
    const id = parsed.id;
    return parsed.method !== undefined && (typeof id === "string" || typeof id === "number")
      ? id
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Relays messages one by one while traffic is sparse, and batches
 * notifications during bursts: once a run of notifications arrives each
 * within `burstMs` of the previous post, the next ones wait (at most
 * `burstMs`) to travel together.
 * Responses and requests are never delayed (they flush the queue first, so
 * order is kept). 1,000 progress notifications a second then cost a few
 * hundred posts instead of a thousand wake-ups of the manager.
 *
 * @example
 * ```ts
 * import { MessageBatcher } from "./transport_relay.ts";
 * const sent: unknown[] = [];
 * const b = new MessageBatcher((m) => sent.push(m), 1, 4, 1);
 * const note = (n: number) => JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { progress: n } });
 * b.push(note(1)); // sent at once
 * b.push(note(2)); b.push(note(3)); // batched
 * b.flush();
 * console.log(sent.length); // 2
 * ```
 */
export class MessageBatcher {
  readonly #post: (m: FromTransport) => void;
  readonly #s: number;
  readonly #burstMs: number;
  readonly #threshold: number;
  #queue: (string | Record<string, unknown>)[] = [];
  #timer?: ReturnType<typeof setTimeout>;
  #lastPost = -Infinity;
  /** Notifications in a row that each came within `burstMs` of the previous post. */
  #streak = 0;

  /**
   * Posts through `post` for session `session`, batching within `burstMs`
   * once `threshold` notifications in a row arrived that close together.
   * The threshold keeps ordinary servers off timers entirely: the first
   * timer a Deno worker uses costs about 1.5 MB of RSS.
   */
  constructor(
    post: (m: FromTransport) => void,
    session: number,
    burstMs: number,
    threshold = 16,
  ) {
    this.#post = post;
    this.#s = session;
    this.#burstMs = burstMs;
    this.#threshold = threshold;
  }

  /** Relays or queues one message. */
  push(m: string | Record<string, unknown>): void {
    if (!isNotification(m)) {
      // Responses and server requests never wait: flush what is queued (order), then send.
      this.flush();
      this.#streak = 0;
      this.#send({ t: "message", s: this.#s, m });
      return;
    }
    if (this.#timer === undefined) {
      const close = Date.now() - this.#lastPost < this.#burstMs;
      this.#streak = close ? this.#streak + 1 : 0;
      if (this.#streak < this.#threshold) {
        this.#send({ t: "message", s: this.#s, m });
        return;
      }
    }
    this.#queue.push(m);
    this.#timer ??= setTimeout(() => this.flush(), this.#burstMs);
  }

  /** Sends what is queued now (before an error or close, to keep order). */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const m = this.#queue;
    this.#queue = [];
    this.#send(
      m.length === 1 ? { t: "message", s: this.#s, m: m[0] } : { t: "batch", s: this.#s, m },
    );
  }

  #send(m: FromTransport): void {
    this.#lastPost = Date.now();
    this.#post(m);
  }
}

const NOTIFICATION_RE = /"method"\s*:\s*"notifications\//;

/** Whether a relayed message is a notification (cheap check on raw lines). */
function isNotification(m: string | Record<string, unknown>): boolean {
  if (typeof m === "string") return NOTIFICATION_RE.test(m) && !/"id"\s*:/.test(m.slice(0, 64));
  return typeof m.method === "string" && m.method.startsWith("notifications/") &&
    m.id === undefined;
}
