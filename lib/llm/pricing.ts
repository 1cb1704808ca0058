/**
 * Token prices and cost accounting. Prices are USD per million tokens; a
 * model missing from the table costs `"unknown"`, never 0 (except local
 * Ollama models, which cost nothing).
 *
 * @module
 */

import type { BackendKind, Cost, LlmUsage } from "./types.ts";

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Price of input tokens read from the prompt cache; `input` when absent. */
  cachedInput?: number;
}

/**
 * Built-in prices (USD per million tokens, list prices as published by each
 * provider; standard tier, prompts under 200k tokens). Override or extend
 * with `[llm.pricing."model-id"]`. Keys match a model id exactly or as its
 * longest prefix followed by `-`, `:`, `@` or `.` (dated snapshots).
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic
  "claude-opus-4-5": { input: 5, output: 25, cachedInput: 0.5 },
  "claude-opus-4-1": { input: 15, output: 75, cachedInput: 1.5 },
  "claude-opus-4": { input: 15, output: 75, cachedInput: 1.5 },
  "claude-sonnet-4-5": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-sonnet-4": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-3-7-sonnet": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-3-5-sonnet": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-haiku-4-5": { input: 1, output: 5, cachedInput: 0.1 },
  "claude-3-5-haiku": { input: 0.8, output: 4, cachedInput: 0.08 },
  "claude-3-haiku": { input: 0.25, output: 1.25, cachedInput: 0.03 },
  // OpenAI
  "gpt-5": { input: 1.25, output: 10, cachedInput: 0.125 },
  "gpt-5-mini": { input: 0.25, output: 2, cachedInput: 0.025 },
  "gpt-5-nano": { input: 0.05, output: 0.4, cachedInput: 0.005 },
  "gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
  "o3": { input: 2, output: 8, cachedInput: 0.5 },
  "o3-mini": { input: 1.1, output: 4.4, cachedInput: 0.55 },
  "o4-mini": { input: 1.1, output: 4.4, cachedInput: 0.275 },
  // Google Gemini
  "gemini-2.5-pro": { input: 1.25, output: 10, cachedInput: 0.125 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5, cachedInput: 0.03 },
  "gemini-2.5-flash-lite": { input: 0.1, output: 0.4, cachedInput: 0.01 },
  "gemini-2.0-flash": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "gemini-2.0-flash-lite": { input: 0.075, output: 0.3 },
  // Amazon Bedrock (Anthropic models on Bedrock resolve to the entries above)
  "amazon.nova-pro": { input: 0.8, output: 3.2, cachedInput: 0.2 },
  "amazon.nova-lite": { input: 0.06, output: 0.24, cachedInput: 0.015 },
  "amazon.nova-micro": { input: 0.035, output: 0.14, cachedInput: 0.00875 },
  "meta.llama3-3-70b-instruct": { input: 0.72, output: 0.72 },
};

/** `[llm.pricing]` as written in config (snake_case). */
export type PricingConfig = Record<
  string,
  { input: number; output: number; cached_input?: number }
>;

/** Cost of one or more calls, split by kind of token. */
export interface CostBreakdown {
  input: number;
  cachedInput: number;
  output: number;
  total: number;
}

