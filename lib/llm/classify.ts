/**
 * Turns whatever a provider library throws into one of our typed
 * {@linkcode LlmError}s, with the provider, HTTP status and advice.
 *
 * @module
 */

import type { ResolvedBackend } from "./config.ts";
import {
  LlmAuthError,
  LlmBadRequestError,
  LlmConnectionError,
  LlmError,
  LlmHtmlResponseError,
  LlmNotFoundError,
  LlmPermissionError,
  LlmProviderError,
  LlmRateLimitError,
  LlmServerError,
  LlmStreamInterruptedError,
} from "./errors.ts";
import { parseRetryAfter } from "./retry.ts";
import { isRecord } from "../util/json.ts";

/** The fields mcpchat reads of the AI SDK's `APICallError`. */
interface ApiCallFields {
  statusCode?: number;
  responseHeaders: Record<string, string>;
  responseBody?: string;
}

function isApiCallError(error: unknown): error is Error {
  return error instanceof Error && error.name === "AI_APICallError";
}

/**
 * The HTTP fields of an `APICallError`, each checked: the class is matched
 * by name (several copies of it coexist, one per provider package's
 * dependency), so its fields are read as data.
 */
function apiCallFields(error: Error): ApiCallFields {
  const statusCode = "statusCode" in error && typeof error.statusCode === "number"
    ? error.statusCode
    : undefined;
  const responseBody = "responseBody" in error && typeof error.responseBody === "string"
    ? error.responseBody
    : undefined;
  const responseHeaders: Record<string, string> = {};
  if ("responseHeaders" in error && isRecord(error.responseHeaders)) {
    for (const [name, value] of Object.entries(error.responseHeaders)) {
      if (typeof value === "string") responseHeaders[name] = value;
    }
  }
  return { statusCode, responseHeaders, responseBody };
}

/** The provider's own error message from a JSON error body, if any. */
export function providerMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    const pick = (v: unknown): string | undefined => {
      if (typeof v === "string") return v;
      if (isRecord(v)) return pick(v.message) ?? pick(v.error) ?? pick(v.Message);
      return undefined;
    };
    const found = Array.isArray(parsed) ? pick(parsed[0]) : pick(parsed);
    return found?.slice(0, 300);
  } catch {
    const text = body.trim();
    return text && text.length < 300 && !text.startsWith("<") ? text : undefined;
  }
}

/** What to check for a 401/403 of this backend. */
export function keyHint(backend: ResolvedBackend): string {
  if (backend.kind === "bedrock") {
    return "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the model access in the Bedrock console";
  }
  if (backend.apiKeyEnv) return backend.apiKeyEnv;
  return `the server's credentials (llm.backends.${backend.name}.api_key_env)`;
}

/** Describes an unknown error in a few words. */
function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : "";
    return `${error.message}${causeText}`.slice(0, 300);
  }
  return String(error).slice(0, 300);
}

/**
 * Classifies `error` from a call to `backend`. `emitted` says whether output
 * already reached the caller: a broken stream after output is not retryable.
 *
 * @example
 * ```ts
 * import { classifyError } from "./classify.ts";
 * import { resolveBackend } from "./config.ts";
 * const b = resolveBackend("openai", {}, () => "k");
 * const e = Object.assign(new Error("x"), { name: "AI_APICallError", statusCode: 401 });
 * console.log(classifyError(e, b, "gpt-4.1", 0, false).code); // "LLM_AUTH"
 * ```
 */
export function classifyError(
  error: unknown,
  backend: ResolvedBackend,
  model: string,
  now: number,
  emitted: boolean,
): LlmError {
  if (error instanceof LlmError) return error;
  // Our own fetch guard's verdict, wrapped by the provider library on its way out.
  const ours = findInCauses(error, (e) => e instanceof LlmError);
  if (ours) return ours;
  const name = backend.name;
  const api = isApiCallError(error) ? apiCallFields(error) : undefined;
  if (api?.statusCode !== undefined && api.statusCode >= 400) {
    const status = api.statusCode;
    const headers = api.responseHeaders;
    const message = providerMessage(api.responseBody);
    const retryAfterMs = parseRetryAfter(
      headers["retry-after"] ?? headers["Retry-After"],
      now,
    ) ?? msHeader(headers["retry-after-ms"]);
    const opts = { cause: error, providerMessage: message };
    if (status === 401 || status === 403) {
      return new LlmAuthError(name, status, keyHint(backend), opts);
    }
    if (status === 404) return new LlmNotFoundError(name, model, opts);
    if (status === 429) return new LlmRateLimitError(name, { ...opts, retryAfterMs });
    if (status >= 500) return new LlmServerError(name, status, { ...opts, retryAfterMs });
    if (status === 408) return new LlmServerError(name, status, { ...opts, retryAfterMs });
    return new LlmBadRequestError(name, status, opts);
  }
  const denied = findNotCapable(error);
  if (denied) return new LlmPermissionError(name, denied.message, { cause: error });
  if (emitted) return new LlmStreamInterruptedError(name, describe(error), { cause: error });
  if (error instanceof Error && error.name === "AI_NoOutputGeneratedError") {
    return new LlmConnectionError(name, backend.baseUrl, "the stream ended before any output", {
      cause: error,
    });
  }
  if (isApiCallError(error) || error instanceof TypeError || isConnectionError(error)) {
    return new LlmConnectionError(name, backend.baseUrl, describe(error), { cause: error });
  }
  // Error events inside an otherwise good stream (e.g. Anthropic `overloaded_error`).
  const text = describe(error);
  const overloaded = /overload|rate.?limit|throttl|unavailable|internal|timeout/i.test(text);
  const marked = error instanceof ProviderStreamError ? error.isRetryable : undefined;
  return new LlmProviderError(name, text, { cause: error, retryable: marked ?? overloaded });
}

