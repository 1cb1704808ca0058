/**
 * OAuth state of HTTP MCP servers: the key-value storage behind the MCP
 * layer's `OAuthStorage` (`lib/mcp/oauth.ts`, keys like
 * `mcp-oauth/<server>/<kind>`), kept in the store file, which is user-only
 * because tokens are secrets. Reach it as `store.oauth`.
 *
 * @module
 */

import type { StoreContext } from "./context.ts";
import { StoreValidationError } from "./errors.ts";
import { oauthKvKey } from "./keys.ts";

function keyOf(key: string): Deno.KvKey {
  if (typeof key !== "string" || key === "" || key.length > 512) {
    throw new StoreValidationError(
      "OAuth storage key must be a non-empty string of at most 512 characters",
    );
  }
  return oauthKvKey(key);
}

/**
 * The OAuth storage of one open store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMessageStore } from "./store.ts";
 * const store = await openMessageStore({ location: { kind: "memory" } });
 * await store.oauth.set("mcp-oauth/github/tokens", { access_token: "t", token_type: "bearer" });
 * assert.deepEqual(await store.oauth.get("mcp-oauth/github/tokens"), {
 *   access_token: "t",
 *   token_type: "bearer",
 * });
 * await store.oauth.delete("mcp-oauth/github/tokens");
 * assert.equal(await store.oauth.get("mcp-oauth/github/tokens"), undefined);
 * await assert.rejects(store.oauth.get(""), /OAuth storage key/);
 * await store.close();
 * ```
 */
export class OAuthStorage {
  #ctx: StoreContext;

  /** Storage over `ctx`. Made by `openMessageStore`. */
  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** The value at `key`, or undefined. */
  async get(key: string): Promise<unknown> {
    const ctx = this.#ctx.ensureOpen();
    const k = keyOf(key);
    return (await ctx.retry(() => ctx.kv.get(k))).value ?? undefined;
  }

  /** Stores `value` (structured-clonable, under 64 KiB) at `key`; undefined deletes it. */
  async set(key: string, value: unknown): Promise<void> {
    const ctx = this.#ctx.ensureOpen();
    const k = keyOf(key);
    if (value === undefined) {
      await ctx.retry(() => ctx.kv.delete(k));
      return;
    }
    await ctx.retry(() => ctx.kv.set(k, value));
  }

  /** Deletes `key`. */
  async delete(key: string): Promise<void> {
    const ctx = this.#ctx.ensureOpen();
    const k = keyOf(key);
    await ctx.retry(() => ctx.kv.delete(k));
  }
}
