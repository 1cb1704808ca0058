/**
 * The LLM client: one provider-neutral `chat()` over every backend, with
 * retries, a circuit breaker per backend, timeouts, cancellation, pooled
 * connections, usage and cost. Usable directly (no worker needed); the `llm`
 * plugin wraps it.
 *
 * @module
 */

import { type Clock, sleep, systemClock } from "../util/clock.ts";
import { type BreakerSnapshot, type BreakerState, CircuitBreaker } from "./breaker.ts";
import { classifyError, htmlGuard, streamError } from "./classify.ts";
import {
  backendNames,
  BUILTIN_BACKENDS,
  denoEnv,
  type EnvLookup,
  type LlmConfig,
  resolveBackend,
  type ResolvedBackend,
  splitModelRef,
} from "./config.ts";
import {
  LlmCancelledError,
  LlmCircuitOpenError,
  LlmConnectionError,
  LlmError,
  LlmNoModelError,
  LlmProviderLoadError,
  LlmStreamInterruptedError,
  LlmTimeoutError,
  LlmUnconfiguredError,
  LlmUnknownBackendError,
} from "./errors.ts";
import { errorMessage } from "../util/errors.ts";
import type { LanguageModelV4StreamPart } from "@ai-sdk/provider";
import { toProviderPrompt } from "./messages.ts";
import { parseToolCall, providerTools } from "./tool_calls.ts";
import { listModels, type ModelList } from "./models.ts";
import { HttpPool, type PoolStats } from "./pool.ts";
import { type ModelPrice, PricingTable } from "./pricing.ts";
import { loadProvider, type ModelFactory } from "./providers.ts";
import { DEFAULT_RETRY, retryDelay, type RetryOptions } from "./retry.ts";
import type { BackendKind, ChatRequest, FinishReason, LlmEvent, LlmUsage } from "./types.ts";

/** Dependencies and settings of an {@linkcode LlmClient}. */
export interface LlmClientOptions {
  /** The `[llm]` config section. */
  config?: LlmConfig;
  /** Environment lookup (default: `Deno.env`, unreadable = unset). */
  env?: EnvLookup;
  clock?: Clock;
  /** Randomness for backoff jitter, in `[0, 1)`. */
  random?: () => number;
  /** Connection pools (default: a new one). */
  pool?: HttpPool;
  /** Called when a backend's breaker changes state (the plugin emits it). */
  onBreakerChange?: (backend: string, state: BreakerState, previous: BreakerState) => void;
}

/** One line of `/backend` (status of a backend). */
export interface BackendStatus {
  name: string;
  kind: BackendKind;
  configured: boolean;
  /** What to set when not configured, e.g. `set ANTHROPIC_API_KEY`. */
  missing?: string;
  model: string;
  baseUrl: string;
  isDefault: boolean;
  breaker: BreakerState;
}

/** One entry of `/health` for the LLM service. */
export interface BackendHealth extends BreakerSnapshot {
  backend: string;
}

/** Counters for `/stats`. */
export interface LlmStats {
  calls: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  retries: number;
  /** Provider libraries loaded so far (lazily). */
  providersLoaded: BackendKind[];
  pools: PoolStats[];
}

const OUTPUT_EVENTS = new Set(["text-delta", "reasoning-delta", "tool-call"]);

