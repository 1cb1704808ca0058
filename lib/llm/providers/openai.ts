/**
 * The OpenAI backend's model factory (`@ai-sdk/openai`).
 *
 * @module
 */

import { createOpenAI } from "@ai-sdk/openai";
import type { ProviderModule } from "../providers.ts";

/**
 * Makes the backend's model factory: Chat Completions, the wire format every
 * OpenAI-compatible server shares.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "./openai.ts";
 * import { resolveBackend } from "../config.ts";
 * const model = create(resolveBackend("openai", {}, () => "sk-test"), fetch)("gpt-4.1");
 * assert.equal(model.modelId, "gpt-4.1");
 * ```
 */
export const create: ProviderModule["create"] = (backend, fetch) => {
  const p = createOpenAI({
    apiKey: backend.apiKey,
    baseURL: backend.baseUrl,
    headers: backend.headers,
    fetch,
  });
  return (id) => p.chat(id);
};
