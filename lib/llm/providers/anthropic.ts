/**
 * The Anthropic backend's model factory (`@ai-sdk/anthropic`).
 *
 * @module
 */

import { createAnthropic } from "@ai-sdk/anthropic";
import type { ProviderModule } from "../providers.ts";

/**
 * Makes the backend's model factory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "./anthropic.ts";
 * import { resolveBackend } from "../config.ts";
 * const model = create(resolveBackend("anthropic", {}, () => "sk-test"), fetch)("claude-sonnet-4-5");
 * assert.equal(model.modelId, "claude-sonnet-4-5");
 * ```
 */
export const create: ProviderModule["create"] = (backend, fetch) => {
  const p = createAnthropic({
    apiKey: backend.apiKey,
    baseURL: backend.baseUrl,
    headers: backend.headers,
    fetch,
  });
  return (id) => p.languageModel(id);
};
