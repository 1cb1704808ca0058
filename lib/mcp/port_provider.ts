/**
 * The manager's side of the host wiring: keeps the ports the host attached
 * (event `attach-server`), and asks the host to spawn a transport worker
 * (`spawnTransport`) when a server needs one.
 *
 * @module
 */

import type { BridgePort } from "./bridge_transport.ts";
import type { ServerConfig } from "./config.ts";
import type { TransportPortProvider } from "./connection.ts";

/** What the provider asks of the host. */
export interface TransportHostCalls {
  /** Start (or restart) the server's transport worker; the host then attaches a port. */
  spawnTransport(params: { name: string; config: ServerConfig }): Promise<unknown>;
  /** Stop the server's transport worker. */
  stopTransport(params: { name: string }): Promise<unknown>;
}

/**
 * Port registry fed by host events.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HostPortProvider } from "./port_provider.ts";
 * import type { ServerConfig } from "./config.ts";
 * // In the manager worker the calls go to the host (`ctx.call("spawnTransport", p)`) and
 * // the port arrives with its `attach-server` event; here a host that attaches at once.
 * const { port1, port2 } = new MessageChannel();
 * const stopped: string[] = [];
 * const ports: HostPortProvider = new HostPortProvider({
 *   spawnTransport: ({ name }) => {
 *     ports.attach({ name, generation: 1, port: port2 });
 *     return Promise.resolve({ generation: 1 });
 *   },
 *   stopTransport: ({ name }) => Promise.resolve(void stopped.push(name)),
 * });
 * const config: ServerConfig = { type: "stdio", command: "cat", args: [], env: {}, enabled: true };
 * assert.equal(await ports.acquire("echo", config), port2);
 * // An older generation's port that arrives late is closed, not used.
 * const late = new MessageChannel();
 * ports.attach({ name: "echo", generation: 0, port: late.port1 });
 * assert.equal(await ports.acquire("echo", config), port2);
 * await ports.release("echo");
 * assert.deepEqual(stopped, ["echo"]);
 * port1.close();
 * late.port2.close();
 * ```
 */
export class HostPortProvider implements TransportPortProvider {
  readonly #host: TransportHostCalls;
  readonly #ports = new Map<string, { port: MessagePort; generation: number }>();
  readonly #waiters = new Map<string, Set<() => void>>();
  readonly #attachTimeoutMs: number;

  /** `host` spawns and stops transport workers; ports arrive through {@linkcode HostPortProvider.attach}. */
  constructor(host: TransportHostCalls, options: { attachTimeoutMs?: number } = {}) {
    this.#host = host;
    this.#attachTimeoutMs = options.attachTimeoutMs ?? 20_000;
  }

  /** Host event `attach-server`. */
  attach(event: { name: string; generation: number; port: MessagePort }): void {
    const old = this.#ports.get(event.name);
    if (old && old.generation > event.generation) {
      event.port.close();
      return;
    }
    if (old && old.port !== event.port) old.port.close();
    this.#ports.set(event.name, { port: event.port, generation: event.generation });
    for (const w of this.#waiters.get(event.name) ?? []) w();
  }

  /** Host event `detach-server`: returns whether it concerned the current port. */
  detach(event: { name: string; generation: number }): boolean {
    const cur = this.#ports.get(event.name);
    if (!cur || cur.generation !== event.generation) return false;
    this.#ports.delete(event.name);
    cur.port.close();
    return true;
  }

  async acquire(name: string, config: ServerConfig, signal?: AbortSignal): Promise<BridgePort> {
    const have = this.#ports.get(name);
    if (have) return have.port;
    const attached = new Promise<void>((resolve, reject) => {
      const set = this.#waiters.get(name) ?? new Set();
      this.#waiters.set(name, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        signal?.removeEventListener("abort", abort);
        resolve();
      };
      const abort = () => {
        clearTimeout(timer);
        set.delete(done);
        reject(signal?.reason ?? new Error("aborted"));
      };
      const timer = setTimeout(() => {
        set.delete(done);
        reject(
          new Error(`the host did not attach a transport port within ${this.#attachTimeoutMs} ms`),
        );
      }, this.#attachTimeoutMs);
      set.add(done);
      signal?.addEventListener("abort", abort, { once: true });
    });
    const spawned = this.#host.spawnTransport({ name, config });
    // Either the attach event arrives, or the spawn call fails.
    await Promise.race([attached, spawned.then(() => attached)]);
    const port = this.#ports.get(name);
    if (!port) throw new Error("transport port vanished while attaching");
    return port.port;
  }

  invalidate(name: string): void {
    const cur = this.#ports.get(name);
    if (!cur) return;
    this.#ports.delete(name);
    cur.port.close();
  }

  async release(name: string): Promise<void> {
    this.invalidate(name);
    await this.#host.stopTransport({ name });
  }
}
