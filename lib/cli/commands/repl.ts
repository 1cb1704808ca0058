/**
 * Starts the interactive chat on the terminal: the prompt appears before any
 * model or MCP server is ready; the LLM worker and background MCP servers
 * start behind it.
 *
 * @module
 */

import { LineReader, readLines } from "../lines.ts";
import { linesReader, runRepl, type SlashCommand } from "../repl.ts";
import { openTerminal, type ReplTerminal } from "../repl/terminal.ts";
import type { CommandContext } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { VERSION } from "../version.ts";
import {
  ApprovalPolicy,
  type ContextOptions,
  describeSampling,
  type ElicitForm,
  estimateTokens,
  fillForm,
  runAgentTurn,
  sample,
} from "../../chat/mod.ts";
import type { CreateMessageRequestParams } from "@modelcontextprotocol/sdk/types.js";
import { agentDeps } from "../agent_deps.ts";
import { type ProgressEvent, TurnView } from "../turn_view.ts";
import type { LlmMessage } from "../../llm/types.ts";
import type { Config } from "../../config/schema.ts";
import { openSessionRecorder, type SessionRecorder } from "../sessions.ts";
import type { LlmSurface, McpHostHandlers, McpSurface } from "../runtime.ts";
import type { PluginRef } from "../../plugin/ref.ts";
import { mcpSlashCommand } from "./repl_mcp.ts";
import { NOTIFICATION_CATEGORIES } from "../../mcp/notifications.ts";
import type { Palette } from "../../ui/output.ts";

/**
 * Runs the REPL until the user leaves.
 *
 * @example
 * ```ts ignore
 * await startRepl(ctx, { onInterrupt });
 * ```
 */
