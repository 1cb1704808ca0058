/**
 * The agentic tool loop: model → tools → model, until the model answers
 * without asking for tools or the turn limit is reached. Used by one-shot
 * mode, the REPL and server mode alike; everything it touches is injected.
 *
 * @module
 */

import type {
  ChatRequest,
  Cost,
  JsonValue,
  LlmEvent,
  LlmMessage,
  LlmToolCall,
  LlmToolSpec,
  LlmUsage,
} from "../llm/types.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import type { ApprovalDecision, ToolCallRequest } from "./approval.ts";
import { type ToolResultLike, toolResultText } from "./convert.ts";
import { type ContextOptions, modelView } from "./context.ts";
import type { AnswerCheckpoint } from "./checkpoint.ts";

/** A tool the model may call, with where it lives. */
export interface AgentTool extends LlmToolSpec {
  server: string;
  tool: string;
}

/** Progress of a running tool call. */
export interface ToolProgress {
  progress: number;
  total?: number;
  message?: string;
}

/** What the loop needs from the rest of mcpchat. */
export interface AgentDeps {
  /** Streams one model call. */
  chat(request: Omit<ChatRequest, "signal">, signal: AbortSignal): AsyncIterable<LlmEvent>;
  /** Tools to offer the model. */
  tools(signal: AbortSignal): Promise<AgentTool[]>;
  /**
   * Extra system instructions, asked before every model call (MCP servers'
   * `instructions` for the servers connected by then).
   */
  instructions?(signal: AbortSignal): Promise<string | undefined>;
  /** Runs a tool; `callId` ties progress notifications to this call. */
  callTool(
    call: { server: string; tool: string; arguments: Record<string, unknown>; callId: string },
    signal: AbortSignal,
  ): Promise<ToolResultLike>;
  /** Decides whether a call may run (policy, then the user if one is there). */
  approve(call: ToolCallRequest, signal: AbortSignal): Promise<ApprovalDecision>;
  /**
   * Starts committing one streamed answer (see `AnswerCheckpoint`): it is
   * stored while it streams and finally as complete or interrupted. Without
   * it, answers go through `record` when they end.
   */
  answer?(): AnswerCheckpoint;
  /** Persists a message as soon as it exists (the store commits it). */
  record?(
    message: LlmMessage,
    meta: { model?: string; usage?: LlmUsage; cost?: number },
  ): Promise<void>;
  clock?: Clock;
}

/** Options of one user turn. */
export interface AgentOptions {
  backend?: string;
  model?: string;
  system?: string;
  temperature?: number;
  maxTokens?: number;
  /** Model calls allowed in this turn (default 25). */
  maxTurns?: number;
  /** Keep what the model is sent within this budget (a view: `history` keeps everything). */
  context?: ContextOptions;
}

/** A tool call as reported to the user and in JSON output. */
export interface ToolCallRecord {
  id: string;
  name: string;
  server: string;
  tool: string;
  arguments: JsonValue;
  /** Result text given to the model. */
  result?: string;
  isError: boolean;
  /** `denied` when not approved, `invalid` when the model's call was unusable. */
  status: "ok" | "error" | "denied" | "invalid";
  durationMs: number;
}

/** Events of a turn, for live display and `stream-json`. */
export type AgentEvent =
  | LlmEvent
  | { type: "model-call"; turn: number }
  | {
    type: "tool-start";
    id: string;
    name: string;
    server: string;
    tool: string;
    arguments: JsonValue;
  }
  | { type: "tool-end"; call: ToolCallRecord };

/** Why the loop ended. */
export type StopReason = "answered" | "max-turns" | "length" | "content-filter";

/** The outcome of one user turn. */
export interface AgentResult {
  answer: string;
  toolCalls: ToolCallRecord[];
  usage: LlmUsage;
  /** USD, or `"unknown"` when some model's price is not known. */
  cost: Cost;
  /** Model calls made. */
  turns: number;
  stopReason: StopReason;
  backend?: string;
  model?: string;
}

/** A tool the model named does not exist (a hallucinated or stale name). */
const UNKNOWN_TOOL = (name: string) =>
  `There is no tool named "${name}". Use one of the tools offered.`;