/**
 * Provider-neutral LLM client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlmClient } from "./client.ts";
 * // A model on 127.0.0.1 that speaks OpenAI's streaming format and always says "hi".
 * const chunk = (delta: unknown, finish: string | null = null) =>
 *   `data: ${JSON.stringify({
 *     id: "c1", object: "chat.completion.chunk", created: 0, model: "tiny",
 *     choices: [{ index: 0, delta, finish_reason: finish }],
 *   })}\n\n`;
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response(chunk({ role: "assistant", content: "hi" }) + chunk({}, "stop") + "data: [DONE]\n\n", {
 *     headers: { "content-type": "text/event-stream" },
 *   }));
 * const llm = new LlmClient({
 *   config: {
 *     default: "local",
 *     backends: {
 *       local: { type: "openai-compatible", base_url: `http://127.0.0.1:${server.addr.port}/v1`, model: "tiny" },
 *     },
 *   },
 *   env: () => undefined, // keys are read through this (Deno.env by default)
 * });
 * let text = "";
 * for await (const ev of llm.chat({ messages: [{ role: "user", content: "hello" }] })) {
 *   if (ev.type === "text-delta") text += ev.text;
 * }
 * assert.equal(text, "hi");
 * llm.close();
 * await server.shutdown();
 * ```
 */
export class LlmClient {
  readonly #config: LlmConfig;
  readonly #env: EnvLookup;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #pool: HttpPool;
  readonly #pricing: PricingTable;
  readonly #retry: RetryOptions;
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #providers = new Map<string, Promise<ModelFactory>>();
  readonly #backends = new Map<string, ResolvedBackend>();
  readonly #loadedKinds = new Set<BackendKind>();
  readonly #onBreakerChange?: LlmClientOptions["onBreakerChange"];
  readonly #stats = { calls: 0, succeeded: 0, failed: 0, cancelled: 0, retries: 0 };