function msHeader(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /connection|ECONNRESET|ECONNREFUSED|socket|network|body from connection|unexpected end|incomplete/i
    .test(describe(error));
}

/** The first error in `error`'s cause chain that `test` accepts. */
function findInCauses<T extends Error>(
  error: unknown,
  test: (e: Error) => e is T,
): T | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (test(e)) return e;
    e = e.cause;
  }
  return undefined;
}

/** An error event inside a provider's stream, as an `Error` (see {@linkcode streamError}). */
export class ProviderStreamError extends Error {
  override name = "ProviderStreamError";
  /** HTTP-like status the provider gave the event, if any (e.g. 529 for Anthropic overload). */
  readonly statusCode?: number;
  /** Whether the provider library marked it retryable. */
  readonly isRetryable?: boolean;
  constructor(
    message: string,
    options: { cause: unknown; statusCode?: number; isRetryable?: boolean },
  ) {
    super(message, { cause: options.cause });
    this.statusCode = options.statusCode;
    this.isRetryable = options.isRetryable;
  }
}

/**
 * The `error` part of a provider stream as an `Error`. Provider libraries
 * pass the provider's own error payload (`{ type, message }`, or one nested
 * under `error`), not always an `Error`: its message becomes the error's.
 *
 * @example
 * ```ts
 * import { streamError } from "./classify.ts";
 * const e = streamError({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
 * console.log(e instanceof Error, (e as Error).message); // true "Overloaded"
 * ```
 */
export function streamError(error: unknown): unknown {
  if (error instanceof Error || !isRecord(error)) return error;
  const outer = error;
  const record = (v: unknown) => isRecord(v) ? v : undefined;
  const details = typeof outer.message === "string"
    ? outer
    : record(outer.error) ?? record(record(outer.response)?.error) ?? outer;
  if (typeof details.message !== "string") return error;
  const status = [details.statusCode, outer.statusCode, details.status, outer.status]
    .find((v): v is number => typeof v === "number" && v >= 100 && v < 600);
  const retryable = [details.isRetryable, outer.isRetryable]
    .find((v): v is boolean => typeof v === "boolean");
  return new ProviderStreamError(details.message, {
    cause: error,
    statusCode: status,
    isRetryable: retryable,
  });
}

/**
 * A `fetch` that turns an HTML answer (any status) into
 * {@linkcode LlmHtmlResponseError}: no provider's API sends HTML, so the
 * base_url points at a web page.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { htmlGuard } from "./classify.ts";
 * import { LlmHtmlResponseError } from "./errors.ts";
 * // A base_url that points at a web server's page instead of an API (fetch is injected).
 * const webPage = () =>
 *   Promise.resolve(new Response("<html>…</html>", { headers: { "content-type": "text/html" } }));
 * const guarded = htmlGuard(webPage, "local", "http://localhost:8080");
 * await assert.rejects(guarded("http://localhost:8080/chat/completions"), LlmHtmlResponseError);
 * // JSON passes through untouched.
 * const api = () => Promise.resolve(Response.json({ ok: true }));
 * assert.equal((await htmlGuard(api, "local", "http://localhost:8080/v1")("x")).status, 200);
 * ```
 */
export function htmlGuard(
  fetch: typeof globalThis.fetch,
  backend: string,
  baseUrl: string,
): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const type = response.headers.get("content-type") ?? "";
    if (/^\s*text\/html/i.test(type)) {
      await response.body?.cancel().catch(() => {});
      throw new LlmHtmlResponseError(backend, baseUrl, response.status);
    }
    return response;
  };
}

/** Deno's permission error, anywhere in the cause chain. */
function findNotCapable(error: unknown): Error | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (e.name === "NotCapable" || e instanceof Deno.errors.NotCapable) return e;
    e = e.cause;
  }
  return undefined;
}