/**
 * Runs one user turn through the tool loop, yielding events as they happen
 * and returning the result. `history` is extended in place with every
 * message of the turn (user, assistant, tool results) and never trimmed:
 * the model is sent a view of it ({@linkcode modelView}). An answer cut
 * short (Ctrl-C, a stream error) is still added and stored, marked
 * interrupted with the reason, and a tool call left without a result gets
 * one saying so, before the error is rethrown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type AgentDeps, runAgentTurn } from "./agent.ts";
 * import type { LlmEvent, LlmMessage } from "../llm/types.ts";
 * // A scripted model: first it asks for the tool, then it answers with the result.
 * async function* model(request: { messages: LlmMessage[] }): AsyncIterable<LlmEvent> {
 *   const last = request.messages.at(-1);
 *   if (last?.role === "user") {
 *     yield { type: "tool-call", id: "c1", name: "calc__add", arguments: { a: 2, b: 40 } };
 *     yield { type: "finish", reason: "tool-calls" };
 *   } else {
 *     yield { type: "text-delta", text: "It is 42." };
 *     yield { type: "finish", reason: "stop" };
 *   }
 * }
 * const deps: AgentDeps = {
 *   chat: (request) => model(request),
 *   tools: () =>
 *     Promise.resolve([{
 *       name: "calc__add",
 *       server: "calc",
 *       tool: "add",
 *       inputSchema: { type: "object" },
 *     }]),
 *   callTool: ({ arguments: args }) =>
 *     Promise.resolve({ content: [{ type: "text", text: String(Number(args.a) + Number(args.b)) }] }),
 *   approve: () => Promise.resolve("allow"),
 * };
 * const history: LlmMessage[] = [];
 * const loop = runAgentTurn(history, "What is 2+40? Use the tool.", deps, { maxTurns: 5 }, new AbortController().signal);
 * const seen: string[] = [];
 * let step = await loop.next();
 * while (!step.done) {
 *   seen.push(step.value.type);
 *   step = await loop.next();
 * }
 * assert.equal(step.value.answer, "It is 42.");
 * assert.equal(step.value.toolCalls[0].result, "42");
 * assert.ok(seen.includes("tool-start") && seen.includes("tool-end"));
 * assert.deepEqual(history.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
 * ```
 */
