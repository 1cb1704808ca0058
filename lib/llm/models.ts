/**
 * Model listing per backend: the provider's model-list endpoint where one
 * exists (Anthropic and OpenAI `/v1/models`, Ollama `/api/tags`, Gemini
 * `models`), a known list otherwise or when the endpoint fails.
 *
 * @module
 */

import type { ResolvedBackend } from "./config.ts";
import { classifyError } from "./classify.ts";
import { LlmProviderError } from "./errors.ts";
import type { FetchFunction } from "./pool.ts";
import type { ModelPrice, PricingTable } from "./pricing.ts";
import type { BackendKind } from "./types.ts";
import { isRecord } from "../util/json.ts";

/** One model a backend offers. */
export interface ModelInfo {
  id: string;
  /** Display name, when the provider gives one. */
  name?: string;
  /** Context window, when known. */
  contextTokens?: number;
  /** Price from the pricing table, if listed. */
  price?: ModelPrice;
}

/** Result of `/models`. */
export interface ModelList {
  backend: string;
  /** `api`: fetched from the provider; `known`: the built-in list. */
  source: "api" | "known";
  models: ModelInfo[];
  /** Why the API could not be used (with `source: "known"`). */
  error?: string;
}

/** Models known to exist per provider (used when listing is impossible). */
export const KNOWN_MODELS: Readonly<Record<BackendKind, readonly string[]>> = {
  anthropic: [
    "claude-opus-4-5",
    "claude-opus-4-1",
    "claude-sonnet-4-5",
    "claude-sonnet-4-0",
    "claude-haiku-4-5",
    "claude-3-5-haiku-latest",
  ],
  openai: [
    "gpt-5",
    "gpt-5-mini",
    "gpt-5-nano",
    "gpt-4.1",
    "gpt-4.1-mini",
    "gpt-4o",
    "gpt-4o-mini",
    "o3",
    "o4-mini",
  ],
  "openai-compatible": [],
  ollama: ["llama3.2", "qwen2.5", "mistral"],
  gemini: ["gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash"],
  bedrock: [
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "anthropic.claude-3-5-haiku-20241022-v1:0",
    "amazon.nova-pro-v1:0",
    "amazon.nova-lite-v1:0",
    "amazon.nova-micro-v1:0",
    "meta.llama3-3-70b-instruct-v1:0",
  ],
};

interface Request {
  url: string;
  headers: Record<string, string>;
  parse: (body: unknown, read: AnswerReader) => { models: ModelInfo[]; next?: string };
}

/** `key` under `path` (`""` for the top of the answer). */
function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Reads a model-list answer field by field. A field of the wrong type is a
 * {@linkcode LlmProviderError} naming it (the list then falls back to the
 * known models, with that error), not a model with a junk id. `null` counts
 * as absent for optional fields, as OpenAI-compatible servers send it.
 */
class AnswerReader {
  readonly #backend: string;
  constructor(backend: string) {
    this.#backend = backend;
  }

  /** Throws the error for `path` not being `expected`. */
  fail(path: string, expected: string): never {
    throw new LlmProviderError(
      this.#backend,
      `the model list is not what the provider's API answers: ${path} is not ${expected}; ` +
        "check that base_url points at the provider's API",
    );
  }

  /** The answer itself, as an object. */
  object(body: unknown): Record<string, unknown> {
    return isRecord(body) ? body : this.fail("the answer", "a JSON object");
  }

  /** `body[key]`: a list of objects (absent: empty). */
  objects(body: Record<string, unknown>, key: string): Record<string, unknown>[] {
    const list = body[key] ?? [];
    if (!Array.isArray(list)) return this.fail(key, "a list");
    return list.map((item, i) => isRecord(item) ? item : this.fail(`${key}[${i}]`, "an object"));
  }

  /** `o[key]`, a string. */
  string(o: Record<string, unknown>, key: string, path: string): string {
    const v = o[key];
    return typeof v === "string" ? v : this.fail(at(path, key), "a string");
  }

  /** `o[key]`, a string or absent. */
  optionalString(o: Record<string, unknown>, key: string, path: string): string | undefined {
    const v = o[key] ?? undefined;
    return v === undefined ? undefined : this.string(o, key, path);
  }

  /** `o[key]`, a number or absent. */
  optionalNumber(o: Record<string, unknown>, key: string, path: string): number | undefined {
    const v = o[key] ?? undefined;
    if (v === undefined || typeof v === "number") return v;
    return this.fail(at(path, key), "a number");
  }

  /** `o[key]`, a boolean or absent. */
  optionalBoolean(o: Record<string, unknown>, key: string, path: string): boolean | undefined {
    const v = o[key] ?? undefined;
    if (v === undefined || typeof v === "boolean") return v;
    return this.fail(at(path, key), "true or false");
  }

  /** `o[key]`, a list of strings or absent. */
  optionalStrings(o: Record<string, unknown>, key: string, path: string): string[] | undefined {
    const v = o[key] ?? undefined;
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) return this.fail(at(path, key), "a list");
    return v.map((item, i) =>
      typeof item === "string" ? item : this.fail(`${at(path, key)}[${i}]`, "a string")
    );
  }
}

