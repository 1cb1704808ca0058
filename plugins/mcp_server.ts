/**
 * `mcp-server:<name>`: the thin transport worker of one MCP server. It owns
 * the server's child process (stdio) or HTTP connection and relays raw
 * JSON-RPC over a `MessagePort` the host hands it with the event `port`; the
 * SDK client lives in `mcp-manager`. Permissions (see
 * `lib/mcp/host_wiring.ts` `transportPluginPermissions`): stdio → `run` for
 * exactly the command; HTTP/SSE → `net` for exactly the URL's host:port.
 * The stdio path never loads the SDK. Events to the host: `child {pid,
 * alive}` when a stdio child starts and ends (the host kills the child's
 * process group, reaping grandchildren the worker may not signal).
 *
 * @module
 */
import "../lib/plugin/guard.ts";
// define.ts, not mod.ts: this worker must stay small (no host/supervisor code).
import { definePlugin, type PluginContext, serveWorker } from "../lib/plugin/define.ts";
import type { TransportSpec } from "../lib/mcp/port_protocol.ts";
import { openStdioSession, type PortLike, serveTransport } from "../lib/mcp/transport_relay.ts";

/** The transport plugin: init is the server's {@linkcode TransportSpec}. */
export const mcpServerPlugin = definePlugin({
  name: "mcp-server",
  start(spec: TransportSpec, ctx: PluginContext) {
    let shutdown: (() => Promise<void>) | undefined;
    let attached = 0;
    ctx.onEvent("port", (data) => {
      const { port } = data as { port: PortLike };
      // A new port replaces the old one (the manager restarted): drop the old session.
      const previous = shutdown;
      attached++;
      void previous?.();
      shutdown = serveTransport(port, spec, async (s, sink) => {
        if (s.kind === "stdio") {
          // The host reaps the child's process group from these reports.
          return openStdioSession(s, sink, {
            onSpawn: (pid) => ctx.emit("child", { pid, alive: true }),
            onExit: (pid) => ctx.emit("child", { pid, alive: false }),
          });
        }
        const { openHttpSession } = await import("../lib/mcp/http_session.ts");
        if (!s.oauth) return openHttpSession(s, sink);
        const { McpOAuthProvider, clientCredentialsProvider } = await import("../lib/mcp/oauth.ts");
        if (s.oauth.grant === "client_credentials") {
          return openHttpSession(s, sink, {
            authProvider: await clientCredentialsProvider(s.oauth),
          });
        }
        // OAuth state lives with the host (KV); the browser step is the host's too.
        const provider = new McpOAuthProvider(s.name, {
          get: async (key) =>
            (await ctx.call<{ value?: unknown }>("oauthStorage", { op: "get", key })).value,
          set: async (key, value) =>
            void (await ctx.call("oauthStorage", { op: "set", key, value })),
          delete: async (key) => void (await ctx.call("oauthStorage", { op: "delete", key })),
        }, s.oauth);
        return openHttpSession(s, sink, {
          authProvider: provider,
          authorize: (url) =>
            ctx.call<{ code: string }>("oauthAuthorize", { url: url.href }, { timeoutMs: 600_000 }),
        });
      });
    });
    return {
      handlers: {
        /** How many ports were attached (diagnostics). */
        info: () => ({ kind: spec.kind, attached }),
      },
      stop: () => shutdown?.(),
    };
  },
});

serveWorker(mcpServerPlugin);
