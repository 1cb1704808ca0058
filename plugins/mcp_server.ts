/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * `mcp-server:<name>`: the thin transport worker of one MCP server. It owns
 * the server's child process (stdio) or HTTP connection and relays raw
 * JSON-RPC over the `MessagePort` the host hands it; the SDK client lives in
 * `mcp-manager`. Permissions (set by the host, see `transportPermissions`):
 * stdio → `run` for exactly the command; HTTP/SSE → `net` for exactly the
 * URL's host:port. Nothing else.
 *
 * Control protocol on the worker's own channel: host → `{t:"init", spec, port}`
 * (port transferred), `{t:"shutdown"}`; worker → `{t:"ready"}`,
 * `{t:"shutdown-done"}`, `{t:"crash", message}`.
 *
 * @module
 */

import type { TransportWorkerControl, TransportWorkerReport } from "../lib/mcp/port_protocol.ts";
import { openStdioSession, serveTransport } from "../lib/mcp/transport_relay.ts";

/** Whether this module runs as a worker. */
export const isTransportWorker = typeof self !== "undefined" &&
  typeof (self as unknown as { postMessage?: unknown }).postMessage === "function" &&
  typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";

if (isTransportWorker) {
  const report = (m: TransportWorkerReport) => self.postMessage(m);
  let shutdown: (() => Promise<void>) | undefined;
  const crash = (message: string) => {
    report({ t: "crash", message });
    shutdown?.().finally(() => self.close());
  };
  self.addEventListener("error", (e) => {
    e.preventDefault();
    crash(e.message);
  });
  self.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    crash(String((e.reason as Error)?.message ?? e.reason));
  });
  self.onmessage = async (event: MessageEvent<TransportWorkerControl>) => {
    const msg = event.data;
    if (msg.t === "init") {
      const spec = msg.spec;
      shutdown = serveTransport(msg.port, spec, async (s, sink) => {
        if (s.kind === "stdio") return openStdioSession(s, sink);
        const { openHttpSession } = await import("../lib/mcp/http_session.ts");
        return openHttpSession(s, sink);
      });
      report({ t: "ready" });
    } else if (msg.t === "shutdown") {
      await shutdown?.();
      report({ t: "shutdown-done" });
    }
  };
}
