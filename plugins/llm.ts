/**
 * `llm`: the LLM service worker. Wires {@linkcode LlmClient} into the plugin
 * contract. Permissions (see `lib/llm/permissions.ts`
 * `llmWorkerPermissions`): `net` = the configured providers' `host:port`,
 * `env` = their key variables.
 *
 * RPC: `chat` (streams {@linkcode LlmEvent}s), `preload`, `listModels`, `status`,
 * `health`, `stats`, `pricing`, `cost`, `resetBreaker`, `configure`. Event:
 * `breaker` `{ backend, state, previous }` on every circuit state change.
 *
 * A warm start (`init.warm`, see `lib/cli/llm_warm.ts`) spawns the worker
 * before the config is read: it imports the named provider libraries and
 * waits for `configure`, which the host sends only once the config's
 * permissions match the ones the worker got. Until then it serves nothing.
 *
 * @module
 */
import "../lib/plugin/guard.ts";
import { declared, definePlugin, serveWorker } from "../lib/plugin/define.ts";
import type { CallContext } from "../lib/rpc/peer.ts";
import { LlmClient } from "../lib/llm/client.ts";
import { coalesceText } from "../lib/llm/coalesce.ts";
import type { LlmConfig } from "../lib/llm/config.ts";
import { importProviderLibrary } from "../lib/llm/providers.ts";
import { LlmError } from "../lib/llm/errors.ts";
import type { BackendKind, ChatRequest, LlmEvent, LlmUsage } from "../lib/llm/types.ts";
import type { BreakerState } from "../lib/llm/breaker.ts";

/** Start data of the `llm` plugin: its config, or (warm start) the libraries to import meanwhile. */
export type LlmInit = { config: LlmConfig } | { warm: BackendKind[] };

/** `chat` parameters: a {@linkcode ChatRequest} without the signal (the call's own is used). */
export type ChatParams = Omit<ChatRequest, "signal">;

/** A warm-started worker asked to serve before the host configured it. */
class LlmNotConfiguredError extends LlmError {
  constructor() {
    super("LLM_NOT_CONFIGURED", "the llm service has not been given its config yet", {
      backend: "llm",
    });
    this.name = "LlmNotConfiguredError";
  }
}

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
    const create = (config: LlmConfig) =>
      new LlmClient({
        config,
        onBreakerChange: (backend, state, previous) =>
          ctx.emit("breaker", { backend, state, previous }),
      });
    let configured: LlmClient | undefined;
    if ("config" in init) configured = create(init.config);
    // Loaded while the host reads the config; a failed import is tried again by the first call.
    else for (const kind of init.warm) void importProviderLibrary(kind).catch(() => {});
    const client = (): LlmClient => {
      if (!configured) throw new LlmNotConfiguredError();
      return configured;
    };
    return {
      handlers: {
        /**
         * Streams one model call; cancelling the RPC aborts the HTTP stream at
         * once. Text is sent at most once per 16 ms window (one terminal frame),
         * so a stream costs a few messages, not one per token; any other event
         * flushes it, so the end of a turn is not delayed.
         */
        chat: (params: ChatParams, call: CallContext): AsyncGenerator<LlmEvent, void, undefined> =>
          coalesceText(client().chat({ ...params, signal: call.signal })),
        /** Imports the backend's provider library now, not at the first chat. */
        preload: (params: { backend?: string }) => client().preload(params?.backend),
        /** Models of a backend (default backend when omitted). */
        listModels: (params: { backend?: string }, call: CallContext) =>
          client().listModels(params?.backend, call.signal),
        /** Every backend: configured or not, with the variable to set. */
        status: () => client().status(),
        /** Circuit breaker state per backend (none before the config arrived). */
        health: () => configured?.health() ?? [],
        /** Call counters and connection pool figures. */
        stats: () => client().stats(),
        /** Pricing table in effect (USD per million tokens). */
        pricing: () => client().pricing(),
        /** Cost of a usage record. */
        cost: (params: { model: string; usage: LlmUsage; backend?: string }) =>
          client().cost(params.model, params.usage, params.backend),
        /** Closes a backend's circuit by hand. */
        resetBreaker: (params: { backend: string }) => client().resetBreaker(params.backend),
        /**
         * Gives a warm-started worker its config (once). The host sends it only
         * after checking this worker's permissions against the config's.
         */
        configure: (params: { config: LlmConfig }) => {
          if (configured) throw new Error("the llm service is configured already");
          configured = create(params.config);
        },
      },
      stop: () => configured?.close(),
    };
  },
});

serveWorker(llmPlugin);
