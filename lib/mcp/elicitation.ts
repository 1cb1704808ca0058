/**
 * Elicitation helpers: fill in the defaults a form-mode request declares for
 * fields the user left out (SEP-1034), so a server gets complete content.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/types"
import type { ElicitRequest, ElicitResult } from "@modelcontextprotocol/sdk/types.js";

/**
 * Returns `result` with every omitted field that has a `default` in the
 * request's `requestedSchema` filled in (only for `accept`).
 *
 * @example
 * ```ts
 * import { applyElicitationDefaults } from "./elicitation.ts";
 * const r = applyElicitationDefaults(
 *   { message: "?", requestedSchema: { type: "object", properties: { n: { type: "integer", default: 3 } } } },
 *   { action: "accept", content: {} },
 * );
 * r.content; // { n: 3 }
 * ```
 */
export function applyElicitationDefaults(
  params: ElicitRequest["params"],
  result: ElicitResult,
): ElicitResult {
  if (result.action !== "accept") return result;
  const schema = (params as { requestedSchema?: { properties?: Record<string, unknown> } })
    .requestedSchema;
  const properties = schema?.properties;
  if (!properties) return result;
  const content: Record<string, unknown> = { ...(result.content ?? {}) };
  for (const [key, prop] of Object.entries(properties)) {
    const def = (prop as { default?: unknown }).default;
    if (!(key in content) && def !== undefined) content[key] = def;
  }
  return { ...result, content: content as ElicitResult["content"] };
}