export async function startRepl(
  ctx: CommandContext,
  hooks: { onInterrupt(listener: () => void): () => void },
): Promise<number> {
  const config = await ctx.config();
  const runtime = await ctx.runtime();
  const { io } = ctx;
  const c = io.errColor;
  const { options } = ctx.args;
  let backend = options.backend ?? config.llm.default;
  let model = options.model;
  const servers = Object.values(config.mcp.servers).filter((s) => s.enabled);
  const modes = servers.map((s) => s.startup_mode ?? config.mcp.startup_mode);
  // On a terminal the line editor owns it (raw mode, history, completion); piped, plain lines.
  const terminal: ReplTerminal | undefined = ctx.io.interactive
    ? await openTerminal(ctx, { complete: (text, cursor) => complete(text, cursor) })
    : undefined;
  const reader = terminal ? undefined : new LineReader(readLines(Deno.stdin.readable));
  /** Asks on the terminal; `null` at end of input. Answered before a pending prompt read. */
  const askLine = async (question: string, signal?: AbortSignal): Promise<string | null> => {
    if (terminal) return await terminal.ask(question, signal);
    io.err(question);
    return (await reader!.read())?.trim() ?? null;
  };
  const ask = async (question: string, signal?: AbortSignal): Promise<string> =>
    (await askLine(question, signal)) ?? "";
  // Servers' requests to the client: the model (after the user agrees) and the user.
  const hostHandlers: McpHostHandlers = {
    sampling: async (request, { signal }) => {
      const { server, params } = request as { server: string; params: CreateMessageRequestParams };
      const answer = await ask(
        `${c.yellow("?")} ${describeSampling(server, params)}\n  allow? [y]es [n]o: `,
        signal,
      );
      if (!/^y(es)?$/i.test(answer)) throw new Error("the user declined the sampling request");
      const llm = await runtime.llm(config);
      return await sample(
        params,
        (req, s) => llm.stream("chat", req, { signal: s, timeoutMs: Infinity }),
        signal,
        { backend, model },
      );
    },
    elicit: async (request, { signal }) => {
      const { server, params } = request as {
        server: string;
        params: ElicitForm & { mode?: string };
      };
      if (params.mode === "url") {
        io.err(`${server} asks you to open: ${(params as unknown as { url: string }).url}\n`);
        const answer = await ask("  done? [y]es [n]o: ", signal);
        return { action: /^y(es)?$/i.test(answer) ? "accept" : "decline" };
      }
      io.err(`${c.yellow("?")} ${c.bold(server)} asks for input\n`);
      return await fillForm(params, (q) => askLine(q, signal), (text) => io.err(text));
    },
  };
  /** Tells the user when a server goes down for good, or comes back after trouble. */
  const watchServers = (manager: PluginRef<McpSurface>) => {
    const troubled = new Set<string>();
    manager.on("server-state", (data) => {
      const { name, state, status } = data as {
        name: string;
        state: { status: string };
        status: string;
      };
      if (state.status === "failed") {
        troubled.add(name);
        io.err(
          c.red(`\n! MCP server ${name} ${status}\n`) +
            c.dim("  (/mcp connect " + name + " retries)\n"),
        );
      } else if (state.status === "reconnecting" && !troubled.has(name)) {
        troubled.add(name);
        io.err(c.yellow(`\n! MCP server ${name} ${status}\n`));
      } else if (state.status === "ready" && troubled.delete(name)) {
        io.err(c.green(`\n✓ MCP server ${name} is back\n`));
      }
    });
    return manager;
  };
  // Eager servers are connected before the prompt, as the user asked.
  let mcp: Promise<PluginRef<McpSurface>> | undefined;
  if (modes.includes("eager")) {
    const manager = watchServers(await runtime.mcp(config, hostHandlers));
    await manager.call("startServers", undefined, { timeoutMs: 120_000 });
    ctx.profiler.mark("eager MCP servers ready");
    mcp = Promise.resolve(manager);
  }
  const startMcp = () => (mcp ??= runtime.mcp(config, hostHandlers).then(watchServers));
  const policy = new ApprovalPolicy({
    allow: [...config.tools.allow, ...options.allowTool],
    approveAll: options.yes,
  });
  const history: LlmMessage[] = [];
  let recorder: SessionRecorder | undefined;
  let systemPrompt = options.system;
  if (options.continue || options.resume) {
    recorder = await openSessionRecorder(ctx, config, { backend, model });
    history.push(...await recorder.history());
    systemPrompt ??= recorder.systemPrompt;
    io.err(c.dim(`resumed session ${recorder.sessionId} (${history.length} messages)\n`));
  }
  const totals: TurnContext["totals"] = { input: 0, output: 0, cost: 0 };
  const context: ContextOptions = {
    strategy: config.context.strategy,
    maxTokens: config.context.max_tokens,
    reserveTokens: config.context.reserve_tokens,
  };
  let historyCursor: number | null | undefined;

  /** Sends a chat message through the tool loop (typed, or from /mcp prompt). */
  const sendMessage = async (text: string, signal: AbortSignal): Promise<void> => {
    const llm = await runtime.llm(config);
    const status = (await llm.call("status", undefined)).find((b) => b.name === backend);
    if (!status?.configured) {
      io.err(
        `${c.yellow("no model configured")}: ${
          status?.missing ?? `backend "${backend}" is unknown`
        }` +
          ` (or set ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY, OLLAMA_HOST; /backend lists them).\n`,
      );
      return;
    }
    if (!recorder && config.session.autosave) {
      recorder = await openSessionRecorder(ctx, config, { backend, model, systemPrompt }, {});
    }
    historyCursor = undefined;
    const manager = servers.length ? await startMcp() : undefined;
    await chatTurn(ctx, config, {
      text,
      signal,
      history,
      backend,
      model,
      manager,
      llm,
      recorder,
      policy,
      context,
      system: systemPrompt,
      ask,
      totals,
    });
  };

  /** Tab completion at the prompt: slash commands for now. */
  function complete(text: string, cursor: number) {
    const before = text.slice(0, cursor);
    if (/^\/\S*$/.test(before)) {
      const names = [...reservedNames()].map((n) => `/${n}`);
      return { from: 0, items: names };
    }
    return { from: cursor, items: [] };
  }
  const reservedNames = () => new Set(["help", "exit", "quit", ...commands.map((c) => c.name)]);
  const commands: SlashCommand[] = [
    {
      name: "backend",
      summary: "show or switch the LLM backend",
      usage: "/backend [NAME]",
      run: async ([name]) => {
        const llm = await runtime.llm(config);
        const status = await llm.call("status", undefined);
        if (!name) {
          for (const b of status) {
            const mark = b.name === backend ? io.color.green("●") : " ";
            io.out(
              `${mark} ${b.name}  ${b.kind}  ${b.model}${
                b.configured ? "" : io.color.dim(`  (${b.missing})`)
              }\n`,
            );
          }
          return;
        }
        if (!status.some((b) => b.name === name)) return void io.err(`no backend "${name}"\n`);
        backend = name;
        model = undefined;
        io.err(`backend: ${name}\n`);
      },
    },
    {
      name: "model",
      summary: "show or switch the model",
      usage: "/model [MODEL]",
      run: ([name]) => {
        if (name) model = name;
        io.out(`${backend} · ${model ?? config.llm.backends[backend]?.model ?? "(default)"}\n`);
      },
    },
    {
      name: "models",
      summary: "list the models of the current backend",
      run: async (_args, signal) => {
        const llm = await runtime.llm(config);
        const list = await llm.call("listModels", { backend }, { signal });
        for (const m of list.models) io.out(`${m.id}\n`);
        if (list.error) io.err(io.errColor.dim(`(built-in list: ${list.error})\n`));
      },
    },
    {
      name: "cost",
      summary: "tokens and cost of this session",
      run: () => {
        const cost = totals.cost === "unknown"
          ? "unknown (model not in the pricing table)"
          : `$${totals.cost.toFixed(4)}`;
        io.out(`${totals.input} input, ${totals.output} output tokens · ${cost}\n`);
      },
    },
    {
      name: "context",
      summary: "how much of the context budget the conversation uses",
      run: () => {
        const used = history.reduce((sum, m) => sum + estimateTokens(m), 0);
        io.out(
          `${history.length} messages, ~${used} tokens of ${
            context.maxTokens - context.reserveTokens
          }` +
            ` (${context.maxTokens} minus ${context.reserveTokens} reserved) · strategy ${context.strategy}\n`,
        );
      },
    },
    {
      name: "strategy",
      summary: "show or set the context strategy: sliding_window or smart",
      usage: "/strategy [sliding_window|smart]",
      run: ([name]) => {
        if (name === "sliding_window" || name === "smart") context.strategy = name;
        else if (name) return void io.err("strategies: sliding_window, smart\n");
        io.out(`strategy: ${context.strategy}\n`);
      },
    },
    {
      name: "system",
      summary: "show or set the system prompt of this session",
      usage: '/system ["PROMPT"]',
      run: async (words) => {
        if (words.length === 0) return void io.out(`${systemPrompt ?? "(none)"}\n`);
        systemPrompt = words.join(" ");
        if (recorder) {
          await (await runtime.store(config)).call("update", {
            ref: recorder.sessionId,
            patch: { systemPrompt },
          });
        }
        io.err("system prompt set\n");
      },
    },
    {
      name: "tokens",
      summary: "tokens used in this session, and by the last turn",
      run: () => {
        io.out(
          `session: ${totals.input} input + ${totals.output} output tokens` +
            (totals.last ? ` · last turn: ${totals.last.input} + ${totals.last.output}` : "") +
            "\n",
        );
      },
    },
    {
      name: "new",
      summary: "start a new session",
      run: async () => {
        await recorder?.close();
        recorder = undefined;
        systemPrompt = options.system;
        historyCursor = undefined;
        history.length = 0;
        totals.input = totals.output = 0;
        totals.cost = 0;
        io.err("new session\n");
      },
    },
    {
      name: "save",
      summary: "name this session so /load NAME finds it",
      usage: "/save NAME",
      run: async ([name]) => {
        if (!name) return void io.err("usage: /save NAME\n");
        if (!recorder) {
          recorder = await openSessionRecorder(ctx, config, { backend, model, systemPrompt }, {});
        }
        const store = await runtime.store(config);
        const saved = await store.call("save", { ref: recorder.sessionId, name });
        io.err(`saved session ${saved.id} as "${name}"\n`);
      },
    },
    {
      name: "load",
      summary: "switch to a stored session (id, unique prefix or saved name)",
      usage: "/load ID|NAME",
      run: async ([ref]) => {
        if (!ref) return void io.err("usage: /load ID|NAME\n");
        const next = await openSessionRecorder(ctx, config, { backend, model }, { ref });
        await recorder?.close();
        recorder = next;
        systemPrompt = next.systemPrompt ?? options.system;
        history.length = 0;
        history.push(...await next.history());
        io.err(`loaded session ${next.sessionId} (${history.length} recent messages)\n`);
      },
    },
    {
      name: "clear",
      summary: "forget this session's messages (the session, its cost and totals stay)",
      run: async () => {
        history.length = 0;
        if (recorder) {
          await (await runtime.store(config)).call("clear", { ref: recorder.sessionId });
        }
        io.err("cleared\n");
      },
    },
    {
      name: "history",
      summary: "show earlier messages, a page at a time",
      usage: "/history [N]  (again: the page before)",
      run: async ([count]) => {
        if (!recorder) return void io.err("nothing stored yet\n");
        const store = await runtime.store(config);
        const limit = Math.max(1, Math.min(200, Number(count ?? 20) || 20));
        const page = await store.call("history", {
          sessionId: recorder.sessionId,
          before: historyCursor ?? undefined,
          limit,
        });
        for (const m of page.messages) {
          const text = typeof m.content === "string"
            ? m.content
            : m.content.map((p) =>
              p.type === "text"
                ? p.text
                : p.type === "tool-call"
                ? `[call ${p.name}]`
                : "[tool result]"
            ).join(" ");
          io.out(`${io.color.dim(`#${m.seq}`)} ${io.color.bold(m.role)}: ${text}\n`);
        }
        historyCursor = page.nextBefore;
        if (historyCursor === null) io.err(io.errColor.dim("(start of session)\n"));
      },
    },
    {
      name: "export",
      summary: "write this session as markdown or JSON",
      usage: "/export [markdown|json] [FILE]",
      run: async ([format = "markdown", file], signal) => {
        if (!recorder) return void io.err("nothing stored yet\n");
        if (format !== "markdown" && format !== "json") {
          return void io.err("usage: /export [markdown|json] [FILE]\n");
        }
        const store = await runtime.store(config);
        const method = format === "json" ? "exportJson" : "exportMarkdown";
        let text = "";
        for await (const piece of store.stream(method, { ref: recorder.sessionId }, { signal })) {
          text += piece;
        }
        if (file) {
          await Deno.writeTextFile(file, text);
          io.err(`exported to ${file}\n`);
        } else io.out(text);
      },
    },
    {
      name: "sessions",
      summary: "list stored sessions",
      run: async () => {
        const store = await runtime.store(config);
        const { sessions } = await store.call("list", { limit: 20 });
        for (const s of sessions) {
          io.out(`${s.id}  ${String(s.messageCount).padStart(4)} msgs  ${s.title}\n`);
        }
      },
    },
    mcpSlashCommand(ctx, config, startMcp, sendMessage),
    {
      name: "alias",
      summary: "name a sequence of commands or messages; $1…$9 and $* take its arguments",
      usage:
        '/alias add NAME "LINE; LINE…" | /alias add NAME "LINE" "LINE"… | /alias remove NAME | /alias',
      run: async ([sub = "list", name, ...lines]) => {
        const store = await runtime.store(config);
        if (sub === "list") {
          const stored = await store.call("listAliases", undefined);
          const all = new Map<string, string[]>(Object.entries(config.aliases));
          for (const a of stored) all.set(a.name, a.commands);
          if (all.size === 0) return void io.err('no aliases; /alias add NAME "COMMANDS"\n');
          for (const [aliasName, commands] of all) {
            io.out(`${io.color.cyan(`/${aliasName}`)}  ${commands.join(" ; ")}\n`);
          }
          return;
        }
        if (!name) return void io.err('usage: /alias add NAME "COMMANDS" | /alias remove NAME\n');
        if (sub === "remove") {
          const { deleted } = await store.call("deleteAlias", { name });
          return void io.err(deleted ? `removed /${name}\n` : `no stored alias /${name}\n`);
        }
        if (sub !== "add") return void io.err(`unknown /alias command "${sub}"\n`);
        if (reservedNames().has(name)) {
          return void io.err(`/${name} is a command; pick another name\n`);
        }
        const commands = (lines.length === 1 ? lines[0].split(";") : lines)
          .map((l) => l.trim()).filter(Boolean);
        if (commands.length === 0) return void io.err("an alias needs at least one command\n");
        await store.call("setAlias", { name, commands });
        io.err(`/${name} → ${commands.join(" ; ")}\n`);
      },
    },
    {
      name: "cache",
      summary: "the MCP resource cache: hits, misses, size; /cache entries; /cache clear",
      usage: "/cache [entries|clear]",
      run: async ([sub]) => {
        if (!mcp) return void io.err("no MCP server has been used yet\n");
        const manager = await mcp;
        if (sub === "clear") {
          await manager.call("clearCache", undefined);
          return void io.err("resource cache cleared\n");
        }
        const st = await manager.call("cacheStats", undefined);
        const reads = st.hits + st.misses;
        io.out(
          `${st.entries}/${st.maxEntries} entries, ${(st.bytes / 1024).toFixed(1)} of ` +
            `${(st.maxBytes / 2 ** 20).toFixed(0)} MiB · hits ${st.hits}, misses ${st.misses}` +
            (reads ? ` (${Math.round((100 * st.hits) / reads)}% hit rate)` : "") +
            ` · evictions ${st.evictions}\n`,
        );
        if (sub === "entries") {
          for (const e of await manager.call("cacheEntries", undefined)) {
            io.out(`  ${e.server} ${e.uri}  ${(e.bytes / 1024).toFixed(1)} KiB\n`);
          }
        }
      },
    },
    {
      name: "notification",
      summary: "MCP notifications: recent ones, filtered; switch categories on and off",
      usage: "/notification [CATEGORY on|off] | [list [TEXT]]",
      run: async ([first, second]) => {
        if (!mcp) return void io.err("no MCP server has been used yet\n");
        const manager = await mcp;
        if (first && (second === "on" || second === "off")) {
          const category = NOTIFICATION_CATEGORIES.find((name) => name === first);
          if (!category) {
            return void io.err(
              `no category "${first}"; one of ${NOTIFICATION_CATEGORIES.join(", ")}\n`,
            );
          }
          const categories = await manager.call("setNotificationCategory", {
            category,
            enabled: second === "on",
          });
          io.out(
            Object.entries(categories).map(([k, v]) => `${k}: ${v ? "on" : "off"}`).join(", ") +
              "\n",
          );
          return;
        }
        const records = await manager.call("notifications", {
          limit: 30,
          text: first === "list" ? second : first,
        });
        for (const r of records) {
          const detail = JSON.stringify(r.params);
          io.out(
            `${new Date(r.at).toISOString().slice(11, 19)} ${r.server} ${r.category} ${r.method} ` +
              `${detail.length > 100 ? `${detail.slice(0, 100)}…` : detail}\n`,
          );
        }
        const stats = await manager.call("notificationStats", undefined);
        io.err(io.errColor.dim(
          `seen: ${
            Object.entries(stats.seen).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`).join(
              ", ",
            ) || "none"
          }` +
            ` · off: ${
              Object.entries(stats.categories).filter(([, on]) => !on).map(([k]) => k).join(", ") ||
              "none"
            }\n`,
        ));
      },
    },
    {
      name: "health",
      summary: "services, restarts, heap; LLM circuit breakers; MCP server states",
      run: async () => {
        const c2 = io.color;
        for (const s of runtime.services()) {
          const heap = s.heapUsed !== undefined
            ? `${(s.heapUsed / 2 ** 20).toFixed(1)} MB heap`
            : "";
          const pending = s.pendingCalls ? `, ${s.pendingCalls} pending` : "";
          const state = s.state === "running" ? c2.green(s.state) : c2.yellow(s.state);
          io.out(
            `${c2.bold(s.id.padEnd(12))} ${state}  restarts ${s.restarts}  ${heap}${pending}` +
              (s.lastError ? c2.dim(`  last error: ${s.lastError}`) : "") + "\n",
          );
        }
        if (runtime.started("llm")) {
          const llm = await runtime.llm(config);
          for (const b of await llm.call("health", undefined)) {
            const state = b.state === "closed" ? c2.green(b.state) : c2.red(b.state);
            io.out(
              `  llm ${b.backend}: breaker ${state}, ${b.consecutiveFailures} consecutive failures` +
                (b.retryInMs ? `, retry in ${Math.ceil(b.retryInMs / 1000)} s` : "") + "\n",
            );
          }
        }
        if (mcp) {
          for (const s of await (await mcp).call("servers", undefined)) {
            io.out(
              `  mcp ${s.name}: ${s.state.status === "ready" ? c2.green(s.status) : s.status}\n`,
            );
          }
        }
      },
    },
    {
      name: "stats",
      summary: "LLM calls and connections, MCP cache and notifications",
      run: async () => {
        if (runtime.started("llm")) {
          const stats = await (await runtime.llm(config)).call("stats", undefined);
          io.out(
            `llm: ${stats.calls} calls (${stats.succeeded} ok, ${stats.failed} failed, ` +
              `${stats.cancelled} cancelled, ${stats.retries} retries)\n`,
          );
          for (const p of stats.pools) {
            io.out(
              `  ${p.origin}: ${p.requests} requests, ${p.openConnections} open connections, ` +
                `${p.inFlight} in flight, ${(p.bytesReceived / 1024).toFixed(0)} KiB received\n`,
            );
          }
        }
        if (mcp) {
          const manager = await mcp;
          const cache = await manager.call("cacheStats", undefined);
          io.out(`resource cache: ${JSON.stringify(cache)}\n`);
          const notes = await manager.call("notificationStats", undefined);
          io.out(`notifications: ${JSON.stringify(notes)}\n`);
        }
      },
    },
  ];

  const chosen = config.llm.backends[backend];
  // Said up front, so nobody types a question only to learn there is no model.
  const keyHint = chosen && !chosen.configured
    ? c.yellow(`no model yet: ${chosen.missing ?? `configure backend "${backend}"`}`) +
      c.dim(" (or pick one with /backend; MCP commands work without)\n")
    : "";
  const banner = `${c.bold("mcpchat")} ${VERSION} ${c.dim(`· ${backend}`)}\n` + keyHint +
    c.dim("Type /help for commands, Ctrl-D to exit.\n");
  ctx.profiler.mark("prompt shown");
  io.err(ctx.profiler.reportOnce());
  // Behind the prompt: the LLM worker (and its provider library), background servers.
  // Deno's module-loading progress bar may clear the prompt's line when a worker loads: redraw.
  queueMicrotask(() => {
    void runtime.llm(config).then((llm) => llm.call("preload", { backend }))
      .finally(() => terminal?.redraw()).catch(() => {});
    if (modes.includes("background")) {
      void startMcp().finally(() => terminal?.redraw()).catch(() => {});
    }
  });

  const end = await runRepl(
    {
      output: io,
      read: terminal?.read ?? linesReader(() => reader!.read(), (text) => io.out(text)),
      onInterrupt: (listener) => {
        const offSignal = hooks.onInterrupt(listener);
        const offKey = terminal?.onInterrupt(listener);
        return () => {
          offSignal();
          offKey?.();
        };
      },
    },
    {
      commands,
      banner,
      prompt: () => io.color.cyan("› "),
      // Stored aliases (/alias add) before those of [aliases] in the config.
      aliases: async (name) =>
        (await (await runtime.store(config)).call("getAlias", { name }))?.commands ??
          config.aliases[name],
      onMessage: sendMessage,
    },
  ).finally(() => terminal?.close());
  await recorder?.close();
  if (end !== "exit" || terminal) io.err(goodbye(totals, recorder?.sessionId, io.errColor));
  return ExitCode.Ok;
}

/**
 * The line shown on leaving: tokens, cost, and how to come back.
 *
 * @example
 * ```ts
 * import { goodbye } from "./repl.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * goodbye({ input: 1200, output: 340, cost: 0.0123 }, "k3v9x2", memoryOutput().errColor);
 * // "1,200 in + 340 out tokens · $0.0123 · session k3v9x2 · resume: mcpchat -r k3v9x2\n"
 * ```
 */
export function goodbye(
  totals: { input: number; output: number; cost: number | "unknown" },
  sessionId: string | undefined,
  c: Palette,
): string {
  const cost = totals.cost === "unknown" ? "cost unknown" : `$${totals.cost.toFixed(4)}`;
  const tokens = `${totals.input.toLocaleString("en-US")} in + ${
    totals.output.toLocaleString("en-US")
  } out tokens`;
  const session = sessionId
    ? ` · session ${sessionId} · resume: ${c.bold(`mcpchat -r ${sessionId}`)}`
    : " · nothing saved";
  return c.dim(`${tokens} · ${cost}`) + session + "\n";
}

interface TurnContext {
  text: string;
  signal: AbortSignal;
  history: LlmMessage[];
  backend: string;
  model?: string;
  manager?: PluginRef<McpSurface>;
  llm: PluginRef<LlmSurface>;
  recorder?: SessionRecorder;
  policy: ApprovalPolicy;
  context: ContextOptions;
  system?: string;
  ask(question: string): Promise<string>;
  totals: {
    input: number;
    output: number;
    cost: number | "unknown";
    last?: { input: number; output: number };
  };
}

async function chatTurn(ctx: CommandContext, config: Config, turn: TurnContext): Promise<void> {
  const { io } = ctx;
  const c = io.errColor;
  const loop = runAgentTurn(
    turn.history,
    turn.text,
    agentDeps({
      llm: turn.llm,
      mcp: turn.manager,
      recorder: turn.recorder,
      onToolErrors: (errors) => {
        for (const e of errors) io.err(c.dim(`(${e.server}: ${e.message})\n`));
      },
      approve: async (call) => {
        if (turn.policy.isAllowed(call)) return "allow";
        const answer = (await turn.ask(
          `${c.yellow("?")} run ${c.bold(`${call.server} ${call.tool}`)} ${
            c.dim(JSON.stringify(call.arguments))
          }\n` +
            `  [y]es  [n]o  [a]lways this tool  always this [s]erver: `,
        )).toLowerCase();
        const map = { y: "yes", yes: "yes", a: "always-tool", s: "always-server" } as const;
        return turn.policy.remember(call, map[answer as keyof typeof map] ?? "no");
      },
    }),
    {
      backend: turn.backend,
      model: turn.model,
      maxTurns: ctx.args.options.maxTurns ?? 25,
      context: turn.context,
      maxTokens: config.llm.max_tokens,
      temperature: config.llm.temperature,
      system: turn.system,
    },
    turn.signal,
  );
  const view = new TurnView(io, {
    statusEnabled: Deno.stderr.isTerminal(),
    intervalMs: config.ui.progress_interval_ms,
  });
  const offProgress = turn.manager?.on("progress", (data) => view.progress(data as ProgressEvent));
  let step;
  try {
    step = await loop.next();
    while (!step.done) {
      view.show(step.value);
      step = await loop.next();
    }
  } finally {
    offProgress?.();
    view.finish();
  }
  const result = step.value;
  turn.totals.last = { input: result.usage.inputTokens, output: result.usage.outputTokens };
  turn.totals.input += result.usage.inputTokens;
  turn.totals.output += result.usage.outputTokens;
  turn.totals.cost = turn.totals.cost === "unknown" || result.cost === "unknown"
    ? "unknown"
    : turn.totals.cost + result.cost;
  if (result.stopReason === "max-turns") {
    io.err(c.yellow(`stopped after ${result.turns} model calls (the turn limit)\n`));
  }
}
