/**
 * The Ollama backend's model factory (`ollama-ai-provider-v2`).
 *
 * @module
 */

import { createOllama } from "ollama-ai-provider-v2";
import type { ProviderModule } from "../providers.ts";

/**
 * Makes the backend's model factory (Ollama's own API under `/api`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "./ollama.ts";
 * import { resolveBackend } from "../config.ts";
 * const model = create(resolveBackend("ollama", {}, () => undefined), fetch)("llama3.2");
 * assert.equal(model.modelId, "llama3.2");
 * ```
 */
export const create: ProviderModule["create"] = (backend, fetch) => {
  const p = createOllama({ baseURL: `${backend.baseUrl}/api`, headers: backend.headers, fetch });
  return (id) => p(id);
};
