/**
 * `mcp-transports`: the transport worker of the MCP servers (one, plus one for
 * each server added while running that needed more permissions). Each server
 * is an actor here: its own `MessagePort` to the manager, its own child
 * process (stdio, inside the OS sandbox) or HTTP session, opened, relayed
 * and closed independently of the others. The SDK client lives in
 * `mcp-manager`. Permissions (see `lib/mcp/host_wiring.ts`
 * `poolPermissions`): `run` for the configured commands and bubblewrap,
 * `net` for exactly the configured hosts. The stdio path never loads the SDK.
 *
 * Events from the host: `open {name, spec, port}` (a new port replaces the
 * server's old one). Calls: `close {name}`, `drop {name}` (at once, as a
 * crash would), `info`. Events to the host: `child {name, pid, alive}` when
 * a stdio child starts and ends (the host reaps its process group).
 *
 * @module
 */
import "../lib/plugin/guard.ts";
// define.ts, not mod.ts: this worker must stay small (no host/supervisor code).
import { declared, definePlugin, type PluginContext, serveWorker } from "../lib/plugin/define.ts";
import type { TransportSpec } from "../lib/mcp/port_protocol.ts";
import type {
  PoolEvents,
  PoolHostCalls,
  PoolHostEvents,
  PoolMethods,
} from "../lib/mcp/host_wiring.ts";
import {
  openStdioSession,
  type PortLike,
  type RelaySink,
  serveTransport,
} from "../lib/mcp/transport_relay.ts";

/** One server's actor in the pool. */
interface Actor {
  port: PortLike;
  shutdown: () => Promise<void>;
}

/** What the pool can do towards the host. */
type PoolContext = PluginContext<PoolEvents, PoolHostEvents, PoolHostCalls>;

/** The pool plugin: init carries nothing; servers arrive with `open`. */
export const mcpTransportsPlugin = definePlugin({
  name: "mcp-transports",
  events: declared<PoolEvents>(),
  hostEvents: declared<PoolHostEvents>(),
  hostCalls: declared<PoolHostCalls>(),
  start(_init: Record<string, never>, ctx) {
    const actors = new Map<string, Actor>();
    const opened = { count: 0 };

    const open = (name: string, spec: TransportSpec, sink: RelaySink) => {
      if (spec.kind === "stdio") {
        return openStdioSession(spec, sink, {
          onSpawn: (pid) => ctx.emit("child", { name, pid, alive: true }),
          onExit: (pid) => ctx.emit("child", { name, pid, alive: false }),
        });
      }
      return openRemote(ctx, name, spec, sink);
    };

    const end = async (name: string) => {
      const actor = actors.get(name);
      if (!actor) return false;
      actors.delete(name);
      await actor.shutdown();
      actor.port.close?.();
      return true;
    };

    ctx.onEvent("open", ({ name, spec, port, prestart }) => {
      // A new port replaces the old one (the manager restarted, or a respawn): drop the old.
      void end(name);
      opened.count++;
      actors.set(name, {
        port,
        shutdown: serveTransport(port, spec, (s, sink) => open(name, s, sink), { prestart }),
      });
    });

    return {
      handlers: {
        /** Closes a server's transport gracefully (stdin EOF, grace, SIGTERM, SIGKILL). */
        close: async (p: { name: string }) => ({ closed: await end(p.name) }),
        /** Servers with an open actor, and how many were opened (diagnostics). */
        info: () => ({ servers: [...actors.keys()], opened: opened.count }),
      } satisfies PoolMethods,
      stop: async () => {
        await Promise.all([...actors.keys()].map(end));
      },
    };
  },
});

/** Streamable HTTP or legacy SSE, with OAuth state kept by the host. */
async function openRemote(
  ctx: PoolContext,
  name: string,
  s: Extract<TransportSpec, { kind: "http" | "sse" }>,
  sink: RelaySink,
) {
  const { openHttpSession } = await import("../lib/mcp/http_session.ts");
  if (!s.oauth) return openHttpSession(s, sink);
  const { McpOAuthProvider, clientCredentialsProvider, crossAppAccessProvider } = await import(
    "../lib/mcp/oauth.ts"
  );
  if (s.oauth.grant === "client_credentials") {
    return openHttpSession(s, sink, { authProvider: await clientCredentialsProvider(s.oauth) });
  }
  if (s.oauth.grant === "cross_app_access") {
    return openHttpSession(s, sink, {
      authProvider: await crossAppAccessProvider(s.url, s.oauth),
    });
  }
  // OAuth state lives with the host (KV); the browser step is the host's too.
  const provider = new McpOAuthProvider(s.name, {
    get: async (key) =>
      (await ctx.call("oauthStorage", { server: name, op: "get", key }))
        .value,
    set: async (key, value) =>
      void (await ctx.call("oauthStorage", { server: name, op: "set", key, value })),
    delete: async (key) =>
      void (await ctx.call("oauthStorage", { server: name, op: "delete", key })),
  }, s.oauth);
  return openHttpSession(s, sink, {
    authProvider: provider,
    authorize: (url) =>
      ctx.call("oauthAuthorize", { server: name, url: url.href }, {
        timeoutMs: 600_000,
      }),
  });
}

serveWorker(mcpTransportsPlugin);