/** Strips routing prefixes so `us.anthropic.claude-…` and `models/gemini-…` find their price. */
function normalizeModelId(model: string): string {
  let id = model.trim().toLowerCase();
  id = id.replace(/^models\//, "");
  id = id.replace(/^(us|eu|apac|au|jp|ca|global)\.(?=[a-z]+\.)/, "");
  id = id.replace(/^anthropic\./, "");
  const slash = id.lastIndexOf("/");
  if (slash >= 0) id = id.slice(slash + 1);
  return id;
}

/**
 * The pricing table: built-in prices overlaid with config.
 *
 * @example
 * ```ts
 * import { PricingTable } from "./pricing.ts";
 * const table = new PricingTable({ "my-model": { input: 1, output: 2 } });
 * table.cost("claude-sonnet-4-5-20250929", { inputTokens: 1_000_000, outputTokens: 0 }); // 3
 * table.cost("my-model", { inputTokens: 0, outputTokens: 1_000_000 }); // 2
 * table.cost("mystery", { inputTokens: 10, outputTokens: 10 }); // "unknown"
 * ```
 */
export class PricingTable {
  readonly #prices = new Map<string, ModelPrice>();

  constructor(overrides: PricingConfig = {}) {
    for (const [id, price] of Object.entries(DEFAULT_PRICES)) this.#prices.set(id, price);
    for (const [id, p] of Object.entries(overrides)) {
      this.#prices.set(id.toLowerCase(), {
        input: p.input,
        output: p.output,
        cachedInput: p.cached_input,
      });
    }
  }

  /** Price of `model`: exact id, then the longest matching prefix. */
  lookup(model: string): ModelPrice | undefined {
    const exact = this.#prices.get(model.toLowerCase());
    if (exact) return exact;
    const id = normalizeModelId(model);
    const direct = this.#prices.get(id);
    if (direct) return direct;
    let best: string | undefined;
    for (const key of this.#prices.keys()) {
      if (id.length > key.length && id.startsWith(key) && "-:@.".includes(id[key.length])) {
        if (!best || key.length > best.length) best = key;
      }
    }
    return best ? this.#prices.get(best) : undefined;
  }

  /** Cost split by token kind, or `undefined` when the price is unknown. */
  breakdown(model: string, usage: LlmUsage, kind?: BackendKind): CostBreakdown | undefined {
    const price = this.lookup(model) ?? (kind === "ollama" ? { input: 0, output: 0 } : undefined);
    if (!price) return undefined;
    const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
    const input = ((usage.inputTokens - cached) * price.input) / 1e6;
    const cachedInput = (cached * (price.cachedInput ?? price.input)) / 1e6;
    const output = (usage.outputTokens * price.output) / 1e6;
    return { input, cachedInput, output, total: input + cachedInput + output };
  }

  /** Total cost in USD, or `"unknown"`. Local Ollama models cost 0. */
  cost(model: string, usage: LlmUsage, kind?: BackendKind): Cost {
    return this.breakdown(model, usage, kind)?.total ?? "unknown";
  }

  /** Every price, for `/cost` and the `pricing` RPC. */
  entries(): Record<string, ModelPrice> {
    return Object.fromEntries(this.#prices);
  }
}

/** Running totals of a session. */
export interface CostTotals {
  turns: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** Sum of the turns whose cost is known. */
  knownCost: number;
  /** Turns whose model has no price. */
  unknownTurns: number;
  /** `knownCost`, or `"unknown"` when no turn had a price. */
  cost: Cost;
}

/**
 * Accumulates per-turn usage into per-session totals (for `/cost`, `/tokens`).
 *
 * @example
 * ```ts
 * import { CostTracker } from "./pricing.ts";
 * const tracker = new CostTracker();
 * tracker.add({ inputTokens: 10, outputTokens: 5 }, 0.001);
 * tracker.add({ inputTokens: 10, outputTokens: 5 }, "unknown");
 * console.log(tracker.totals()); // { turns: 2, ..., knownCost: 0.001, unknownTurns: 1, cost: 0.001 }
 * ```
 */
export class CostTracker {
  #totals: CostTotals = {
    turns: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    knownCost: 0,
    unknownTurns: 0,
    cost: "unknown",
  };

  /** Adds one model call. */
  add(usage: LlmUsage, cost: Cost): void {
    const t = this.#totals;
    t.turns++;
    t.inputTokens += usage.inputTokens;
    t.outputTokens += usage.outputTokens;
    t.cachedInputTokens += usage.cachedInputTokens ?? 0;
    if (cost === "unknown") t.unknownTurns++;
    else t.knownCost += cost;
    t.cost = t.turns > t.unknownTurns ? t.knownCost : "unknown";
  }

  /** A copy of the totals. */
  totals(): CostTotals {
    return { ...this.#totals };
  }

  /** Starts over (e.g. `/new`). */
  reset(): void {
    this.#totals = new CostTracker().totals();
  }
}

/**
 * Formats a cost for display: `$0.0123`, `<$0.0001`, or `unknown`.
 *
 * @example
 * ```ts
 * import { formatCost } from "./pricing.ts";
 * formatCost(0.01234); // "$0.0123"
 * formatCost("unknown"); // "unknown"
 * ```
 */
export function formatCost(cost: Cost): string {
  if (cost === "unknown") return "unknown";
  if (cost === 0) return "$0";
  if (cost < 0.0001) return "<$0.0001";
  return `$${cost < 1 ? cost.toFixed(4) : cost.toFixed(2)}`;
}
