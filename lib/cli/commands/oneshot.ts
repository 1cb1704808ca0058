/**
 * One-shot mode (`-p`): run the whole tool loop without a terminal, print
 * the answer (text), one JSON object (json) or NDJSON events (stream-json),
 * and exit with a code scripts can rely on.
 *
 * @module
 */

import { type AgentEvent, type AgentResult, ApprovalPolicy, runAgentTurn } from "../../chat/mod.ts";
import { serverRequestHandlers } from "../server_requests.ts";
import { agentDeps, contextOptions, unshownToolErrors } from "../agent_deps.ts";
import { tracedTurn } from "../../telemetry/mod.ts";
import { TurnView } from "../turn_view.ts";
import type { Config } from "../../config/schema.ts";
import type { LlmMessage } from "../../llm/types.ts";
import { readAllText } from "../lines.ts";
import { sanitizeLine } from "../../ui/sanitize.ts";
import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import type { SessionRecorder } from "../sessions.ts";
import { openSessionRecorder, resumeNote } from "../sessions.ts";
import { configMayNameServers } from "../runtime.ts";

/**
 * Runs `-p`. Resolves with the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { oneShot } from "./oneshot.ts";
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
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   // mcpchat --config FILE -p "hello" --output-format json --no-save
 *   args: parseCommandLine([
 *     "--config", `${home}/config.toml`, "-p", "hello", "--output-format", "json", "--no-save",
 *   ]),
 *   io,
 *   env: { HOME: home },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * assert.equal(await oneShot(ctx), 0);
 * const result = JSON.parse(io.stdout());
 * assert.equal(result.answer, "hi");
 * assert.deepEqual(result.tool_calls, []);
 * await ctx.shutdown();
 * await model.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function oneShot(ctx: CommandContext): Promise<number> {
  const { options } = ctx.args;
  const io = ctx.io;
  let prompt = options.print ?? "";
  if (prompt === "-" || (prompt === "" && !Deno.stdin.isTerminal())) {
    prompt = (await readAllText(Deno.stdin.readable)).trim();
  }
  if (!prompt) {
    throw new CommandError(
      'no prompt: give one after -p, or pipe it in with -p - (echo "…" | mcpchat -p -)',
      ExitCode.Usage,
    );
  }
  // Start-up in parallel, in the order the run needs things (docs/architecture.md). With a
  // current config snapshot the runtime has the config at once and has started the server
  // processes already. Otherwise, without MCP servers the model is next after the config:
  // the LLM worker and its provider library load beside the config worker (a warm start,
  // when the last run left a record of what the config gives it; checked against the
  // loaded config before use). With servers, the config is on the way to their processes,
  // the slowest thing to start: beside it only the sandbox probe and the MCP manager (no
  // permissions, so it loads the MCP SDK before the config is there); once it is read the
  // server processes start, and the LLM worker beside them (the model is needed only once
  // the servers' tools are listed). The runtime knows it is a one-shot run (`oneShot` in
  // its options): it starts servers only when the backend is configured, and stops them
  // without a grace period, since the answer is printed before anything stops.
  const runtime = await ctx.runtimeStarting();
  // Servers started from a snapshot: their transport worker first, then the rest.
  await runtime.serversSpawned();
  const mayNameServers = await configMayNameServers(ctx.env, ctx.configPath);
  if (mayNameServers) void runtime.probeSandbox().catch(() => {});
  else void runtime.warmLlm();
  const configLoading = ctx.config();
  configLoading.catch(() => {}); // awaited just below
  const { backend: backendFlag, model } = options;
  // Sampling and elicitation arrive only once servers run, so after the config loaded.
  const loaded: { config?: Config } = {};
  const mcpHandlers = serverRequestHandlers({
    io,
    // No one to ask in a script: sampling runs only under --yes; forms are declined.
    approveAll: options.yes,
    chat: async function* (request, signal) {
      const llm = await runtime.llm(await configLoading);
      yield* llm.stream("chat", request, { signal, timeoutMs: Infinity });
    },
    target: () => ({ backend: backendFlag ?? loaded.config?.llm.default, model }),
  });
  const mcpEarly = mayNameServers ? runtime.mcp(configLoading, mcpHandlers) : undefined;
  mcpEarly?.catch(() => {}); // a config error is reported by the config load
  const config = loaded.config = await configLoading;
  const started = performance.now();
  const format = options.outputFormat;
  const emit = (event: Record<string, unknown>) => {
    if (format === "stream-json") io.out(JSON.stringify(event) + "\n");
  };

  const hasServers = Object.values(config.mcp.servers).some((s) => s.enabled);
  const backend = backendFlag ?? config.llm.default;
  if (!config.llm.backends[backend]?.configured) {
    // A configuration problem, found before anything starts: exit 2, as documented.
    throw new CommandError(unconfiguredHint(config, backend), ExitCode.Usage, "LLM_UNCONFIGURED");
  }
  // Every server is used at once (the first turn lists all tools): their processes start
  // as soon as the config is read, while the manager loads.
  const mcpStarting = hasServers ? mcpEarly ?? runtime.mcp(config, mcpHandlers) : undefined;
  mcpStarting?.catch(() => {}); // awaited below
  // The provider library loads while the MCP servers start.
  void runtime.preloadLlm(config, backend)
    .then(() => ctx.profiler.mark("llm provider loaded"), () => {});
  const llmReady = runtime.llm(config);
  // Nothing more to ask the config plugin: free its memory while the model's libraries load
  // (after the LLM worker started: the supervisor does one thing at a time).
  void llmReady.then(() => runtime.releaseConfig()).catch(() => {});
  const recorderOpening = options.noSave
    ? undefined
    : openSessionRecorder(ctx, config, { backend, model });
  recorderOpening?.catch(() => {}); // awaited below
  const [llm, mcp] = await Promise.all([
    llmReady,
    mcpStarting,
  ]);
  const policy = new ApprovalPolicy({
    allow: [...config.tools.allow, ...options.allowTool],
    approveAll: options.yes,
  });
  const recorder: SessionRecorder | undefined = await recorderOpening;
  if (recorder && format === "text" && (options.continue || options.resume)) {
    io.err(io.errColor.dim(`session ${recorder.sessionId}\n`));
  }
  const history: LlmMessage[] = recorder ? await recorder.history() : [];
  const note = format === "text" && (options.continue || options.resume) && resumeNote(history);
  if (note) io.err(io.errColor.dim(`${note}\n`));
  const system = options.system ?? recorder?.systemPrompt;
  if (mcp) {
    mcp.on("progress", (update) => emit({ type: "progress", ...update }));
  }

  const toolErrorsShown = new Map<string, string>();
  const deps = agentDeps({
    llm,
    mcp,
    recorder,
    // Said once per server and reason, not at every model call of the run.
    onToolErrors: (errors) => {
      for (const e of unshownToolErrors(toolErrorsShown, errors)) {
        io.err(
          io.errColor.yellow(`warning: ${sanitizeLine(e.server)}: ${sanitizeLine(e.message)}\n`),
        );
      }
    },
    approve: (call) => {
      if (policy.isAllowed(call)) return Promise.resolve("allow");
      io.err(
        `${io.errColor.yellow("refused")} tool call ${
          sanitizeLine(call.name)
        }: not allowed in one-shot mode ` +
          `(allow it with --allow-tool '${sanitizeLine(call.name)}', or --yes)\n`,
      );
      return Promise.resolve("deny");
    },
  });

  const loop = tracedTurn(runAgentTurn(history, prompt, deps, {
    backend,
    model,
    system,
    maxTurns: options.maxTurns ?? 25,
    context: contextOptions(config),
    maxTokens: config.llm.max_tokens,
    temperature: config.llm.temperature,
  }, ctx.signal));
  /** The stream-json form of each event. */
  const emitEvent = (event: AgentEvent) => {
    switch (event.type) {
      case "start":
        return emit({ type: "start", backend: event.backend, model: event.model });
      case "text-delta":
        return emit({ type: "text", text: event.text });
      case "retry":
        return emit({
          type: "retry",
          attempt: event.attempt,
          delay_ms: event.delayMs,
          reason: event.reason,
        });
      case "tool-start":
        return emit({
          type: "tool_call_started",
          id: event.id,
          name: event.name,
          server: event.server,
          tool: event.tool,
          arguments: event.arguments,
        });
      case "tool-end":
        return emit({ type: "tool_call_finished", ...snake(event.call) });
      case "usage":
        return emit({
          type: "usage",
          input_tokens: event.inputTokens,
          output_tokens: event.outputTokens,
          cached_input_tokens: event.cachedInputTokens ?? 0,
          cost: event.cost,
        });
    }
  };
  const view = format === "text"
    ? new TurnView(io, {
      statusEnabled: Deno.stderr.isTerminal(),
      intervalMs: config.ui.progress_interval_ms,
      showArguments: true,
    })
    : undefined;
  const offProgress = view && mcp?.on("progress", (update) => view.progress(update));
  let step;
  try {
    step = await loop.next();
    while (!step.done) {
      const event: AgentEvent = step.value;
      view?.show(event);
      emitEvent(event);
      step = await loop.next();
    }
  } finally {
    offProgress?.();
    view?.finish();
    // Also after an error or Ctrl-C: the partial answer is committed by now; free the session.
    await recorder?.close().catch(() => {});
  }
  const result: AgentResult = step.value;
  const sessionId = recorder?.sessionId ?? null;
  const final = {
    answer: result.answer,
    tool_calls: result.toolCalls.map(snake),
    usage: {
      input_tokens: result.usage.inputTokens,
      output_tokens: result.usage.outputTokens,
      cached_input_tokens: result.usage.cachedInputTokens ?? 0,
    },
    // Sums of float prices: round away the binary noise (1e-9 USD is plenty).
    cost: typeof result.cost === "number" ? Math.round(result.cost * 1e9) / 1e9 : result.cost,
    session_id: sessionId,
    duration_ms: Math.round(performance.now() - started),
    turns: result.turns,
    stop_reason: result.stopReason,
    backend: result.backend ?? backend,
    model: result.model ?? model ?? null,
  };
  if (format === "json") io.out(JSON.stringify(final, null, 2) + "\n");
  else if (format === "stream-json") emit({ type: "result", ...final });
  if (result.stopReason === "max-turns") {
    const message =
      `stopped after ${result.turns} model calls (--max-turns); the answer may be incomplete`;
    io.err(`${io.errColor.yellow("warning")}: ${message}\n`);
    return ExitCode.Runtime;
  }
  return ExitCode.Ok;
}

function snake(call: AgentResult["toolCalls"][number]) {
  return {
    id: call.id,
    name: call.name,
    server: call.server,
    tool: call.tool,
    arguments: call.arguments,
    result: call.result ?? null,
    is_error: call.isError,
    status: call.status,
    duration_ms: call.durationMs,
  };
}

/** Used by the REPL too: how to say that a backend is not configured. */
export function unconfiguredHint(config: Config, backend: string): string {
  const b = config.llm.backends[backend];
  if (!b) {
    return `there is no backend "${backend}" (known: ${
      Object.keys(config.llm.backends).join(", ")
    }; add one under [llm.backends.${backend}])`;
  }
  const variable = b.api_key_env;
  if (variable && b.missing === `set ${variable}`) {
    return `backend "${backend}" has no API key: set ${variable}, or pick another backend with -b`;
  }
  return `backend "${backend}" is not configured: ${
    b.missing ?? "see mcpchat config path"
  } (or pick another backend with -b)`;
}
