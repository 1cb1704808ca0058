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
  // A URL-mode request has no schema, so no defaults.
  if (result.action !== "accept" || !("requestedSchema" in params)) return result;
  const content: NonNullable<ElicitResult["content"]> = { ...result.content };
  for (const [key, prop] of Object.entries(params.requestedSchema.properties)) {
    if (!(key in content) && prop.default !== undefined) content[key] = prop.default;
  }
  return { ...result, content };
}
