/**
 * An OpenAI-compatible backend's model factory (`@ai-sdk/openai-compatible`).
 *
 * @module
 */

import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { ProviderModule } from "../providers.ts";

/**
 * Makes the backend's model factory; usage is asked for in the stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "./openai_compatible.ts";
 * import { resolveBackend } from "../config.ts";
 * const backend = resolveBackend("local", {
 *   backends: { local: { type: "openai-compatible", base_url: "http://127.0.0.1:1/v1", model: "m" } },
 * }, () => undefined);
 * assert.equal(create(backend, fetch)("m").modelId, "m");
 * ```
 */
export const create: ProviderModule["create"] = (backend, fetch) => {
  const p = createOpenAICompatible({
    name: backend.name,
    baseURL: backend.baseUrl,
    apiKey: backend.apiKey,
    headers: backend.headers,
    fetch,
    includeUsage: true,
  });
  return (id) => p.chatModel(id);
};
