/**
 * Traces and metrics through Deno's built-in OpenTelemetry. Deno 2.9 exports
 * OTLP itself when the process starts with `OTEL_DENO=true` (no
 * `--unstable-otel` needed any more), to `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (default `http://localhost:4318`, `http/protobuf`; `http/json` on
 * request), and registers its providers with `npm:@opentelemetry/api`, which
 * is what this module uses. Workers export their own spans and metrics the
 * same way, whatever their permissions: the exporter lives in the runtime,
 * not in JavaScript.
 *
 * Everything here is a no-op when telemetry is off: the API's default
 * providers record nothing, and {@linkcode telemetryEnabled} lets callers skip
 * even loading it.
 *
 * Spans (all `mcpchat.*`): `chat` (one model call, streamed), `tool` (one MCP
 * tool call), `store` (one store operation), `rpc` (a call served inside a
 * worker). Metrics: `mcpchat.llm.calls`, `mcpchat.tool.calls`,
 * `mcpchat.store.operations`, `mcpchat.restarts` (counters) and
 * `mcpchat.*.duration` (histograms, ms).
 *
 * @module
 */

import type { Attributes, Context, Counter, Histogram, Span, Tracer } from "@opentelemetry/api";

import { exporterRunning, type TelemetryEnv } from "./switch.ts";

type Api = typeof import("@opentelemetry/api");

let forced: boolean | undefined;

/**
 * Whether this process exports telemetry (Deno's own switches, `OTEL_DENO`
 * and `OTEL_SDK_DISABLED`; `[telemetry] enabled` works through them, see
 * `./switch.ts`).
 * A worker cannot read the environment; its host tells it
 * ({@linkcode setTelemetryEnabled}).
 *
 * @example
 * ```ts
 * import { telemetryEnabled } from "./mod.ts";
 * console.log(telemetryEnabled({ OTEL_DENO: "true" })); // true
 * ```
 */
export function telemetryEnabled(env?: TelemetryEnv): boolean {
  if (env === undefined && forced !== undefined) return forced;
  // Deno's own rule (OTEL_SDK_DISABLED wins; only true/false count): when Deno does not
  // export, recording spans would only cost the API's load.
  return exporterRunning(env ?? safeEnv());
}

/** Switches instrumentation on or off in this isolate (set by a worker's host). */
export function setTelemetryEnabled(on: boolean): void {
  forced = on;
}

function safeEnv(): TelemetryEnv {
  try {
    return {
      OTEL_DENO: Deno.env.get("OTEL_DENO"),
      OTEL_SDK_DISABLED: Deno.env.get("OTEL_SDK_DISABLED"),
    };
  } catch {
    // A worker without env permission: its host tells it (see lib/plugin).
    return {};
  }
}

/** The instruments, made once per isolate. */
export interface Telemetry {
  tracer: Tracer;
  counter(name: string): Counter;
  histogram(name: string): Histogram;
  api: Api;
}

let loaded: Promise<Telemetry> | undefined;
/** The API once loaded, for the synchronous {@linkcode currentTraceparent}. */
let ready: Api | undefined;

/**
 * Loads `@opentelemetry/api` (once) and returns the instruments.
 *
 * @example
 * ```ts
 * import { telemetry } from "./mod.ts";
 * const t = await telemetry();
 * t.counter("mcpchat.example").add(1); // recorded only under OTEL_DENO=true
 * ```
 */
export function telemetry(): Promise<Telemetry> {
  loaded ??= import("@opentelemetry/api").then((api) => {
    ready = api;
    const tracer = api.trace.getTracer("mcpchat");
    const meter = api.metrics.getMeter("mcpchat");
    const counters = new Map<string, Counter>();
    const histograms = new Map<string, Histogram>();
    return {
      api,
      tracer,
      counter: (name) => {
        let c = counters.get(name);
        if (!c) counters.set(name, c = meter.createCounter(name));
        return c;
      },
      histogram: (name) => {
        let h = histograms.get(name);
        if (!h) histograms.set(name, h = meter.createHistogram(name, { unit: "ms" }));
        return h;
      },
    };
  });
  return loaded;
}

