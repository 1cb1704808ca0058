/**
 * Lazily loaded provider libraries. Each `@ai-sdk/*` module is imported on
 * first use of its backend, so an unused provider costs nothing at start-up.
 * Keys, base URLs and region are always passed explicitly: the libraries
 * must not read the environment (the worker may not be allowed to).
 *
 * @module
 */

import type { LanguageModelV4 } from "@ai-sdk/provider";
import type { ResolvedBackend } from "./config.ts";
import type { FetchFunction } from "./pool.ts";
import type { BackendKind } from "./types.ts";

/**
 * Makes a language model of one backend: the provider interface
 * (`LanguageModelV4`) whose `doStream` speaks the backend's wire format.
 */
export type ModelFactory = (modelId: string) => LanguageModelV4;

/**
 * Imports the provider library of a backend kind, and nothing more: a later
 * {@linkcode loadProvider} of that kind finds it loaded. Needs no permission.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { importProviderLibrary } from "./providers.ts";
 * // Resolves once the library is loaded; nothing is fetched or read.
 * assert.equal(await importProviderLibrary("openai-compatible"), undefined);
 * ```
 */
export async function importProviderLibrary(kind: BackendKind): Promise<void> {
  switch (kind) {
    case "anthropic":
      await import("@ai-sdk/anthropic");
      return;
    case "openai":
      await import("@ai-sdk/openai");
      return;
    case "openai-compatible":
      await import("@ai-sdk/openai-compatible");
      return;
    case "ollama":
      await import("ollama-ai-provider-v2");
      return;
    case "gemini":
      await import("@ai-sdk/google");
      return;
    case "bedrock":
      await import("@ai-sdk/amazon-bedrock");
      return;
  }
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
  const headers = backend.headers;
  switch (backend.kind) {
    case "anthropic": {
      const { createAnthropic } = await import("@ai-sdk/anthropic");
      const p = createAnthropic({
        apiKey: backend.apiKey,
        baseURL: backend.baseUrl,
        headers,
        fetch,
      });
      return (id) => p.languageModel(id);
    }
    case "openai": {
      const { createOpenAI } = await import("@ai-sdk/openai");
      const p = createOpenAI({ apiKey: backend.apiKey, baseURL: backend.baseUrl, headers, fetch });
      // Chat Completions: the wire format every OpenAI-compatible server shares.
      return (id) => p.chat(id);
    }
    case "openai-compatible": {
      const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
      const p = createOpenAICompatible({
        name: backend.name,
        baseURL: backend.baseUrl,
        apiKey: backend.apiKey,
        headers,
        fetch,
        includeUsage: true,
      });
      return (id) => p.chatModel(id);
    }
    case "ollama": {
      const { createOllama } = await import("ollama-ai-provider-v2");
      const p = createOllama({ baseURL: `${backend.baseUrl}/api`, headers, fetch });
      return (id) => p(id);
    }
    case "gemini": {
      const { createGoogleGenerativeAI } = await import("@ai-sdk/google");
      const p = createGoogleGenerativeAI({
        apiKey: backend.apiKey,
        baseURL: backend.baseUrl,
        headers,
        fetch,
      });
      return (id) => p(id);
    }
    case "bedrock": {
      const { createAmazonBedrock } = await import("@ai-sdk/amazon-bedrock");
      const aws = backend.aws ?? {};
      const p = createAmazonBedrock({
        region: backend.region,
        baseURL: backend.baseUrl,
        headers,
        fetch,
        ...(aws.bearerToken ? { apiKey: aws.bearerToken } : {}),
        // A credential provider keeps the library from reading AWS_* itself.
        credentialProvider: () =>
          Promise.resolve({
            accessKeyId: aws.accessKeyId ?? "",
            secretAccessKey: aws.secretAccessKey ?? "",
            sessionToken: aws.sessionToken,
          }),
      });
      return (id) => p(id);
    }
  }
}
