/**
 * Typed errors of the LLM layer. Each has a stable `code`, names the backend,
 * and says what to do. Own enumerable fields (`backend`, `status`,
 * `retryable`, `retryAfterMs`) travel over RPC as error data.
 *
 * @module
 */

import { McpchatError, type McpchatErrorOptions } from "../util/errors.ts";

/**
 * Base class of every LLM error.
 *
 * @example
 * ```ts
 * import { LlmError } from "./errors.ts";
 * const e = new LlmError("LLM_ERROR", "anthropic: boom", { backend: "anthropic" });
 * console.log(e.code, e.backend);
 * ```
 */
export class LlmError extends McpchatError {
  /** Backend name the error concerns. */
  readonly backend: string;
  /** True when trying again later may succeed (429, 5xx, connection errors). */
  readonly retryable: boolean;
  /** Creates the error: `code`, `message`, then the backend it concerns. */
  constructor(
    code: string,
    message: string,
    options: McpchatErrorOptions & { backend: string; retryable?: boolean },
  ) {
    super(code, message, options);
    this.name = "LlmError";
    this.backend = options.backend;
    this.retryable = options.retryable ?? false;
  }
}

/** An HTTP error answer from the provider. */
export class LlmHttpError extends LlmError {
  /** HTTP status. */
  readonly status: number;
  /** Delay the provider asked for (`Retry-After`), in ms. */
  readonly retryAfterMs?: number;
  /** Provider's own error message, if it sent one. */
  readonly providerMessage?: string;
  constructor(
    backend: string,
    status: number,
    code: string,
    advice: string,
    options?: ErrorOptions & {
      retryable?: boolean;
      retryAfterMs?: number;
      providerMessage?: string;
    },
  ) {
    const detail = options?.providerMessage ? ` (${options.providerMessage})` : "";
    super(code, `${backend}: ${status} ${statusText(status)}${detail} — ${advice}`, {
      ...options,
      backend,
    });
    this.name = "LlmHttpError";
    this.status = status;
    this.retryAfterMs = options?.retryAfterMs;
    this.providerMessage = options?.providerMessage;
  }
}

/** 401/403: the key is missing, wrong, or lacks access. */
export class LlmAuthError extends LlmHttpError {
  constructor(
    backend: string,
    status: number,
    keyHint: string,
    options?: ErrorOptions & { providerMessage?: string },
  ) {
    super(backend, status, "LLM_AUTH", `check ${keyHint}`, options);
    this.name = "LlmAuthError";
  }
}

/** 429: rate limited or out of quota. Retried. */
export class LlmRateLimitError extends LlmHttpError {
  constructor(
    backend: string,
    options?: ErrorOptions & { retryAfterMs?: number; providerMessage?: string },
  ) {
    super(
      backend,
      429,
      "LLM_RATE_LIMIT",
      "rate limited; wait and retry, or check the account's quota",
      { ...options, retryable: true },
    );
    this.name = "LlmRateLimitError";
  }
}

/** 5xx or 529: the provider failed. Retried. */
export class LlmServerError extends LlmHttpError {
  constructor(
    backend: string,
    status: number,
    options?: ErrorOptions & { retryAfterMs?: number; providerMessage?: string },
  ) {
    super(backend, status, "LLM_SERVER", "the provider failed; retry later", {
      ...options,
      retryable: true,
    });
    this.name = "LlmServerError";
  }
}

/** 404: unknown model or wrong base URL. */
export class LlmNotFoundError extends LlmHttpError {
  constructor(
    backend: string,
    model: string,
    options?: ErrorOptions & { providerMessage?: string },
  ) {
    super(
      backend,
      404,
      "LLM_NOT_FOUND",
      `model "${model}" or the endpoint does not exist; check the model id (/models) and base_url`,
      options,
    );
    this.name = "LlmNotFoundError";
  }
}

/** Any other 4xx: the request itself is wrong. Never retried. */
export class LlmBadRequestError extends LlmHttpError {
  constructor(
    backend: string,
    status: number,
    options?: ErrorOptions & { providerMessage?: string },
  ) {
    super(
      backend,
      status,
      "LLM_BAD_REQUEST",
      "the provider rejected the request; check the model, max_tokens and the conversation",
      options,
    );
    this.name = "LlmBadRequestError";
  }
}

/** The provider could not be reached, or the connection dropped before output. Retried. */
export class LlmConnectionError extends LlmError {
  constructor(backend: string, url: string, detail: string, options?: ErrorOptions) {
    super(
      "LLM_CONNECTION",
      `${backend}: cannot reach ${url} (${detail}) — check the network and base_url`,
      { ...options, retryable: true, backend },
    );
    this.name = "LlmConnectionError";
  }
}

/**
 * The endpoint answered with a web page (a proxy's error page, a login
 * portal, a wrong path), not the provider's API. Not retried.
 */
export class LlmHtmlResponseError extends LlmError {
  constructor(backend: string, url: string, status: number, options?: ErrorOptions) {
    super(
      "LLM_HTML_RESPONSE",
      `${backend} returned an HTML page, not an API response: check base_url (${url}, HTTP ${status})`,
      { ...options, backend },
    );
    this.name = "LlmHtmlResponseError";
  }
}