/** What one instrumented operation is. */
export interface OperationSpec {
  /** Span name, e.g. `mcpchat.tool`. */
  span: string;
  /** Counter and histogram prefix, e.g. `mcpchat.tool` → `mcpchat.tool.calls`, `…duration`. */
  metric: string;
  /** The counter's suffix (default `calls`). */
  counter?: string;
  attributes: Attributes;
}

function finish(t: Telemetry, spec: OperationSpec, span: Span, started: number, error?: unknown) {
  const outcome = error === undefined ? "ok" : "error";
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: t.api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
  const attributes = { ...spec.attributes, outcome };
  t.counter(`${spec.metric}.${spec.counter ?? "calls"}`).add(1, attributes);
  t.histogram(`${spec.metric}.duration`).record(performance.now() - started, attributes);
}

/**
 * Runs `run` inside a span, and counts and times it; errors are recorded
 * and rethrown. Without telemetry it only calls `run`.
 *
 * @example
 * ```ts
 * import { traced } from "./mod.ts";
 * const n = await traced({ span: "mcpchat.example", metric: "mcpchat.example", attributes: {} }, () => Promise.resolve(42));
 * console.log(n); // 42
 * ```
 */
export async function traced<T>(
  spec: OperationSpec,
  run: () => Promise<T>,
  parent?: string,
): Promise<T> {
  if (!telemetryEnabled()) return await run();
  const t = await telemetry();
  const started = performance.now();
  return await t.tracer.startActiveSpan(
    spec.span,
    { attributes: spec.attributes },
    parentContext(t.api, parent),
    async (span) => {
      try {
        const result = await run();
        finish(t, spec, span, started);
        return result;
      } catch (error) {
        finish(t, spec, span, started, error);
        throw error;
      }
    },
  );
}

/**
 * Wraps a stream in a span that lasts from the first pull to its end (or
 * its error, or the consumer breaking out); `onChunk` may add attributes.
 * The source is pulled inside the span's context, so what it calls (RPC,
 * fetch) becomes the span's child.
 *
 * @example
 * ```ts
 * import { tracedStream } from "./mod.ts";
 * async function* numbers() { yield 1; yield 2; }
 * const seen: number[] = [];
 * for await (const n of tracedStream({ span: "mcpchat.example", metric: "mcpchat.example", attributes: {} }, numbers())) seen.push(n);
 * console.log(seen); // [ 1, 2 ]
 * ```
 */
export async function* tracedStream<T>(
  spec: OperationSpec,
  source: AsyncIterable<T>,
  onChunk?: (chunk: T, span: Span) => void,
  parent?: string,
): AsyncGenerator<T, void, undefined> {
  if (!telemetryEnabled()) {
    yield* source;
    return;
  }
  yield* spanned(await telemetry(), spec, source[Symbol.asyncIterator](), onChunk, parent);
}

/**
 * Pulls `iterator` to its end inside one span (the source is pulled in the
 * span's context, so what it calls becomes the span's child); the span ends
 * with the iteration, its error, or the consumer breaking out (which closes
 * the source too). The one loop behind {@linkcode tracedStream} and
 * {@linkcode tracedTurn}.
 */
async function* spanned<T, R>(
  t: Telemetry,
  spec: OperationSpec,
  iterator: AsyncIterator<T, R, undefined>,
  onChunk?: (chunk: T, span: Span) => void,
  parent?: string,
): AsyncGenerator<T, R, undefined> {
  const started = performance.now();
  const span = t.tracer.startSpan(
    spec.span,
    { attributes: spec.attributes },
    parentContext(t.api, parent),
  );
  const inside = t.api.trace.setSpan(t.api.context.active(), span);
  let failure: unknown;
  let done = false;
  try {
    while (true) {
      const step = await t.api.context.with(inside, () => iterator.next());
      if (step.done) {
        done = true;
        return step.value;
      }
      onChunk?.(step.value, span);
      yield step.value;
    }
  } catch (error) {
    done = true;
    failure = error;
    throw error;
  } finally {
    if (!done) await iterator.return?.();
    finish(t, spec, span, started, failure);
  }
}

