/**
 * The Gemini backend's model factory (`@ai-sdk/google`).
 *
 * @module
 */

import { createGoogleGenerativeAI } from "@ai-sdk/google";
import type { ProviderModule } from "../providers.ts";

/**
 * Makes the backend's model factory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "./gemini.ts";
 * import { resolveBackend } from "../config.ts";
 * const model = create(resolveBackend("gemini", {}, () => "k"), fetch)("gemini-2.5-flash");
 * assert.equal(model.modelId, "gemini-2.5-flash");
 * ```
 */
export const create: ProviderModule["create"] = (backend, fetch) => {
  const p = createGoogleGenerativeAI({
    apiKey: backend.apiKey,
    baseURL: backend.baseUrl,
    headers: backend.headers,
    fetch,
  });
  return (id) => p(id);
};
