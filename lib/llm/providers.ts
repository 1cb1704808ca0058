/**
 * Lazily loaded provider libraries. Each backend kind's module
 * (`lib/llm/providers/<kind>.ts`, which imports its `@ai-sdk/*` package) is
 * imported on first use of its backend, so an unused provider costs nothing.
 * Keys, base URLs and region are always passed explicitly: the libraries
 * must not read the environment (the worker may not be allowed to).
 *
 * @module
 */

import type { LanguageModelV4 } from "@ai-sdk/provider";
import type { ResolvedBackend } from "./config.ts";
import type { FetchFunction } from "./pool.ts";
import type { BackendKind } from "./types.ts";
import { importOnDemand } from "../util/on_demand.ts";

/**
 * Makes a language model of one backend: the provider interface
 * (`LanguageModelV4`) whose `doStream` speaks the backend's wire format.
 */
export type ModelFactory = (modelId: string) => LanguageModelV4;

/** A provider's module under `lib/llm/providers/`: its model factory, bound to a backend. */
export interface ProviderModule {
  create(backend: ResolvedBackend, fetch: FetchFunction): ModelFactory;
}

/**
 * The directory of the provider modules. The LLM worker is granted `read`
 * on it and nothing else: Deno prepares every dynamic import it can read in
 * a module's source, npm packages included (six `import("@ai-sdk/…")` here
 * made the worker resolve every provider's package, about 4 MB, to use
 * one), and a module it did not prepare may be imported only with `read` on
 * its file. A compiled binary embeds them (`--include lib/`).
 */
export const PROVIDER_MODULES_DIR: URL = new URL("./providers/", import.meta.url);

/** Each backend kind's module, named by URL so Deno does not prepare it ahead. */
// Spelled out as "./…" specifiers: a URL install copies the modules it finds named so (main.ts).
const PROVIDER_MODULES: Record<BackendKind, URL> = {
  "anthropic": new URL("./providers/anthropic.ts", import.meta.url),
  "openai": new URL("./providers/openai.ts", import.meta.url),
  "openai-compatible": new URL("./providers/openai_compatible.ts", import.meta.url),
  "ollama": new URL("./providers/ollama.ts", import.meta.url),
  "gemini": new URL("./providers/gemini.ts", import.meta.url),
  "bedrock": new URL("./providers/bedrock.ts", import.meta.url),
};

/** The module of a backend kind (imported once; later calls get the same module). */
function providerModule(kind: BackendKind): Promise<ProviderModule> {
  return importOnDemand<ProviderModule>(PROVIDER_MODULES[kind]);
}

/**
 * Imports the provider library of a backend kind, and nothing more: a later
 * {@linkcode loadProvider} of that kind finds it loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importProviderLibrary } from "./providers.ts";
 * // Resolves once the library is loaded; nothing is fetched.
 * assert.equal(await importProviderLibrary("openai-compatible"), undefined);
 * ```
 */
export async function importProviderLibrary(kind: BackendKind): Promise<void> {
  await providerModule(kind);
}

/**
 * Imports the provider library of `backend` and returns a model factory
 * bound to its settings and `fetch`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadProvider } from "./providers.ts";
 * import { resolveBackend } from "./config.ts";
 * const b = resolveBackend("anthropic", {}, () => "sk-test");
 * const factory = await loadProvider(b, fetch); // the worker passes its pooled fetch
 * const model = factory("claude-sonnet-4-5");
 * assert.equal(typeof model === "object" && model.modelId, "claude-sonnet-4-5");
 * ```
 */
export async function loadProvider(
  backend: ResolvedBackend,
  fetch: FetchFunction,
): Promise<ModelFactory> {
  return (await providerModule(backend.kind)).create(backend, fetch);
}