export async function* runAgentTurn(
  history: LlmMessage[],
  userText: string,
  deps: AgentDeps,
  options: AgentOptions,
  signal: AbortSignal,
): AsyncGenerator<AgentEvent, AgentResult, undefined> {
  const clock = deps.clock ?? systemClock;
  const maxTurns = options.maxTurns ?? 25;
  const user: LlmMessage = { role: "user", content: userText };
  history.push(user);
  await deps.record?.(user, {});
  const usage: LlmUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  let cost: Cost = 0;
  const records: ToolCallRecord[] = [];
  let answer = "";
  let backend: string | undefined;
  let model: string | undefined;
  let stopReason: StopReason = "max-turns";
  let turn = 0;
  while (turn < maxTurns) {
    turn++;
    // Listed before every model call: servers add and remove tools (list_changed) mid-turn.
    const tools = await deps.tools(signal);
    const extra = await deps.instructions?.(signal);
    const system = [options.system, extra].filter(Boolean).join("\n\n") || undefined;
    const byName = new Map(tools.map((t) => [t.name, t]));
    const specs: LlmToolSpec[] = tools.map(({ name, description, inputSchema }) => ({
      name,
      description,
      inputSchema,
    }));
    yield { type: "model-call", turn };
    let text = "";
    const calls: (LlmToolCall & { error?: string })[] = [];
    let turnUsage: LlmUsage | undefined;
    let turnCost: Cost | undefined;
    let finish: string | undefined;
    const draft = deps.answer?.();
    const soFar = (): LlmMessage & { role: "assistant" } => ({
      role: "assistant",
      content: text,
      ...(calls.length
        ? { toolCalls: calls.map(({ id, name, arguments: a }) => ({ id, name, arguments: a })) }
        : {}),
    });
    let ended = false;
    let failure: unknown;
    try {
      for await (
        const event of deps.chat({
          backend: options.backend,
          model: options.model,
          system,
          messages: modelView(history, options.context),
          tools: specs.length ? specs : undefined,
          temperature: options.temperature,
          maxTokens: options.maxTokens,
        }, signal)
      ) {
        yield event;
        switch (event.type) {
          case "start":
            backend = event.backend;
            model = event.model;
            break;
          case "text-delta":
            text += event.text;
            draft?.update(soFar());
            break;
          case "tool-call":
            calls.push({
              id: event.id,
              name: event.name,
              arguments: event.arguments,
              error: event.error,
            });
            draft?.update(soFar());
            break;
          case "usage":
            turnUsage = event;
            turnCost = event.cost;
            usage.inputTokens += event.inputTokens;
            usage.outputTokens += event.outputTokens;
            usage.cachedInputTokens = (usage.cachedInputTokens ?? 0) +
              (event.cachedInputTokens ?? 0);
            cost = cost === "unknown" || event.cost === "unknown" ? "unknown" : cost + event.cost;
            break;
          case "finish":
            finish = event.reason;
            break;
        }
      }
      ended = true;
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      if (!ended) {
        // What was shown is kept: the partial answer, marked with why it stopped (its
        // tool calls never ran, so they are not part of it).
        const partial: LlmMessage = {
          role: "assistant",
          content: text,
          interrupted: interruptionReason(failure, signal),
        };
        history.push(partial);
        const meta = { model, usage: turnUsage && usageOf(turnUsage) };
        // A store failing on the way out is not reported over the reason the turn stopped.
        const stored = draft ? draft.finish(partial, meta) : deps.record?.(partial, meta);
        await stored?.catch(() => {});
      }
    }
    const assistant = soFar();
    history.push(assistant);
    const meta = {
      model,
      usage: turnUsage && usageOf(turnUsage),
      cost: typeof turnCost === "number" ? turnCost : undefined,
    };
    if (draft) await draft.finish(assistant, meta);
    else await deps.record?.(assistant, meta);
    if (text) answer = text;
    if (calls.length === 0) {
      stopReason = finish === "length"
        ? "length"
        : finish === "content-filter"
        ? "content-filter"
        : "answered";
      break;
    }
    let finished: ToolCallRecord[] = [];
    let toolsEnded = false;
    let toolFailure: unknown;
    try {
      // Approvals are asked one at a time (a person answers them); approved calls then run in parallel.
      const plans: {
        call: LlmToolCall & { error?: string };
        tool?: AgentTool;
        verdict: "run" | "denied" | "invalid";
        reason?: string;
      }[] = [];
      for (const call of calls) {
        const tool = byName.get(call.name);
        if (call.error || !tool) {
          plans.push({
            call,
            tool,
            verdict: "invalid",
            reason: call.error ?? UNKNOWN_TOOL(call.name),
          });
          continue;
        }
        const decision = await deps.approve(
          { name: call.name, server: tool.server, tool: tool.tool, arguments: call.arguments },
          signal,
        );
        plans.push({ call, tool, verdict: decision === "allow" ? "run" : "denied" });
      }
      const running = plans.map(async (plan): Promise<ToolCallRecord> => {
        const { call, tool } = plan;
        const base = {
          id: call.id,
          name: call.name,
          server: tool?.server ?? "",
          tool: tool?.tool ?? call.name,
          arguments: call.arguments,
        };
        if (plan.verdict === "invalid") {
          return { ...base, result: plan.reason, isError: true, status: "invalid", durationMs: 0 };
        }
        if (plan.verdict === "denied") {
          return {
            ...base,
            result: "The user did not approve this tool call.",
            isError: true,
            status: "denied",
            durationMs: 0,
          };
        }
        const started = clock.now();
        try {
          const args = typeof call.arguments === "object" && call.arguments !== null &&
              !Array.isArray(call.arguments)
            ? call.arguments
            : {};
          const result = await deps.callTool(
            { server: base.server, tool: base.tool, arguments: args, callId: call.id },
            signal,
          );
          return {
            ...base,
            result: toolResultText(result),
            isError: result.isError === true,
            status: result.isError ? "error" : "ok",
            durationMs: clock.now() - started,
          };
        } catch (error) {
          if (signal.aborted) throw error;
          return {
            ...base,
            result: `Tool call failed: ${error instanceof Error ? error.message : String(error)}`,
            isError: true,
            status: "error",
            durationMs: clock.now() - started,
          };
        }
      });
      for (const plan of plans) {
        if (plan.verdict !== "run") continue;
        yield {
          type: "tool-start",
          id: plan.call.id,
          name: plan.call.name,
          server: plan.tool!.server,
          tool: plan.tool!.tool,
          arguments: plan.call.arguments,
        };
      }
      // Each call's end is told as it happens (a quick call is not held back by a slow one);
      // the results go into the history in the model's order below.
      const pending = new Map(running.map((p, i) => [i, p.then((r) => [i, r] as const)]));
      const done: ToolCallRecord[] = [];
      while (pending.size > 0) {
        const [i, record] = await Promise.race(pending.values());
        pending.delete(i);
        done[i] = record;
        yield { type: "tool-end", call: record };
      }
      finished = done;
      toolsEnded = true;
    } catch (error) {
      toolFailure = error;
      throw error;
    } finally {
      if (!toolsEnded) {
        // Every call gets a result, or the next request would be rejected by the provider.
        const why = interruptionReason(toolFailure, signal);
        for (const call of calls) {
          const message: LlmMessage = {
            role: "tool",
            toolCallId: call.id,
            name: call.name,
            content: `The tool call did not finish: ${why}.`,
            isError: true,
          };
          history.push(message);
          await deps.record?.(message, {});
        }
      }
    }
    for (const record of finished) {
      records.push(record);
      const message: LlmMessage = {
        role: "tool",
        toolCallId: record.id,
        name: record.name,
        content: record.result ?? "",
        isError: record.isError || undefined,
      };
      history.push(message);
      await deps.record?.(message, {});
    }
  }
  return { answer, toolCalls: records, usage, cost, turns: turn, stopReason, backend, model };
}

function usageOf(u: LlmUsage): LlmUsage {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cachedInputTokens: u.cachedInputTokens,
  };
}

/**
 * Why a turn stopped early, in words for the session: the abort's reason
 * (Ctrl-C, a signal) or the error (a broken stream, a timeout).
 *
 * @example
 * ```ts
 * import { interruptionReason } from "./agent.ts";
 * interruptionReason(new Error("the stream ended early"), new AbortController().signal);
 * // "the stream ended early"
 * ```
 */
export function interruptionReason(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) {
    const reason = signal.reason;
    const message = reason instanceof Error ? reason.message : String(reason ?? "");
    if (
      !message || message === "interrupted" ||
      /^(the operation was aborted|signal is aborted)/i.test(message)
    ) {
      return "cancelled by Ctrl-C";
    }
    return message;
  }
  if (error === undefined) return "the turn was stopped";
  return error instanceof Error ? error.message : String(error);
}
