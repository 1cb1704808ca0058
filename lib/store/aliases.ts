/**
 * Command aliases (`/alias NAME commands…`), kept with the sessions so they
 * follow the store (local or remote). Reach it as `store.aliases`.
 *
 * @module
 */

import type { StoreContext } from "./context.ts";
import { StoreValidationError } from "./errors.ts";
import { ALIAS_PREFIX, aliasKey } from "./keys.ts";
import type { AliasRecord } from "./types.ts";
import { aliasValue, readValue, readValueOrNull } from "./values.ts";

/**
 * The aliases of one open store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openMessageStore } from "./store.ts";
 * const store = await openMessageStore({ location: { kind: "memory" } });
 * await store.aliases.set("gs", ["/mcp tools", "/cost"]);
 * assert.deepEqual((await store.aliases.get("gs"))?.commands, ["/mcp tools", "/cost"]);
 * assert.deepEqual((await store.aliases.list()).map((a) => a.name), ["gs"]);
 * assert.equal(await store.aliases.delete("gs"), true);
 * assert.equal(await store.aliases.delete("gs"), false);
 * await assert.rejects(store.aliases.set("no spaces", ["/cost"]), /alias name/);
 * await store.close();
 * ```
 */
export class Aliases {
  #ctx: StoreContext;

  /** Aliases over `ctx`. Made by `openMessageStore`. */
  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /** Sets alias `name` to `commands` (replacing it if it exists). */
  async set(name: string, commands: string[]): Promise<AliasRecord> {
    const ctx = this.#ctx.ensureOpen();
    if (typeof name !== "string" || !/^[\w.-]{1,64}$/.test(name)) {
      throw new StoreValidationError("alias name must be 1-64 letters, digits, '.', '_' or '-'");
    }
    if (
      !Array.isArray(commands) || commands.length === 0 ||
      commands.some((c) => typeof c !== "string")
    ) {
      throw new StoreValidationError("alias commands must be a non-empty list of strings");
    }
    const record: AliasRecord = { name, commands: [...commands], updatedAt: ctx.clock.now() };
    await ctx.retry(() => ctx.kv.set(aliasKey(name), record));
    return record;
  }

  /** An alias, or null. */
  async get(name: string): Promise<AliasRecord | null> {
    const ctx = this.#ctx.ensureOpen();
    const entry = await ctx.retry(() => ctx.kv.get(aliasKey(name)));
    return readValueOrNull(entry, ctx.location, aliasValue);
  }

  /** All aliases, by name. */
  async list(): Promise<AliasRecord[]> {
    const ctx = this.#ctx.ensureOpen();
    const out: AliasRecord[] = [];
    await ctx.retry(async () => {
      out.length = 0;
      for await (const e of ctx.kv.list({ prefix: ALIAS_PREFIX })) {
        out.push(readValue(e, ctx.location, aliasValue));
      }
    });
    return out;
  }

  /** Deletes an alias; resolves whether it existed. */
  async delete(name: string): Promise<boolean> {
    const ctx = this.#ctx.ensureOpen();
    const e = await ctx.retry(() => ctx.kv.get(aliasKey(name)));
    if (!e.versionstamp) return false;
    await ctx.retry(() => ctx.kv.delete(aliasKey(name)));
    return true;
  }
}
