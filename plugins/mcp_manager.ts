/**
 * `mcp-manager`: the MCP client of mcpchat as a plugin. No I/O permissions
 * of its own: each server's transport runs in a thin `mcp-server:<name>`
 * worker the host spawns (host handler `spawnTransport`) and attaches by
 * transferring a `MessagePort` (event `attach-server`). See docs/mcp.md for
 * the full protocol and RPC surface.
 *
 * @module
 */
import "../lib/plugin/guard.ts";
import { declared, definePlugin, serveWorker } from "../lib/plugin/define.ts";
import type { CallContext } from "../lib/rpc/peer.ts";
import {
  McpManager,
  type McpManagerEvents,
  type McpManagerOptions,
  type ToolTarget,
} from "../lib/mcp/manager.ts";
import { HostPortProvider } from "../lib/mcp/port_provider.ts";
import type { ManagerHostCalls, ManagerHostEvents } from "../lib/mcp/host_wiring.ts";
import type { ServerConfigInput } from "../lib/mcp/config.ts";
import type { NotificationCategory, NotificationFilter } from "../lib/mcp/notifications.ts";

/** Init data of the manager plugin (the `[mcp]` config, mapped by the host). */
export type McpManagerInit =
  & Omit<McpManagerOptions, "ports" | "host" | "emit" | "clock" | "random">
  & {
    /** Whether the host registered `sampling` / `elicit` handlers (advertised to servers). */
    sampling?: boolean;
    elicitation?: boolean;
  };

type Level = "debug" | "info" | "notice" | "warning" | "error" | "critical" | "alert" | "emergency";

/** The manager plugin. */
export const mcpManagerPlugin = definePlugin({
  name: "mcp-manager",
  events: declared<McpManagerEvents>(),
  hostEvents: declared<ManagerHostEvents>(),
  hostCalls: declared<ManagerHostCalls>(),
  start(init: McpManagerInit, ctx) {
    const ports = new HostPortProvider({
      spawnTransport: (p) => ctx.call("spawnTransport", p, { timeoutMs: 30_000 }),
      stopTransport: (p) => ctx.call("stopTransport", p, { timeoutMs: 15_000 }),
    });
    const { sampling, elicitation, ...options } = init;
    const manager = new McpManager({
      ...options,
      ports,
      host: {
        sampling: sampling
          ? (req, signal) => ctx.call("sampling", req, { signal, timeoutMs: 600_000 })
          : undefined,
        elicit: elicitation
          ? (req, signal) => ctx.call("elicit", req, { signal, timeoutMs: 600_000 })
          : undefined,
      },
      emit: (event, data) => ctx.emit(event, data),
    });
    ctx.onEvent("attach-server", (e) => ports.attach(e));
    ctx.onEvent("detach-server", (e) => {
      if (ports.detach(e)) manager.transportLost(e.name, e.reason);
    });
    // Servers start once this instance is ready, so the host can already route
    // `attach-server` to it; a host that must wait for eager servers (before
    // the prompt) calls `startServers`, which awaits the same run.
    const kickoff = setTimeout(() => void manager.start(), 0);
    ctx.signal.addEventListener("abort", () => clearTimeout(kickoff));
    return {
      handlers: {
        /** Eager servers are connected when this resolves; background ones keep connecting. */
        startServers: async () => {
          await manager.start();
          return manager.servers();
        },
        servers: () => manager.servers(),
        connect: (p: { name: string }) => manager.connect(p.name),
        disconnect: (p: { name: string }) => manager.disconnect(p.name),
        addServer: (p: { name: string; config: ServerConfigInput }) =>
          manager.addServer(p.name, p.config),
        removeServer: (p: { name: string }) => manager.removeServer(p.name),
        listTools: (p: { server?: string; waitMs?: number }, c: CallContext) =>
          manager.listTools(p ?? {}, c.signal),
        callTool: (
          p: ToolTarget & {
            arguments?: Record<string, unknown>;
            callId?: string;
            timeoutMs?: number;
          },
          c: CallContext,
        ) => manager.callTool(p, c.signal),
        listResources: (p: { server?: string }, c: CallContext) =>
          manager.listResources(p ?? {}, c.signal),
        listResourceTemplates: (p: { server?: string }, c: CallContext) =>
          manager.listResourceTemplates(p ?? {}, c.signal),
        readResource: (p: { server: string; uri: string; noCache?: boolean }, c: CallContext) =>
          manager.readResource(p, c.signal),
        subscribe: (p: { server: string; uri: string }, c: CallContext) =>
          manager.subscribe(p, c.signal),
        unsubscribe: (p: { server: string; uri: string }, c: CallContext) =>
          manager.unsubscribe(p, c.signal),
        listPrompts: (p: { server?: string }, c: CallContext) =>
          manager.listPrompts(p ?? {}, c.signal),
        getPrompt: (
          p: { server: string; name: string; arguments?: Record<string, string> },
          c: CallContext,
        ) => manager.getPrompt(p, c.signal),
        complete: (p: Parameters<McpManager["complete"]>[0], c: CallContext) =>
          manager.complete(p, c.signal),
        setLogLevel: (p: { server?: string; level: Level }, c: CallContext) =>
          manager.setLogLevel(p, c.signal),
        ping: (p: { server: string }, c: CallContext) => manager.ping(p, c.signal),
        capabilities: (p: { server: string }, c: CallContext) => manager.capabilities(p, c.signal),
        notifications: (p: NotificationFilter) => manager.notifications(p ?? {}),
        setNotificationCategory: (p: { category: NotificationCategory; enabled: boolean }) =>
          manager.setNotificationCategory(p),
        notificationStats: () => manager.notificationStats(),
        cacheStats: () => manager.cacheStats(),
        cacheEntries: () => manager.cacheEntries(),
        clearCache: () => manager.clearCache(),
        roots: () => manager.roots(),
        setRoots: (p: { roots: { uri: string; name?: string }[] }) => manager.setRoots(p.roots),
      },
      stop: () => manager.close(),
    };
  },
});

serveWorker(mcpManagerPlugin);
