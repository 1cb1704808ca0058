/**
 * `llm`: the LLM service worker. Wires {@linkcode LlmClient} into the plugin
 * contract. Permissions (see `lib/llm/permissions.ts`
 * `llmWorkerPermissions`): `net` = the configured providers' `host:port`,
 * `env` = their key variables, `sys: ["hostname"]`.
 *
 * RPC: `chat` (streams {@linkcode LlmEvent}s), `preload`, `listModels`, `status`,
 * `health`, `stats`, `pricing`, `cost`, `resetBreaker`. Event: `breaker`
 * `{ backend, state, previous }` on every circuit state change.
 *
 * @module
 */
import "../lib/plugin/guard.ts";
import { type CallContext, declared, definePlugin, serveWorker } from "../lib/plugin/mod.ts";
import { LlmClient } from "../lib/llm/client.ts";
import { coalesceText } from "../lib/llm/coalesce.ts";
import type { LlmConfig } from "../lib/llm/config.ts";
import type { ChatRequest, LlmEvent, LlmUsage } from "../lib/llm/types.ts";
import type { BreakerState } from "../lib/llm/breaker.ts";

/** Start data of the `llm` plugin. */
export interface LlmInit {
  /** The `[llm]` config section. */
  config: LlmConfig;
}

/** `chat` parameters: a {@linkcode ChatRequest} without the signal (the call's own is used). */
export type ChatParams = Omit<ChatRequest, "signal">;

/** Events of the `llm` plugin. */
export interface LlmEvents {
  /** A backend's circuit breaker changed state. */
  breaker: { backend: string; state: BreakerState; previous: BreakerState };
}

/** The `llm` plugin. */
export const llmPlugin = definePlugin({
  name: "llm",
  events: declared<LlmEvents>(),
  start(init: LlmInit, ctx) {
    const client = new LlmClient({
      config: init.config,
      onBreakerChange: (backend, state, previous) =>
        ctx.emit("breaker", { backend, state, previous }),
    });
    return {
      handlers: {
        /**
         * Streams one model call; cancelling the RPC aborts the HTTP stream at
         * once. Text is sent at most once per 16 ms window (one terminal frame),
         * so a stream costs a few messages, not one per token; any other event
         * flushes it, so the end of a turn is not delayed.
         */
        chat: (params: ChatParams, call: CallContext): AsyncGenerator<LlmEvent, void, undefined> =>
          coalesceText(client.chat({ ...params, signal: call.signal })),
        /** Imports `npm:ai` and the backend's provider library now, not at the first chat. */
        preload: (params: { backend?: string }) => client.preload(params?.backend),
        /** Models of a backend (default backend when omitted). */
        listModels: (params: { backend?: string }, call: CallContext) =>
          client.listModels(params?.backend, call.signal),
        /** Every backend: configured or not, with the variable to set. */
        status: () => client.status(),
        /** Circuit breaker state per backend. */
        health: () => client.health(),
        /** Call counters and connection pool figures. */
        stats: () => client.stats(),
        /** Pricing table in effect (USD per million tokens). */
        pricing: () => client.pricing(),
        /** Cost of a usage record. */
        cost: (params: { model: string; usage: LlmUsage; backend?: string }) =>
          client.cost(params.model, params.usage, params.backend),
        /** Closes a backend's circuit by hand. */
        resetBreaker: (params: { backend: string }) => client.resetBreaker(params.backend),
      },
      stop: () => client.close(),
    };
  },
});

serveWorker(llmPlugin);
