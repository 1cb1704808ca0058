/**
 * The one wiring of the agentic loop to mcpchat's services, shared by the
 * REPL and one-shot mode (they differ only in how a tool call is approved).
 *
 * @module
 */

import type { AgentDeps, AgentTool } from "../chat/agent.ts";
import type { JsonValue } from "../util/json.ts";
import type { ContextOptions } from "../chat/context.ts";
import type { Config } from "../config/schema.ts";
import type { ApprovalDecision, ToolCallRequest } from "../chat/approval.ts";
import type { PluginRef } from "../plugin/ref.ts";
import type { LlmSurface, McpSurface } from "./runtime.ts";
import type { SessionRecorder } from "./sessions.ts";
import { traced, tracedStream } from "../telemetry/mod.ts";
import type { McpRequestRouter, RequestRoute } from "./request_router.ts";

/** How long a chat turn waits for servers that are still connecting. */
export const TOOL_LIST_WAIT_MS = 10_000;

/** What {@linkcode agentDeps} wires together. */
export interface AgentServices {
  llm: PluginRef<LlmSurface>;
  /** The MCP manager, when servers are configured. */
  mcp?: PluginRef<McpSurface>;
  /** Decides each call that the policy did not already allow. */
  approve(call: ToolCallRequest, signal: AbortSignal): Promise<ApprovalDecision>;
  /** Stores each message as it happens (absent: nothing is stored). */
  recorder?: SessionRecorder;
  /** Told at each listing which servers' tools could not be listed (often none). */
  onToolErrors?(errors: ToolListError[]): void;
  /**
   * Who answers the sampling and elicitation requests of a server while this chat calls
   * one of its tools (lib/cli/request_router.ts); absent: the manager's own handlers.
   */
  requests?: { router: McpRequestRouter; route: RequestRoute };
}

/**
 * Dependencies of `runAgentTurn` over the plugins: streamed model calls with
 * no RPC timeout (the LLM worker bounds them itself), namespaced MCP tools,
 * tool calls through the manager, and recording into the session store.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./args.ts";
 * import { CommandContext } from "./context.ts";
 * import { StartupProfiler } from "./profiler.ts";
 * import { memoryOutput } from "../ui/output.ts";
 * import { agentDeps } from "./agent_deps.ts";
 * // A model on 127.0.0.1 that speaks OpenAI's streaming format and always says "hi".
 * const chunk = (delta: unknown, finish: string | null = null) =>
 *   `data: ${JSON.stringify({
 *     id: "c1", object: "chat.completion.chunk", created: 0, model: "tiny",
 *     choices: [{ index: 0, delta, finish_reason: finish }],
 *   })}\n\n`;
 * const model = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   new Response(chunk({ role: "assistant", content: "hi" }) + chunk({}, "stop") + "data: [DONE]\n\n", {
 *     headers: { "content-type": "text/event-stream" },
 *   }));
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${home}/config.toml`, `
 * [session]
 * data_dir = "${home}/data"
 * [llm]
 * default = "local"
 * [llm.backends.local]
 * type = "openai-compatible"
 * base_url = "http://127.0.0.1:${model.addr.port}/v1"
 * model = "tiny"
 * `);
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`]),
 *   io: memoryOutput(),
 *   env: { HOME: home },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const config = await ctx.config();
 * const llm = await (await ctx.runtime()).llm(config);
 * const deps = agentDeps({ llm, approve: () => Promise.resolve("deny") });
 * const signal = new AbortController().signal;
 * assert.deepEqual(await deps.tools(signal), []); // no MCP servers configured
 * let text = "";
 * for await (const event of deps.chat({ messages: [{ role: "user", content: "hello" }] }, signal)) {
 *   if (event.type === "text-delta") text += event.text;
 * }
 * assert.equal(text, "hi");
 * await ctx.shutdown();
 * await model.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export function agentDeps(services: AgentServices): AgentDeps {
  const { llm, mcp, recorder } = services;
  return {
    // Each boundary is a span and a metric when OTEL_DENO=true (lib/telemetry).
    chat: (request, signal) =>
      tracedStream(
        {
          span: "mcpchat.chat",
          metric: "mcpchat.llm",
          attributes: {
            "mcpchat.backend": request.backend ?? "default",
            "mcpchat.model": request.model ?? "default",
          },
        },
        llm.stream("chat", request, { signal, timeoutMs: Infinity }),
        (event, span) => {
          if (event.type === "usage") {
            span.setAttribute("gen_ai.usage.input_tokens", event.inputTokens);
            span.setAttribute("gen_ai.usage.output_tokens", event.outputTokens);
          }
        },
      ),
    tools: async (signal) => {
      if (!mcp) return [];
      // A server still connecting after this long is left out of this call, not waited for.
      const { tools, errors } = await mcp.call("listTools", { waitMs: TOOL_LIST_WAIT_MS }, {
        signal,
        timeoutMs: Infinity,
      });
      services.onToolErrors?.(errors); // also when none: a server listed again has recovered
      return tools.map((t): AgentTool => ({
        name: t.name,
        server: t.server,
        tool: t.tool,
        description: t.description,
        // Read from JSON-RPC text, so JSON values only; the SDK types its open fields `unknown`.
        inputSchema: t.inputSchema as { [key: string]: JsonValue },
      }));
    },
    instructions: async (signal) => {
      if (!mcp) return undefined;
      const ready = (await mcp.call("servers", undefined, { signal }))
        .filter((s) => s.state.status === "ready" && s.instructions);
      if (ready.length === 0) return undefined;
      // The MCP spec's `instructions`: how a server's tools are meant to be used.
      return ready.map((s) => `Instructions from the MCP server "${s.name}":\n${s.instructions}`)
        .join("\n\n");
    },
    callTool: (call, signal) => {
      // The model only sees tools listed through `mcp`, so a call without it cannot happen.
      if (!mcp) {
        return Promise.reject(
          new Error(`no MCP servers: cannot call ${call.server}__${call.tool}`),
        );
      }
      return traced(
        {
          span: "mcpchat.tool",
          metric: "mcpchat.tool",
          attributes: { "mcpchat.server": call.server, "mcpchat.tool": call.tool },
        },
        async () => {
          // While the call runs, the server's questions are this chat's to answer.
          const leave = services.requests?.router.enter(call.server, services.requests.route);
          try {
            return await mcp.call("callTool", call, { signal, timeoutMs: Infinity });
          } finally {
            leave?.();
          }
        },
      );
    },
    approve: services.approve,
    record: recorder
      ? (message, meta) =>
        traced(
          {
            span: "mcpchat.store",
            metric: "mcpchat.store",
            counter: "operations",
            attributes: { "mcpchat.store.op": "append", "mcpchat.message.role": message.role },
          },
          () => recorder.append(message, meta),
        )
      : undefined,
    // Each checkpoint and the final form of a streamed answer is a store operation too.
    answer: recorder
      ? () =>
        recorder.answer((write) => (message, meta) =>
          traced(
            {
              span: "mcpchat.store",
              metric: "mcpchat.store",
              counter: "operations",
              attributes: {
                "mcpchat.store.op": meta === undefined ? "checkpoint" : "answer",
                "mcpchat.message.role": "assistant",
              },
            },
            () => write(message, meta),
          )
        )
      : undefined,
  };
}

/**
 * TEST HOOK ONLY, for the ChatSupervisor's tests: with
 * `MCPCHAT_TEST_CHAT_FAULT=throw@N` (or `reject@N`) the Nth chat turn of a
 * REPL ends in a `TypeError`, thrown (or left as an unhandled rejection),
 * after its answer was stored. Unset, as in all normal use: undefined.
 *
 * @example
 * ```ts
 * import { chatFaultForTests } from "./agent_deps.ts";
 * chatFaultForTests({}); // undefined
 * ```
 */