/** The worker may not reach the provider's host (not in its `net` permission). */
export class LlmPermissionError extends LlmError {
  constructor(backend: string, detail: string, options?: ErrorOptions) {
    super(
      "LLM_NOT_PERMITTED",
      `${backend}: the llm service is not allowed to reach this provider (${detail}) — backends added or changed after start need a restart of mcpchat`,
      { ...options, backend },
    );
    this.name = "LlmPermissionError";
  }
}

/** The stream broke after output was shown. Not retried: text would be duplicated. */
export class LlmStreamInterruptedError extends LlmError {
  constructor(backend: string, detail: string, options?: ErrorOptions) {
    super(
      "LLM_STREAM_INTERRUPTED",
      `${backend}: the response stream broke off mid-answer (${detail}); the partial answer is kept — ask again to continue`,
      { ...options, backend },
    );
    this.name = "LlmStreamInterruptedError";
  }
}

/** No chunk for too long, or the call as a whole took too long. */
export class LlmTimeoutError extends LlmError {
  /** Which limit fired. */
  readonly kind: "idle" | "overall";
  readonly timeoutMs: number;
  constructor(
    backend: string,
    kind: "idle" | "overall",
    timeoutMs: number,
    options?: ErrorOptions & { afterOutput?: boolean },
  ) {
    const what = kind === "idle"
      ? `no data for ${timeoutMs / 1000} s`
      : `the call took longer than ${timeoutMs / 1000} s`;
    const knob = kind === "idle" ? "llm.idle_timeout_seconds" : "llm.timeout_seconds";
    // After output was shown, the answer so far is in the session (marked interrupted).
    const { afterOutput, ...rest } = options ?? {};
    const kept = afterOutput ? "; the partial answer is kept" : "";
    super(
      "LLM_TIMEOUT",
      `${backend}: timed out (${what})${kept} — the provider is slow or stuck; retry, or raise ${knob}`,
      { ...rest, retryable: true, backend },
    );
    this.name = "LlmTimeoutError";
    this.kind = kind;
    this.timeoutMs = timeoutMs;
  }
}

/** The caller cancelled (Ctrl-C). */
export class LlmCancelledError extends LlmError {
  constructor(backend: string, options?: ErrorOptions) {
    super("LLM_CANCELLED", `${backend}: cancelled`, { ...options, backend });
    this.name = "AbortError";
  }
}

/** The circuit breaker is open: recent calls failed, so this one is refused at once. */
export class LlmCircuitOpenError extends LlmError {
  /** Milliseconds until a trial call is let through. */
  readonly retryInMs: number;
  constructor(backend: string, retryInMs: number) {
    super(
      "LLM_CIRCUIT_OPEN",
      `${backend}: temporarily disabled after repeated failures; next try in ${
        Math.ceil(retryInMs / 1000)
      } s (see /health), or switch with /backend`,
      { backend },
    );
    this.name = "LlmCircuitOpenError";
    this.retryInMs = retryInMs;
  }
}

/** The backend lacks a key or setting. */
export class LlmUnconfiguredError extends LlmError {
  constructor(backend: string, missing: string) {
    super("LLM_UNCONFIGURED", `${backend}: not configured — ${missing}`, { backend });
    this.name = "LlmUnconfiguredError";
  }
}

/**
 * The provider library of a backend could not be loaded: an installation
 * problem (a missing module, a package not in the cache), not the network.
 */
export class LlmProviderLoadError extends LlmError {
  constructor(backend: string, kind: string, detail: string, options?: ErrorOptions) {
    super(
      "LLM_PROVIDER_LOAD",
      `${backend}: the ${kind} provider library could not be loaded (${detail}) — ` +
        `this mcpchat installation is incomplete: run it again from its source, or reinstall it`,
      { ...options, backend },
    );
    this.name = "LlmProviderLoadError";
  }
}

/** No backend of that name. */
export class LlmUnknownBackendError extends LlmError {
  constructor(backend: string, known: string[]) {
    super(
      "LLM_UNKNOWN_BACKEND",
      `unknown backend "${backend}" — use one of: ${
        known.join(", ")
      }, or add [llm.backends.${backend}] with type and base_url`,
      { backend },
    );
    this.name = "LlmUnknownBackendError";
  }
}

/** The request has no model and the backend has no default. */
export class LlmNoModelError extends LlmError {
  constructor(backend: string) {
    super(
      "LLM_NO_MODEL",
      `${backend}: no model chosen — set llm.backends.${backend}.model, pass -m, or use /model`,
      { backend },
    );
    this.name = "LlmNoModelError";
  }
}

/** The provider answered with something we cannot use (malformed stream, error event). */
export class LlmProviderError extends LlmError {
  constructor(backend: string, detail: string, options?: ErrorOptions & { retryable?: boolean }) {
    super("LLM_PROVIDER", `${backend}: ${detail}`, { ...options, backend });
    this.name = "LlmProviderError";
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  408: "Request Timeout",
  409: "Conflict",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  529: "Overloaded",
};

/**
 * Reason phrase of an HTTP status.
 *
 * @example
 * ```ts
 * import { statusText } from "./errors.ts";
 * statusText(401); // "Unauthorized"
 * ```
 */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? "Server Error" : "Error");
}
