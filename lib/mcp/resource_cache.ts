/**
 * Resource cache: an LRU (`lru-cache`) of `resources/read` results with count
 * and byte limits, invalidated by `notifications/resources/updated` and by
 * reconnects, with hit/miss/eviction stats for the `/cache` display.
 *
 * @module
 */

import { LRUCache } from "lru-cache";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";

/** Limits of a {@linkcode ResourceCache} (the `[cache]` section). */
export interface ResourceCacheOptions {
  /** Most entries (default 500). */
  max_entries?: number;
  /** Most bytes of content, estimated (default 50 MiB). */
  max_bytes?: number;
}

/** Cache counters. */
export interface ResourceCacheStats {
  /** Entries cached. */
  entries: number;
  /** Estimated bytes cached. */
  bytes: number;
  /** Entry limit. */
  maxEntries: number;
  /** Byte limit. */
  maxBytes: number;
  /** Reads answered from the cache. */
  hits: number;
  /** Reads that went to the server. */
  misses: number;
  /** Entries dropped to respect the limits. */
  evictions: number;
  /** Entries dropped because they changed (updates, reconnects, list changes). */
  invalidations: number;
  /** hits / (hits + misses), 0 when nothing was asked. */
  hitRate: number;
}

/** A cached entry as listed by `/cache`. */
export interface CachedResourceInfo {
  /** Server of the resource. */
  server: string;
  /** Resource URI. */
  uri: string;
  /** Estimated size. */
  bytes: number;
}

/**
 * Estimated size of a read result: text length (UTF-16 ~ bytes for ASCII)
 * plus decoded base64 blob size.
 *
 * @example
 * ```ts
 * import { resultSize } from "./resource_cache.ts";
 * resultSize({ contents: [{ uri: "a", text: "hello" }] }); // 6
 * ```
 */
export function resultSize(result: ReadResourceResult): number {
  let n = 0;
  for (const c of result.contents) {
    n += c.uri.length;
    if ("text" in c && typeof c.text === "string") n += c.text.length;
    if ("blob" in c && typeof c.blob === "string") n += Math.floor((c.blob.length * 3) / 4);
  }
  return Math.max(1, n);
}

/**
 * LRU of resource contents keyed by server and URI.
 *
 * @example
 * ```ts
 * import { ResourceCache } from "./resource_cache.ts";
 * const cache = new ResourceCache({ max_entries: 10 });
 * cache.set("s", "file:///a", { contents: [{ uri: "file:///a", text: "x" }] });
 * cache.get("s", "file:///a")?.contents.length; // 1
 * ```
 */
export class ResourceCache {
  readonly #lru: LRUCache<string, ReadResourceResult>;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #hits = 0;
  #misses = 0;
  #evictions = 0;
  #invalidations = 0;

  /** Creates an empty cache with these limits. */
  constructor(options: ResourceCacheOptions = {}) {
    this.#maxEntries = options.max_entries ?? 500;
    this.#maxBytes = options.max_bytes ?? 50 * 1024 * 1024;
    this.#lru = new LRUCache<string, ReadResourceResult>({
      max: this.#maxEntries,
      maxSize: this.#maxBytes,
      sizeCalculation: (value) => resultSize(value),
      dispose: (_value, _key, reason) => {
        if (reason === "evict") this.#evictions++;
      },
    });
  }

  static #key(server: string, uri: string): string {
    return `${server}\u0000${uri}`;
  }

  /** Cached contents, counting a hit or a miss. */
  get(server: string, uri: string): ReadResourceResult | undefined {
    const v = this.#lru.get(ResourceCache.#key(server, uri));
    if (v) this.#hits++;
    else this.#misses++;
    return v;
  }

  /** Whether an entry is cached (no stats, no recency change). */
  has(server: string, uri: string): boolean {
    return this.#lru.has(ResourceCache.#key(server, uri));
  }

  /** Stores contents; an entry larger than the byte limit is not cached. */
  set(server: string, uri: string, result: ReadResourceResult): void {
    if (resultSize(result) > this.#maxBytes) return;
    this.#lru.set(ResourceCache.#key(server, uri), result);
  }

  /** Drops one entry (on `resources/updated`); returns whether it was cached. */
  invalidate(server: string, uri: string): boolean {
    const had = this.#lru.delete(ResourceCache.#key(server, uri));
    if (had) this.#invalidations++;
    return had;
  }

  /** Drops every entry of a server (on reconnect or `resources/list_changed`). */
  invalidateServer(server: string): number {
    let n = 0;
    for (const key of [...this.#lru.keys()]) {
      if (key.startsWith(server + "\u0000")) {
        this.#lru.delete(key);
        n++;
      }
    }
    this.#invalidations += n;
    return n;
  }

  /** Empties the cache (stats are kept). */
  clear(): void {
    this.#lru.clear();
  }

  /** Entries, most recently used first. */
  entries(): CachedResourceInfo[] {
    const out: CachedResourceInfo[] = [];
    for (const [key, value] of this.#lru.entries()) {
      const i = key.indexOf("\u0000");
      out.push({ server: key.slice(0, i), uri: key.slice(i + 1), bytes: resultSize(value) });
    }
    return out;
  }

  /** Counters for the cache display. */
  stats(): ResourceCacheStats {
    const asked = this.#hits + this.#misses;
    return {
      entries: this.#lru.size,
      bytes: this.#lru.calculatedSize ?? 0,
      maxEntries: this.#maxEntries,
      maxBytes: this.#maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
      invalidations: this.#invalidations,
      hitRate: asked === 0 ? 0 : this.#hits / asked,
    };
  }
}
