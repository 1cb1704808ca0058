/**
 * The stdio server transport of `mcpchat serve --stdio`, on Deno's own
 * streams: newline-delimited JSON-RPC in on stdin, out on stdout, and
 * nothing else ever written to stdout. A line that is not JSON, not a
 * JSON-RPC message, or longer than the cap is answered with a JSON-RPC
 * error and the server keeps serving.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/shared/transport"
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** Options of {@linkcode LineTransport}. */
export interface LineTransportOptions {
  input: ReadableStream<Uint8Array>;
  /** Writes one complete chunk (a message and its newline). */
  write(bytes: Uint8Array): Promise<void>;
  /** Longest accepted line in bytes (default 4 MiB). */
  maxLineBytes?: number;
}

/**
 * A newline-delimited JSON-RPC transport over a byte stream and a writer.
 *
 * @example
 * ```ts
 * import { LineTransport } from "./stdio_transport.ts";
 * const out: string[] = [];
 * const t = new LineTransport({
 *   input: ReadableStream.from([new TextEncoder().encode("not json\n")]),
 *   write: (b) => { out.push(new TextDecoder().decode(b)); return Promise.resolve(); },
 * });
 * const closed = new Promise<void>((resolve) => (t.onclose = resolve));
 * await t.start();
 * await closed;
 * console.log(JSON.parse(out[0]).error.code); // -32700
 * ```
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #options: LineTransportOptions;
  readonly #max: number;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;
  #closed = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(options: LineTransportOptions) {
    this.#options = options;
    this.#max = options.maxLineBytes ?? 4 * 1024 * 1024;
  }

  start(): Promise<void> {
    this.#reader = this.#options.input.getReader();
    void this.#pump();
    return Promise.resolve();
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    let skipping = false;
    try {
      while (!this.#closed) {
        const { value, done } = await this.#reader!.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (skipping) {
            skipping = false;
            continue;
          }
          this.#line(line);
        }
        if (pending.length > this.#max) {
          // Drop the rest of an oversized line; answer once.
          pending = "";
          skipping = true;
          this.#reject(-32600, `message too large (limit ${this.#max} bytes)`);
        }
      }
      if (pending.trim() && !skipping) this.#line(pending);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
    await this.close();
  }

  #line(line: string): void {
    const text = line.trim();
    if (!text) return;
    if (text.length > this.#max) {
      this.#reject(-32600, `message too large (limit ${this.#max} bytes)`);
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      this.#reject(-32700, "parse error: the line is not valid JSON");
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.#reject(-32600, "invalid request: expected a JSON-RPC 2.0 message");
      return;
    }
    try {
      this.onmessage?.(parsed.data);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #reject(code: number, message: string): void {
    void this.#write({ jsonrpc: "2.0", id: null, error: { code, message } }).catch(() => {});
  }

  #write(message: unknown): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(message) + "\n");
    // One message at a time: concurrent writes must not interleave.
    this.#writing = this.#writing.then(() => this.#options.write(bytes));
    return this.#writing;
  }

  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("transport closed"));
    return this.#write(message);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#reader?.cancel().catch(() => {});
    await this.#writing.catch(() => {});
    this.onclose?.();
  }
}

/**
 * The transport on this process's stdin and stdout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineTransport, stdioTransport } from "./stdio_transport.ts";
 * // `mcpchat serve --stdio` does `await server.connect(stdioTransport())`; reading is
 * // started by `connect`, so building one touches neither stream yet.
 * const transport = stdioTransport();
 * assert.ok(transport instanceof LineTransport);
 * await transport.close();
 * ```
 */
export function stdioTransport(): LineTransport {
  return new LineTransport({
    input: Deno.stdin.readable,
    write: async (bytes) => {
      let at = 0;
      while (at < bytes.length) at += await Deno.stdout.write(bytes.subarray(at));
    },
  });
}