/**
 * The W3C `traceparent` of the active span, for a request to another
 * isolate; `undefined` when there is none (or telemetry never loaded).
 *
 * @example
 * ```ts
 * import { currentTraceparent } from "./mod.ts";
 * console.log(currentTraceparent()); // undefined outside any span
 * ```
 */
export function currentTraceparent(): string | undefined {
  const span = ready?.trace.getSpan(ready.context.active());
  const sc = span?.spanContext();
  if (!sc || !ready?.isSpanContextValid(sc)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & 1) ? "01" : "00"}`;
}

/** The context whose parent is the remote span of `traceparent` (or the active one). */
function parentContext(api: Api, traceparent: string | undefined): Context {
  const active = api.context.active();
  const match = traceparent &&
    /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
  if (!match) return active;
  return api.trace.setSpanContext(active, {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16),
    isRemote: true,
  });
}

/**
 * Counts one restart of a supervised child (and marks it as a span event on
 * a short span, so traces show it on the timeline).
 *
 * @example
 * ```ts
 * import { recordRestart } from "./mod.ts";
 * await recordRestart("store", "root", "crashed");
 * ```
 */
export async function recordRestart(id: string, supervisor: string, reason: string): Promise<void> {
  if (!telemetryEnabled()) return;
  const t = await telemetry();
  const attributes = { "mcpchat.child": id, "mcpchat.supervisor": supervisor };
  t.counter("mcpchat.restarts").add(1, attributes);
  const span = t.tracer.startSpan("mcpchat.restart", { attributes });
  span.addEvent("restarted", { reason });
  span.end();
}

/**
 * Wraps a plugin's RPC handlers so that each call served inside the worker
 * is a `mcpchat.rpc` span (attributes `mcpchat.plugin`, `rpc.method`), with
 * the `mcpchat.rpc.calls` counter and duration. Streams are spanned from
 * first to last chunk.
 *
 * @example
 * ```ts
 * import { traceHandlers } from "./mod.ts";
 * const handlers = traceHandlers("echo", { echo: (p: { text: string }) => p.text });
 * console.log(await handlers.echo({ text: "hi" })); // hi
 * ```
 */
export function traceHandlers<H extends object>(plugin: string, handlers: H): H {
  const wrapped: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(handlers)) {
    if (typeof fn !== "function") {
      wrapped[method] = fn;
      continue;
    }
    const spec: OperationSpec = {
      span: "mcpchat.rpc",
      metric: "mcpchat.rpc",
      attributes: { "mcpchat.plugin": plugin, "rpc.method": method },
    };
    wrapped[method] = (params: unknown, call?: { traceparent?: string }) => {
      const parent = call?.traceparent;
      const result = fn.call(handlers, params, call);
      if (
        result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function"
      ) {
        return tracedStream(spec, result as AsyncIterable<unknown>, undefined, parent);
      }
      return traced(spec, () => Promise.resolve(result), parent);
    };
  }
  return wrapped as H;
}

/**
 * Wraps one chat turn (the agentic loop's generator) in a `mcpchat.turn`
 * span; the model calls, tool calls and stored messages of the turn, and the
 * calls they make into the workers, become its children: one trace per turn.
 *
 * @example
 * ```ts
 * import { tracedTurn } from "./mod.ts";
 * async function* turn() { yield "answer"; }
 * for await (const event of tracedTurn(turn(), { "mcpchat.session": "s1" })) console.log(event);
 * ```
 */
export async function* tracedTurn<T, R>(
  turn: AsyncGenerator<T, R, undefined>,
  attributes: Attributes = {},
): AsyncGenerator<T, R, undefined> {
  if (!telemetryEnabled()) return yield* turn;
  const spec: OperationSpec = {
    span: "mcpchat.turn",
    metric: "mcpchat.turn",
    counter: "count",
    attributes,
  };
  return yield* spanned(await telemetry(), spec, turn);
}
