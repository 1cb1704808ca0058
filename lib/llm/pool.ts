/**
 * Keep-alive connection pools: one `Deno.HttpClient` per provider origin,
 * handed to the provider libraries through their `fetch` option, with
 * request and connection counters for `/stats`.
 *
 * @module
 */

import { type Clock, systemClock } from "../util/clock.ts";

/** The `fetch` signature the provider libraries accept. */
export type FetchFunction = typeof globalThis.fetch;

/** Pool settings. */
export interface PoolOptions {
  /** How long an idle connection is kept open (default 90 000 ms). */
  idleTimeoutMs?: number;
  /** Idle connections kept per origin (default 8). */
  maxIdlePerHost?: number;
  clock?: Clock;
  /** Creates the HTTP client; injected in tests. */
  createClient?: (options: Deno.CreateHttpClientOptions) => Deno.HttpClient;
  /** The underlying fetch (default `globalThis.fetch`). */
  fetch?: FetchFunction;
}

/** Counters of one origin's pool. */
export interface PoolStats {
  origin: string;
  /** Requests sent through this pool. */
  requests: number;
  /** Requests whose response body is still being read. */
  inFlight: number;
  /** Most requests in flight at once. */
  peakInFlight: number;
  /**
   * Connections that are likely open: those in use plus those kept idle for
   * reuse (the peak concurrency within the idle timeout, capped by
   * `maxIdlePerHost`). Deno does not expose its pool, so this is an estimate
   * that is exact for sequential HTTP/1.1 use.
   */
  openConnections: number;
  /** Requests that failed before or while reading the response. */
  failures: number;
  bytesReceived: number;
  /** Epoch ms of the last request's end. */
  lastUsedAt?: number;
}

interface Entry {
  client: Deno.HttpClient;
  stats: PoolStats;
  /** Concurrency seen since the pool last went idle for longer than the idle timeout. */
  recentPeak: number;
}

/**
 * Connection pools keyed by origin.
 *
 * @example
 * ```ts
 * import { HttpPool } from "./pool.ts";
 * const pool = new HttpPool();
 * const fetch = pool.fetchFor("https://api.anthropic.com/v1");
 * console.log(typeof fetch, pool.stats().length); // "function" 0
 * pool.close();
 * ```
 */
export class HttpPool {
  readonly #entries = new Map<string, Entry>();
  readonly #idleTimeoutMs: number;
  readonly #maxIdle: number;
  readonly #clock: Clock;
  readonly #createClient: (options: Deno.CreateHttpClientOptions) => Deno.HttpClient;
  readonly #fetch: FetchFunction;

  constructor(options: PoolOptions = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 90_000;
    this.#maxIdle = options.maxIdlePerHost ?? 8;
    this.#clock = options.clock ?? systemClock;
    this.#createClient = options.createClient ?? ((o) => Deno.createHttpClient(o));
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** A `fetch` that sends every request through the pool of `baseUrl`'s origin. */
  fetchFor(baseUrl: string): FetchFunction {
    const origin = new URL(baseUrl).origin;
    return (input, init) => this.#send(origin, input, init);
  }

  /** Counters of every pool used so far. */
  stats(): PoolStats[] {
    const now = this.#clock.now();
    return [...this.#entries.values()].map((e) => {
      const idleExpired = e.stats.inFlight === 0 && e.stats.lastUsedAt !== undefined &&
        now - e.stats.lastUsedAt >= this.#idleTimeoutMs;
      if (idleExpired) e.recentPeak = 0;
      const open = Math.max(e.stats.inFlight, Math.min(e.recentPeak, this.#maxIdle));
      return { ...e.stats, openConnections: open };
    });
  }

  /** Closes every client (drops idle connections). */
  close(): void {
    for (const e of this.#entries.values()) e.client.close();
    this.#entries.clear();
  }

  #entry(origin: string): Entry {
    let entry = this.#entries.get(origin);
    if (!entry) {
      entry = {
        client: this.#createClient({
          poolIdleTimeout: this.#idleTimeoutMs,
          poolMaxIdlePerHost: this.#maxIdle,
        }),
        stats: {
          origin,
          requests: 0,
          inFlight: 0,
          peakInFlight: 0,
          openConnections: 0,
          failures: 0,
          bytesReceived: 0,
        },
        recentPeak: 0,
      };
      this.#entries.set(origin, entry);
    }
    return entry;
  }

  async #send(origin: string, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const entry = this.#entry(origin);
    const s = entry.stats;
    if (
      s.inFlight === 0 && s.lastUsedAt !== undefined &&
      this.#clock.now() - s.lastUsedAt >= this.#idleTimeoutMs
    ) {
      entry.recentPeak = 0;
    }
    s.requests++;
    s.inFlight++;
    s.peakInFlight = Math.max(s.peakInFlight, s.inFlight);
    entry.recentPeak = Math.max(entry.recentPeak, s.inFlight);
    let finished = false;
    const finish = (failed: boolean) => {
      if (finished) return;
      finished = true;
      s.inFlight--;
      if (failed) s.failures++;
      s.lastUsedAt = this.#clock.now();
    };
    let response: Response;
    try {
      response = await this.#fetch(input, { ...init, client: entry.client });
    } catch (error) {
      finish(true);
      throw error;
    }
    if (!response.body) {
      finish(false);
      return response;
    }
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            finish(false);
            controller.close();
          } else {
            s.bytesReceived += value.byteLength;
            controller.enqueue(value);
          }
        } catch (error) {
          finish(true);
          controller.error(error);
        }
      },
      cancel(reason) {
        finish(false);
        return reader.cancel(reason);
      },
    }, { highWaterMark: 0 });
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  }
}
