/**
 * Host-side wiring of the thin transport workers: computes a server's exact
 * permissions and environment, spawns `plugins/mcp_server.ts` narrowed to
 * them, and hands back the `MessagePort` the manager talks to. The host (main
 * thread) does this because a nested worker cannot have more permissions
 * than its parent, and the manager has none.
 *
 * @module
 */

import {
  DEFAULT_INHERITED_ENV,
  isStdioConfig,
  netPermissionFor,
  type ServerConfig,
} from "./config.ts";
import type {
  TransportSpec,
  TransportWorkerControl,
  TransportWorkerReport,
} from "./port_protocol.ts";

/**
 * Builds the spec a transport worker receives. The child's environment is
 * resolved here (the worker itself may read no environment variable): the
 * default inherited names plus what the config names in `env`.
 *
 * @example
 * ```ts
 * import { transportSpecFor } from "./spawn.ts";
 * const spec = transportSpecFor("mem", { command: "node", args: ["x.js"] }, (k) => k === "PATH" ? "/usr/bin" : undefined);
 * console.log(spec.kind); // "stdio"
 * ```
 */
export function transportSpecFor(
  name: string,
  config: ServerConfig,
  getEnv: (key: string) => string | undefined,
  options: { killGraceMs?: number } = {},
): TransportSpec {
  if (isStdioConfig(config)) {
    const env: Record<string, string> = {};
    for (const key of DEFAULT_INHERITED_ENV) {
      const value = getEnv(key);
      // Like the SDK: skip exported shell functions.
      if (value !== undefined && !value.startsWith("()")) env[key] = value;
    }
    Object.assign(env, config.env ?? {});
    return {
      kind: "stdio",
      name,
      command: config.command,
      args: config.args ?? [],
      env,
      cwd: config.cwd,
      killGraceMs: options.killGraceMs,
    };
  }
  return { kind: config.type, name, url: config.url, headers: config.headers };
}

/**
 * The exact Deno permissions of a server's transport worker.
 *
 * @example
 * ```ts
 * import { transportPermissions } from "./spawn.ts";
 * transportPermissions({ kind: "http", name: "x", url: "http://127.0.0.1:3001/mcp" }).net; // ["127.0.0.1:3001"]
 * ```
 */
export function transportPermissions(spec: TransportSpec): Deno.PermissionOptionsObject {
  const none: Deno.PermissionOptionsObject = {
    env: false,
    ffi: false,
    import: false,
    net: false,
    read: false,
    run: false,
    sys: false,
    write: false,
  };
  if (spec.kind === "stdio") return { ...none, run: [spec.command] };
  return { ...none, net: [netPermissionFor(spec.url)] };
}

/** A running transport worker, as the host sees it. */
export interface TransportWorkerHandle {
  readonly name: string;
  /** The manager's end of the channel (transfer it to the manager). */
  readonly port: MessagePort;
  readonly worker: Worker;
  /** Resolves with a reason when the worker crashes. */
  readonly crashed: Promise<string>;
  /** Graceful stop: close the transport (reaping the child), then terminate. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Options of {@linkcode spawnTransportWorker}. */
export interface SpawnTransportOptions {
  /** Environment lookup for the child's inherited variables (default `Deno.env.get`). */
  getEnv?: (key: string) => string | undefined;
  /** Worker module (default `plugins/mcp_server.ts`). */
  workerUrl?: URL;
  /** Milliseconds to wait for the worker's `ready` (default 10 000). */
  readyTimeoutMs?: number;
  killGraceMs?: number;
}

/**
 * Spawns the narrowed transport worker of one server and returns its handle
 * once it is ready.
 *
 * @example
 * ```ts ignore
 * import { spawnTransportWorker } from "./spawn.ts";
 * const h = await spawnTransportWorker("mem", { command: "node", args: ["server.js"] });
 * // give h.port to the manager (attachPort / attach-server event)
 * await h.stop();
 * ```
 */
export async function spawnTransportWorker(
  name: string,
  config: ServerConfig,
  options: SpawnTransportOptions = {},
): Promise<TransportWorkerHandle> {
  const spec = transportSpecFor(name, config, options.getEnv ?? safeEnvGet, {
    killGraceMs: options.killGraceMs,
  });
  const worker = new Worker(
    options.workerUrl ?? new URL("../../plugins/mcp_server.ts", import.meta.url),
    {
      type: "module",
      name: `mcp-server:${name}`,
      deno: { permissions: transportPermissions(spec) },
    } as WorkerOptions,
  );
  const channel = new MessageChannel();
  let onCrash: (reason: string) => void = () => {};
  const crashed = new Promise<string>((resolve) => (onCrash = resolve));
  const waiters = new Set<(m: TransportWorkerReport) => void>();
  worker.onmessage = (e: MessageEvent<TransportWorkerReport>) => {
    if (e.data.t === "crash") onCrash(e.data.message);
    for (const w of [...waiters]) w(e.data);
  };
  worker.onerror = (e) => {
    e.preventDefault();
    onCrash(e.message);
  };
  const waitFor = (t: TransportWorkerReport["t"], ms: number) =>
    new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        waiters.delete(w);
        resolve(ok);
      };
      const w = (m: TransportWorkerReport) => m.t === t && done(true);
      const timer = setTimeout(() => done(false), ms);
      waiters.add(w);
      crashed.then(() => done(false));
    });
  const ready = waitFor("ready", options.readyTimeoutMs ?? 10_000);
  const init: TransportWorkerControl = { t: "init", spec, port: channel.port1 };
  worker.postMessage(init, [channel.port1]);
  if (!(await ready)) {
    worker.terminate();
    throw new Error(`transport worker mcp-server:${name} did not start`);
  }
  let stopped = false;
  return {
    name,
    port: channel.port2,
    worker,
    crashed,
    async stop(timeoutMs = 5000) {
      if (stopped) return;
      stopped = true;
      const done = waitFor("shutdown-done", timeoutMs);
      worker.postMessage({ t: "shutdown" } satisfies TransportWorkerControl);
      await done;
      worker.terminate();
      channel.port2.close();
    },
  };
}

function safeEnvGet(key: string): string | undefined {
  try {
    return Deno.env.get(key);
  } catch {
    return undefined;
  }
}
