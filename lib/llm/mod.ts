/**
 * LLM backends for mcpchat: one provider-neutral streaming `chat()` over
 * Anthropic, OpenAI, any OpenAI-compatible server, Ollama, Gemini and
 * Bedrock (through each AI SDK provider library's model, `doStream`, loaded
 * on first use), with retries, a circuit breaker per backend, timeouts,
 * cancellation, keep-alive pools, usage and cost.
 *
 * Importing this module loads no provider library: the backend's `@ai-sdk/*`
 * package is imported by its first `chat()` (or `preload`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlmClient } from "./mod.ts";
 * // Which backends can answer, before any call (`LlmClient` has a streaming example).
 * const env: Record<string, string> = { ANTHROPIC_API_KEY: "sk-test" };
 * const llm = new LlmClient({ config: { default: "anthropic" }, env: (name) => env[name] });
 * const anthropic = llm.status().find((b) => b.name === "anthropic");
 * assert.deepEqual([anthropic?.configured, anthropic?.isDefault], [true, true]);
 * assert.equal(llm.status().find((b) => b.name === "openai")?.missing, "set OPENAI_API_KEY");
 * llm.close();
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./errors.ts";
export {
  AWS_ENV,
  backendKind,
  backendNames,
  BUILTIN_BACKENDS,
  denoEnv,
  type EnvLookup,
  KIND_DEFAULTS,
  type LlmBackendConfig,
  type LlmConfig,
  resolveBackend,
  type ResolvedBackend,
  splitModelRef,
} from "./config.ts";
export {
  type BackendHealth,
  type BackendStatus,
  LlmClient,
  type LlmClientOptions,
  type LlmStats,
} from "./client.ts";
export { type BreakerSnapshot, type BreakerState, CircuitBreaker } from "./breaker.ts";
export {
  type CostTotals,
  CostTracker,
  DEFAULT_PRICES,
  formatCost,
  type ModelPrice,
  PricingTable,
} from "./pricing.ts";
export { KNOWN_MODELS, type ModelInfo, type ModelList } from "./models.ts";
export { HttpPool, type PoolStats } from "./pool.ts";
export { DEFAULT_RETRY, parseRetryAfter, retryDelay, type RetryOptions } from "./retry.ts";
export { hostPort, type LlmWorkerPermissions, llmWorkerPermissions } from "./permissions.ts";
export { type CoalesceOptions, coalesceText } from "./coalesce.ts";