export function chatFaultForTests(
  env: Record<string, string | undefined>,
): ((turn: number) => void) | undefined {
  const spec = /^(throw|reject)@(\d+)$/.exec(env.MCPCHAT_TEST_CHAT_FAULT ?? "");
  if (!spec) return undefined;
  const [, how, at] = spec;
  return (turn) => {
    if (turn !== Number(at)) return;
    const fault = new TypeError(`test fault injected after turn ${turn}`);
    if (how === "throw") throw fault;
    void Promise.reject(fault);
  };
}

/**
 * The context budget of a chat turn, from `[context]`: one reading for the
 * REPL, one-shot mode and server mode.
 *
 * @example
 * ```ts
 * import { contextOptions } from "./agent_deps.ts";
 * import type { Config } from "../config/schema.ts";
 * const config = { context: { strategy: "smart", max_tokens: 8000, reserve_tokens: 1000 } } as Config;
 * console.log(contextOptions(config)); // { strategy: "smart", maxTokens: 8000, reserveTokens: 1000 }
 * ```
 */
export function contextOptions(config: Config): ContextOptions {
  return {
    strategy: config.context.strategy,
    maxTokens: config.context.max_tokens,
    reserveTokens: config.context.reserve_tokens,
  };
}

/** A server whose tools could not be listed, and why. */
export interface ToolListError {
  server: string;
  message: string;
}

/**
 * The errors of this listing not yet shown: a server's message is shown
 * once, and again only after the server listed fine in between (it
 * recovered) or fails differently. `shown` is the caller's memory, kept
 * across the listings of a run.
 *
 * @example
 * ```ts
 * import { unshownToolErrors } from "./agent_deps.ts";
 * const shown = new Map<string, string>();
 * const down = [{ server: "fs", message: "not available" }];
 * console.log(unshownToolErrors(shown, down).length); // 1
 * console.log(unshownToolErrors(shown, down).length); // 0
 * unshownToolErrors(shown, []); // fs listed fine
 * console.log(unshownToolErrors(shown, down).length); // 1
 * ```
 */
export function unshownToolErrors(
  shown: Map<string, string>,
  errors: ToolListError[],
): ToolListError[] {
  const failing = new Set(errors.map((e) => e.server));
  for (const server of shown.keys()) if (!failing.has(server)) shown.delete(server);
  return errors.filter((e) => {
    if (shown.get(e.server) === e.message) return false;
    shown.set(e.server, e.message);
    return true;
  });
}
