/**
 * Test wiring: the real host-side transport workers (narrowed plugins) and
 * the manager in this thread, connected exactly as the plugins are.
 *
 * @module
 */

import { McpTransportHost, type McpTransportHostOptions } from "../../lib/mcp/host_wiring.ts";
import { HostPortProvider } from "../../lib/mcp/port_provider.ts";
import {
  McpManager,
  type McpManagerEvents,
  type McpManagerOptions,
} from "../../lib/mcp/manager.ts";
import type { ServerConfigInput as ServerConfig } from "../../lib/mcp/config.ts";

/** Path of the installed test peers. */
export const PEERS = new URL("../peers/node_modules/", import.meta.url).pathname;
/** server-everything entry. */
export const EVERYTHING = `${PEERS}@modelcontextprotocol/server-everything/dist/index.js`;
/** server-memory entry. */
export const MEMORY = `${PEERS}@modelcontextprotocol/server-memory/dist/index.js`;
/** server-filesystem entry. */
export const FILESYSTEM = `${PEERS}@modelcontextprotocol/server-filesystem/dist/index.js`;

/** A recorded manager event. */
export type RecordedEvent = { event: keyof McpManagerEvents; data: unknown };

/** Manager + transport host wired together in-process. */
export interface Harness {
  manager: McpManager;
  transports: McpTransportHost;
  events: RecordedEvent[];
  close(): Promise<void>;
}

/** Builds a harness. */
export function harness(
  servers: Record<string, ServerConfig>,
  options: Partial<McpManagerOptions> = {},
  transportOptions: Partial<McpTransportHostOptions> = {},
): Harness {
  const events: RecordedEvent[] = [];
  // deno-lint-ignore prefer-const
  let ports: HostPortProvider;
  const box: { manager?: McpManager } = {};
  const transports = new McpTransportHost({
    module: new URL("../../plugins/mcp_transports.ts", import.meta.url),
    heartbeat: false,
    killGraceMs: 500,
    ...transportOptions,
    emitToManager: (event, data) => {
      if (event === "attach-server") {
        ports.attach(data as { name: string; generation: number; port: MessagePort });
      }
      if (event === "detach-server") {
        const d = data as { name: string; generation: number; reason: string };
        if (ports.detach(d)) box.manager?.transportLost(d.name, d.reason);
      }
    },
  });
  ports = new HostPortProvider(transports.handlers());
  const m = new McpManager({
    servers,
    ports,
    ping_interval_ms: 0,
    emit: (event, data) => events.push({ event, data }),
    ...options,
  });
  box.manager = m;
  return {
    manager: m,
    transports,
    events,
    async close() {
      await m.close();
      await transports.stopAll();
    },
  };
}

/** Rejects after `ms` with a message naming what hung. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Waits until `pred` holds, polling every 20 ms, at most `ms`. */
export async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process is alive (reads /proc). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // A zombie is dead for our purposes only once reaped; report it as alive.
    return stat.length > 0;
  } catch {
    return false;
  }
}

/** Direct children of a process (from /proc). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(e.name));
    } catch {
      // Process ended while scanning.
    }
  }
  return out;
}