function requestFor(b: ResolvedBackend, pageToken?: string): Request | undefined {
  const bearer: Record<string, string> = b.apiKey ? { authorization: `Bearer ${b.apiKey}` } : {};
  switch (b.kind) {
    case "anthropic":
      return {
        url: `${b.baseUrl}/models?limit=1000${
          pageToken ? `&after_id=${encodeURIComponent(pageToken)}` : ""
        }`,
        headers: { "x-api-key": b.apiKey ?? "", "anthropic-version": "2023-06-01" },
        parse: (body, read) => {
          const o = read.object(body);
          return {
            models: read.objects(o, "data").map((m, i) => ({
              id: read.string(m, "id", `data[${i}]`),
              name: read.optionalString(m, "display_name", `data[${i}]`),
            })),
            next: read.optionalBoolean(o, "has_more", "")
              ? read.optionalString(o, "last_id", "")
              : undefined,
          };
        },
      };
    case "openai":
    case "openai-compatible":
      return {
        url: `${b.baseUrl}/models`,
        headers: bearer,
        parse: (body, read) => ({
          models: read.objects(read.object(body), "data").map((m, i) => ({
            id: read.string(m, "id", `data[${i}]`),
          })),
        }),
      };
    case "ollama":
      return {
        url: `${b.baseUrl}/api/tags`,
        headers: {},
        parse: (body, read) => ({
          models: read.objects(read.object(body), "models").map((m, i) => {
            const name = read.string(m, "name", `models[${i}]`);
            return { id: read.optionalString(m, "model", `models[${i}]`) ?? name, name };
          }),
        }),
      };
    case "gemini":
      return {
        url: `${b.baseUrl}/models?pageSize=1000${
          pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ""
        }`,
        headers: { "x-goog-api-key": b.apiKey ?? "" },
        parse: (body, read) => {
          const o = read.object(body);
          return {
            models: read.objects(o, "models").flatMap((m, i) => {
              const path = `models[${i}]`;
              const methods = read.optionalStrings(m, "supportedGenerationMethods", path);
              if (methods && !methods.includes("generateContent")) return [];
              return [{
                id: read.string(m, "name", path).replace(/^models\//, ""),
                name: read.optionalString(m, "displayName", path),
                contextTokens: read.optionalNumber(m, "inputTokenLimit", path),
              }];
            }),
            next: read.optionalString(o, "nextPageToken", "") || undefined,
          };
        },
      };
    case "bedrock":
      // Listing needs the control-plane host (bedrock.<region>), which the worker may not reach.
      return undefined;
  }
}

/**
 * Lists the models of `backend`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listModels } from "./models.ts";
 * import { PricingTable } from "./pricing.ts";
 * import { resolveBackend } from "./config.ts";
 * const b = resolveBackend("ollama", { backends: { ollama: {} } }, () => undefined);
 * // What Ollama's /api/tags answers (fetch is injected; the worker passes its pooled fetch).
 * const ollama = (url: string | URL | Request) =>
 *   Promise.resolve(
 *     String(url).endsWith("/api/tags")
 *       ? Response.json({ models: [{ name: "llama3.2:latest", model: "llama3.2:latest" }] })
 *       : new Response(null, { status: 404 }),
 *   );
 * const list = await listModels(b, ollama, new PricingTable());
 * assert.equal(list.source, "api"); // asked the server (not the built-in list)
 * assert.deepEqual(list.models.map((m) => m.id), ["llama3.2:latest"]);
 * ```
 */
export async function listModels(
  backend: ResolvedBackend,
  fetch: FetchFunction,
  pricing: PricingTable,
  signal?: AbortSignal,
): Promise<ModelList> {
  const withPrice = (m: ModelInfo): ModelInfo => {
    const price = pricing.lookup(m.id);
    return price ? { ...m, price } : m;
  };
  const known = (error?: string): ModelList => ({
    backend: backend.name,
    source: "known",
    models: [...new Set([backend.model, ...KNOWN_MODELS[backend.kind]])]
      .filter((id) => id)
      .map((id) => withPrice({ id })),
    ...(error ? { error } : {}),
  });
  if (!requestFor(backend)) return known();
  const models: ModelInfo[] = [];
  let pageToken: string | undefined;
  try {
    for (let page = 0; page < 20; page++) {
      const req = requestFor(backend, pageToken)!;
      const response = await fetch(req.url, { headers: req.headers, signal });
      const text = await response.text();
      if (!response.ok) {
        throw Object.assign(new Error(`HTTP ${response.status}`), {
          name: "AI_APICallError",
          statusCode: response.status,
          responseBody: text,
          responseHeaders: Object.fromEntries(response.headers),
        });
      }
      const parsed = req.parse(JSON.parse(text), new AnswerReader(backend.name));
      models.push(...parsed.models);
      pageToken = parsed.next;
      if (!pageToken) break;
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return known(classifyError(error, backend, backend.model, Date.now(), false).message);
  }
  models.sort((a, b) => a.id.localeCompare(b.id));
  return { backend: backend.name, source: "api", models: models.map(withPrice) };
}