  constructor(options: LlmClientOptions = {}) {
    this.#config = options.config ?? {};
    this.#env = options.env ?? denoEnv;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#pool = options.pool ?? new HttpPool({ clock: this.#clock });
    this.#pricing = new PricingTable(this.#config.pricing);
    this.#onBreakerChange = options.onBreakerChange;
    const r = this.#config.retry ?? {};
    this.#retry = {
      maxAttempts: Math.max(1, r.max_attempts ?? DEFAULT_RETRY.maxAttempts),
      baseMs: r.base_ms ?? DEFAULT_RETRY.baseMs,
      maxMs: r.max_ms ?? DEFAULT_RETRY.maxMs,
    };
  }

  /** Name of the backend used when a request names none. */
  defaultBackend(): string {
    if (this.#config.default) return this.#config.default;
    const names = backendNames(this.#config);
    return names.find((n) => this.backend(n, false).configured) ?? "anthropic";
  }

  /**
   * Resolves a backend by name (or kind). With `require` (default), throws
   * when it is unknown or lacks its key.
   */
  backend(name?: string, require = true): ResolvedBackend {
    const key = name ?? this.defaultBackend();
    let resolved = this.#backends.get(key);
    if (!resolved) {
      const names = backendNames(this.#config);
      if (!names.includes(key)) throw new LlmUnknownBackendError(key, names);
      resolved = resolveBackend(key, this.#config, this.#env);
      this.#backends.set(key, resolved);
    }
    if (require && !resolved.configured) {
      throw new LlmUnconfiguredError(resolved.name, resolved.missing ?? "not configured");
    }
    return resolved;
  }

  /**
   * Streams one model call. Retries (429, 5xx, connection errors, idle
   * timeouts) happen only before any output and are announced by `retry`
   * events. Ends with `usage` then `finish`, or throws an {@linkcode LlmError}.
   */
  async *chat(request: ChatRequest): AsyncGenerator<LlmEvent, void, undefined> {
    const ref = request.model
      ? splitModelRef(request.model, backendNames(this.#config))
      : { model: "" };
    const backend = this.backend(request.backend ?? ref.backend);
    const model = ref.model || backend.model;
    if (!model) throw new LlmNoModelError(backend.name);
    this.#stats.calls++;
    const breaker = this.#breaker(backend.name);
    const overallMs = (this.#config.timeout_seconds ?? 600) * 1000;
    const idleMs = (this.#config.idle_timeout_seconds ?? 120) * 1000;
    const deadline = this.#clock.now() + overallMs;
    const call = new AbortController();
    const overallTimer = this.#clock.setTimeout(
      () => call.abort(new LlmTimeoutError(backend.name, "overall", overallMs)),
      overallMs,
    );
    const onCallerAbort = () =>
      call.abort(new LlmCancelledError(backend.name, { cause: request.signal?.reason }));
    if (request.signal?.aborted) onCallerAbort();
    request.signal?.addEventListener("abort", onCallerAbort, { once: true });
    // Stays "cancelled" when the consumer stops reading early.
    let outcome: "ok" | "failed" | "cancelled" = "cancelled";
    try {
      yield { type: "start", backend: backend.name, kind: backend.kind, model };
      for (let attempt = 1;; attempt++) {
        if (call.signal.aborted) throw call.signal.reason;
        const permit = breaker.tryAcquire();
        if (!permit) throw new LlmCircuitOpenError(backend.name, breaker.retryInMs());
        let emitted = false;
        try {
          for await (const event of this.#attempt(backend, model, request, call.signal, idleMs)) {
            if (OUTPUT_EVENTS.has(event.type)) emitted = true;
            yield event;
          }
          permit.success();
          outcome = "ok";
          return;
        } catch (raw) {
          let error = call.signal.aborted && call.signal.reason instanceof LlmError
            ? call.signal.reason
            : classifyError(raw, backend, model, this.#clock.now(), emitted);
          if (error instanceof LlmTimeoutError && emitted) {
            error = new LlmTimeoutError(backend.name, error.kind, error.timeoutMs, {
              cause: error,
              afterOutput: true,
            });
          }
          if (error instanceof LlmStreamInterruptedError && !emitted) {
            // Nothing reached the user yet: a dropped connection, safe to retry.
            error = new LlmConnectionError(backend.name, backend.baseUrl, error.message, {
              cause: error,
            });
          }
          if (error instanceof LlmCancelledError) throw error;
          const delay = emitted ? undefined : retryDelay(error, attempt, this.#retry, this.#random);
          // A call's retries are one failure to the breaker, not one each: a single failed
          // turn must not disable the backend for the next one. A trial while half-open is
          // the probe itself: its failure counts at once and is not retried.
          const last = delay === undefined || this.#clock.now() + delay >= deadline ||
            breaker.state !== "closed";
          if (last) {
            if (countsAgainstProvider(error)) permit.failure(error.message);
            throw error;
          }
          this.#stats.retries++;
          yield { type: "retry", attempt, delayMs: delay, reason: error.message, code: error.code };
          try {
            await sleep(this.#clock, delay, call.signal);
          } catch {
            throw call.signal.reason;
          }
        } finally {
          permit.release();
        }
      }
    } catch (error) {
      outcome = error instanceof LlmCancelledError ? "cancelled" : "failed";
      throw error;
    } finally {
      this.#clock.clearTimeout(overallTimer);
      request.signal?.removeEventListener("abort", onCallerAbort);
      if (outcome === "ok") this.#stats.succeeded++;
      else if (outcome === "cancelled") this.#stats.cancelled++;
      else this.#stats.failed++;
    }
  }

  async *#attempt(
    backend: ResolvedBackend,
    modelId: string,
    request: ChatRequest,
    callSignal: AbortSignal,
    idleMs: number,
  ): AsyncGenerator<LlmEvent, void, undefined> {
    const factory = await this.#provider(backend);
    const attempt = new AbortController();
    const onCallAbort = () => attempt.abort(callSignal.reason);
    if (callSignal.aborted) attempt.abort(callSignal.reason);
    callSignal.addEventListener("abort", onCallAbort, { once: true });
    // One timer for the idle limit, moved on only when it fires: a part just notes the time
    // (re-arming a timer for each of hundreds of parts a second costs more than the parsing).
    let lastPart = this.#clock.now();
    const onIdle = () => {
      const quiet = this.#clock.now() - lastPart;
      if (quiet >= idleMs) attempt.abort(new LlmTimeoutError(backend.name, "idle", idleMs));
      else idleTimer = this.#clock.setTimeout(onIdle, idleMs - quiet);
    };
    let idleTimer = this.#clock.setTimeout(onIdle, idleMs);
    let completed = false;
    let reader: ReadableStreamDefaultReader<LanguageModelV4StreamPart> | undefined;
    // An abort surfaces as a generic AbortError: report why we aborted.
    const why = (error: unknown) => attempt.signal.aborted ? attempt.signal.reason : error;
    try {
      const offered = request.tools ?? [];
      // One model call straight through the provider library: its wire format,
      // no orchestration on top (our retries, timeouts and tool loop are ours).
      let stream: ReadableStream<LanguageModelV4StreamPart>;
      try {
        ({ stream } = await factory(modelId).doStream({
          prompt: toProviderPrompt(request.messages, request.system),
          ...(offered.length
            ? { tools: providerTools(offered), toolChoice: { type: "auto" as const } }
            : {}),
          temperature: request.temperature ?? this.#config.temperature,
          maxOutputTokens: request.maxTokens ?? this.#config.max_tokens,
          abortSignal: attempt.signal,
          includeRawChunks: false,
        }));
      } catch (error) {
        throw why(error);
      }
      reader = stream.getReader();
      const names = offered.map((t) => t.name);
      let usage: LlmUsage | undefined;
      let reason: FinishReason | "interrupted" | undefined;
      while (true) {
        let next: ReadableStreamReadResult<LanguageModelV4StreamPart>;
        try {
          next = await reader.read();
        } catch (error) {
          throw why(error);
        }
        if (next.done) break;
        const part = next.value;
        lastPart = this.#clock.now();
        switch (part.type) {
          case "text-delta":
            if (part.delta) yield { type: "text-delta", text: part.delta };
            break;
          case "reasoning-delta":
            if (part.delta) yield { type: "reasoning-delta", text: part.delta };
            break;
          case "tool-call": {
            if (part.providerExecuted) break; // not ours to run (no provider tools are offered)
            const parsed = parseToolCall(part.toolName, part.input, names);
            yield {
              type: "tool-call",
              id: part.toolCallId,
              name: part.toolName,
              arguments: parsed.arguments,
              ...(parsed.error ? { error: parsed.error } : {}),
            };
            break;
          }
          case "finish": {
            const u = part.usage;
            usage = {
              inputTokens: u.inputTokens.total ?? 0,
              outputTokens: u.outputTokens.total ?? 0,
              ...(u.inputTokens.cacheRead ? { cachedInputTokens: u.inputTokens.cacheRead } : {}),
            };
            reason = part.finishReason.unified;
            break;
          }
          case "error":
            throw why(streamError(part.error));
        }
      }
      if (attempt.signal.aborted) throw attempt.signal.reason;
      if (!usage || !reason || reason === "interrupted") {
        throw new LlmStreamInterruptedError(
          backend.name,
          "the connection closed before the provider signalled the end",
        );
      }
      completed = true;
      yield {
        type: "usage",
        ...usage,
        cost: this.#pricing.cost(modelId, usage, backend.kind),
      };
      yield { type: "finish", reason };
    } finally {
      this.#clock.clearTimeout(idleTimer);
      callSignal.removeEventListener("abort", onCallAbort);
      // Consumer stopped early or the call failed: drop the HTTP stream now.
      if (!completed && !attempt.signal.aborted) {
        attempt.abort(new LlmCancelledError(backend.name));
      }
      if (!completed) reader?.cancel().catch(() => {});
    }
  }

  #provider(backend: ResolvedBackend): Promise<ModelFactory> {
    let factory = this.#providers.get(backend.name);
    if (!factory) {
      factory = loadProvider(
        backend,
        htmlGuard(this.#pool.fetchFor(backend.baseUrl), backend.name, backend.baseUrl),
      ).catch((error: unknown) => {
        // Not the network's fault: say so, and do not retry it as a connection error.
        throw new LlmProviderLoadError(backend.name, backend.kind, errorMessage(error), {
          cause: error,
        });
      });
      factory.then(() => this.#loadedKinds.add(backend.kind), () => {});
      // A failed import may succeed later (e.g. cache filled); do not keep the rejection.
      factory.catch(() => this.#providers.delete(backend.name));
      this.#providers.set(backend.name, factory);
    }
    return factory;
  }

  #breaker(name: string): CircuitBreaker {
    let breaker = this.#breakers.get(name);
    if (!breaker) {
      const b = this.#config.breaker ?? {};
      breaker = new CircuitBreaker({
        failureThreshold: b.failure_threshold,
        resetMs: b.reset_seconds !== undefined ? b.reset_seconds * 1000 : undefined,
        halfOpenSuccesses: b.half_open_successes,
        clock: this.#clock,
        onStateChange: (state, previous) => this.#onBreakerChange?.(name, state, previous),
      });
      this.#breakers.set(name, breaker);
    }
    return breaker;
  }

  /**
   * Loads the provider library of `backend` ahead of the first
   * call (e.g. in the background once the prompt is shown). Returns what it
   * took, in ms.
   */
  async preload(backend?: string): Promise<{ backend: string; kind: BackendKind; ms: number }> {
    const b = this.backend(backend);
    const started = performance.now();
    await this.#provider(b);
    return { backend: b.name, kind: b.kind, ms: performance.now() - started };
  }

  /** Models of a backend: from its API where one exists, else a known list. */
  listModels(backend?: string, signal?: AbortSignal): Promise<ModelList> {
    const b = this.backend(backend);
    return listModels(
      b,
      htmlGuard(this.#pool.fetchFor(b.baseUrl), b.name, b.baseUrl),
      this.#pricing,
      signal,
    );
  }

  /** Every backend, configured or not, with what to set. */
  status(): BackendStatus[] {
    const def = this.defaultBackend();
    return backendNames(this.#config).map((name) => {
      const b = this.backend(name, false);
      return {
        name,
        kind: b.kind,
        configured: b.configured,
        ...(b.missing ? { missing: b.missing } : {}),
        model: b.model,
        baseUrl: b.baseUrl,
        isDefault: name === def,
        breaker: this.#breakers.get(name)?.state ?? "closed",
      };
    });
  }

  /** Breaker state of every configured or used backend. */
  health(): BackendHealth[] {
    const names = new Set([
      ...backendNames(this.#config).filter((n) => this.backend(n, false).configured),
      ...this.#breakers.keys(),
    ]);
    return [...names].map((name) => ({ backend: name, ...this.#breaker(name).snapshot() }));
  }

  /** Closes the breaker of `backend` by hand. */
  resetBreaker(backend: string): void {
    this.#breaker(this.backend(backend, false).name).reset();
  }

  /** Counters and pool figures. */
  stats(): LlmStats {
    return {
      ...this.#stats,
      providersLoaded: [...this.#loadedKinds],
      pools: this.#pool.stats(),
    };
  }

  /** The pricing table in effect. */
  pricing(): Record<string, ModelPrice> {
    return this.#pricing.entries();
  }

  /** Cost of a usage record for `model` (USD or `"unknown"`). */
  cost(model: string, usage: LlmUsage, backend?: string) {
    const kind = backend ? this.backend(backend, false).kind : undefined;
    return this.#pricing.cost(model, usage, kind);
  }

  /** Releases pooled connections. */
  close(): void {
    this.#pool.close();
  }
}

/** Built-in backend names, re-exported for completion lists. */
export const BUILTIN_BACKEND_NAMES: readonly string[] = BUILTIN_BACKENDS;

function countsAgainstProvider(error: LlmError): boolean {
  return error.retryable || error.code === "LLM_STREAM_INTERRUPTED";
}
