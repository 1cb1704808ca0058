/**
 * Starts the interactive chat on the terminal: the prompt appears before any
 * model or MCP server is ready; the LLM worker and background MCP servers
 * start behind it.
 *
 * @module
 */

import { LineReader, readLines } from "../lines.ts";
import { linesReader, runRepl, type SlashCommand } from "../repl.ts";
import type { ReplTerminal } from "../repl/terminal.ts";
import type { CommandContext } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { VERSION } from "../version.ts";
import { ApprovalPolicy, type ContextOptions, runAgentTurn } from "../../chat/mod.ts";
import { agentDeps, type AgentServices, chatFaultForTests, contextOptions } from "../agent_deps.ts";
import { ChatSupervisor } from "../../chat/supervisor.ts";
import { tracedTurn } from "../../telemetry/mod.ts";
import { TurnView } from "../turn_view.ts";
import type { LlmMessage } from "../../llm/types.ts";
import type { Config } from "../../config/schema.ts";
import { openSessionRecorder, resumeNote, type SessionRecorder } from "../sessions.ts";
import type { LlmSurface, McpHostHandlers, McpSurface } from "../runtime.ts";
import type { PluginRef } from "../../plugin/ref.ts";
import type { ReplState } from "../repl/state.ts";
import { REPL_COMMANDS } from "../repl/commands/mod.ts";
import { aliasNames } from "../repl/commands/alias.ts";
import { replCompleter } from "../repl/complete.ts";
import { markdownOutput, markdownWanted } from "../repl/render.ts";
import { attach } from "../repl/attachments.ts";
import { statusBar } from "../repl/status_bar.ts";
import { sanitizeLine, sanitizeText } from "../../ui/sanitize.ts";
import type { Output, Palette } from "../../ui/output.ts";
import { serverRequestHandlers } from "../server_requests.ts";
import { requestRouter } from "../request_router.ts";

/**
 * Runs the REPL until the user leaves.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // `startRepl(ctx, { onInterrupt })` reads the terminal (or lines piped to stdin), so here
 * // it runs the way a person starts it: mcpchat, with two lines typed.
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const main = new URL("../../../main.ts", import.meta.url).pathname;
 * const child = new Deno.Command(Deno.execPath(), {
 *   args: ["run", "-q", "--no-prompt", "-A", main, "--config", `${home}/config.toml`],
 *   // Its own config, data and history directories; the rest of this environment (the
 *   // Deno cache under HOME included) as it is.
 *   env: {
 *     XDG_CONFIG_HOME: `${home}/config`,
 *     XDG_DATA_HOME: `${home}/data`,
 *     XDG_STATE_HOME: `${home}/state`,
 *     NO_COLOR: "1",
 *   },
 *   stdin: "piped",
 *   stdout: "piped",
 *   stderr: "piped",
 * }).spawn();
 * const typing = child.stdin.getWriter();
 * await typing.write(new TextEncoder().encode("/help\n/exit\n"));
 * await typing.close();
 * const { code, stdout } = await child.output();
 * assert.equal(code, 0);
 * assert.match(new TextDecoder().decode(stdout), /\/exit/); // /help listed the commands
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function startRepl(
  ctx: CommandContext,
  hooks: { onInterrupt(listener: () => void): () => void },
): Promise<number> {
  // The line editor (and its width tables) loads while the config worker starts, and only
  // when there is a terminal: other commands never pay for it.
  const editorModule = ctx.io.interactive ? import("../repl/terminal.ts") : undefined;
  // The banner is wrapped between words at the terminal's width.
  const wrapModule = ctx.io.interactive ? import("wrap-ansi") : undefined;
  const config = await ctx.config();
  const runtime = await ctx.runtime();
  const { io } = ctx;
  const c = io.errColor;
  const { options } = ctx.args;
  const servers = Object.values(config.mcp.servers).filter((s) => s.enabled);
  const modes = servers.map((s) => s.startup_mode ?? config.mcp.startup_mode);
  // On a terminal the line editor owns it (raw mode, history, completion); piped, plain lines.
  const terminal: ReplTerminal | undefined = ctx.io.interactive
    ? await (await editorModule!).openTerminal(ctx, {
      complete: (text, cursor) => complete(text, cursor),
    })
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
  /** The running turn's live lines: held back while a server's request is on screen. */
  let liveLines: LiveLines | undefined;
  // Servers' requests to the client: the model (after the user agrees) and the user.
  const requestHandlers = serverRequestHandlers({
    io,
    approveAll: options.yes,
    askLine,
    choose: terminal?.choose,
    chat: async function* (request, signal) {
      const llm = await runtime.llm(config);
      yield* llm.stream("chat", request, { signal, timeoutMs: Infinity });
    },
    target: () => ({ backend: state.backend, model: state.model }),
  });
  // The person answers their own chat's requests; a chat served beside the REPL
  // (mcp_server.http_enabled) has its own client answer its (lib/cli/request_router.ts).
  const personHandlers = whileLivePaused(() => liveLines, requestHandlers);
  const router = requestRouter(runtime).fallbackTo(personHandlers);
  const hostHandlers = router.handlers();
  /** A message could not be answered (piped, the exit code says so). */
  let turnFailed = false;
  /** Each server's state, for the status line. */
  const serverStates = new Map<string, string>();
  /** Tells the user when a server goes down for good, or comes back after trouble. */
  const watchServers = (manager: PluginRef<McpSurface>) => {
    const troubled = new Set<string>();
    manager.on("server-state", ({ name, state, status, degraded }) => {
      // A server's worker has loaded by now: Deno's progress bar may have erased the prompt's line.
      terminal?.redraw();
      const before = serverStates.get(name);
      serverStates.set(name, degraded ? "degraded" : state.status);
      if (state.status === "ready" && !degraded && before !== "ready" && before !== "degraded") {
        // Its tools are screened now: a server with some set aside shows as degraded at once.
        void manager.call("listTools", { server: name }, { timeoutMs: 30_000 }).catch(() => {});
      }
      if (degraded && before !== "degraded") {
        io.err(
          c.yellow(`\n! MCP server ${sanitizeLine(name)} degraded: ${sanitizeLine(degraded)}\n`),
        );
      } else if (state.status === "failed") {
        troubled.add(name);
        // The status may quote the server's stderr: foreign text, one line.
        io.err(
          c.red(`\n! MCP server ${sanitizeLine(name)} ${sanitizeLine(status)}\n`) +
            c.dim("  (/mcp connect " + sanitizeLine(name) + " retries)\n"),
        );
      } else if (state.status === "reconnecting" && !troubled.has(name)) {
        troubled.add(name);
        io.err(c.yellow(`\n! MCP server ${sanitizeLine(name)} ${sanitizeLine(status)}\n`));
      } else if (state.status === "ready" && troubled.delete(name)) {
        io.err(c.green(`\n✓ MCP server ${sanitizeLine(name)} is back\n`));
      }
    });
    return manager;
  };
  // The session's state, one place for each thing: the slash commands
  // (lib/cli/repl/commands/) read and change the same object the chat loop uses.
  const state: ReplState = {
    ctx,
    config,
    runtime,
    io,
    backend: options.backend ?? config.llm.default,
    model: options.model,
    systemPrompt: options.system,
    history: [],
    totals: { input: 0, output: 0, cost: 0 },
    context: contextOptions(config),
    policy: new ApprovalPolicy({
      allow: [...config.tools.allow, ...options.allowTool],
      approveAll: options.yes,
    }),
    markdown: markdownWanted({
      terminal: Deno.stdout.isTerminal(),
      color: io.color.bold("x") !== "x",
      configured: config.ui.markdown,
      flag: options.noMarkdown,
    }),
    statusLine: false,
    setStatusLine: terminal
      ? (on) => {
        state.statusLine = on;
        terminal.setFooter(
          on ? () => statusBar(state, serverStates, servers.length, c) : undefined,
        );
      }
      : undefined,
    startMcp: () => (state.mcp ??= runtime.mcp(config, hostHandlers).then(watchServers)),
    send: async (text, signal) => {
      try {
        await sendMessage(text, signal);
      } catch (error) {
        if (!signal.aborted) turnFailed = true;
        throw error;
      }
    },
    ensureRecorder: async () =>
      state.recorder ??= await openSessionRecorder(ctx, config, {
        backend: state.backend,
        model: state.model,
        systemPrompt: state.systemPrompt,
      }, {}),
    commandNames: () => new Set(["help", "exit", "quit", ...REPL_COMMANDS.map((c) => c.name)]),
  };
  const { history } = state;
  // Eager servers are connected before the prompt, as the user asked.
  if (modes.includes("eager")) {
    const manager = watchServers(await runtime.mcp(config, hostHandlers));
    await manager.call("startServers", undefined, { timeoutMs: 120_000 });
    // Their tools screened too, so the banner says which is degraded.
    await Promise.all(
      Object.entries(config.mcp.servers)
        .filter(([, s]) => s.enabled && (s.startup_mode ?? config.mcp.startup_mode) === "eager")
        .map(([server]) =>
          manager.call("listTools", { server }, { timeoutMs: 30_000 }).catch(() => {})
        ),
    );
    ctx.profiler.mark("eager MCP servers ready");
    state.mcp = Promise.resolve(manager);
  }
  if (options.continue || options.resume) {
    const recorder = state.recorder = await openSessionRecorder(ctx, config, {
      backend: state.backend,
      model: state.model,
    });
    history.push(...await recorder.history());
    state.systemPrompt ??= recorder.systemPrompt;
    io.err(c.dim(`resumed session ${recorder.sessionId} (${history.length} messages)\n`));
    const note = resumeNote(history);
    if (note) io.err(c.yellow(`${note}\n`));
  }
  // The chat loop is supervised: a fault restarts it with the session restored from the store.
  const chat = await ChatSupervisor.start({
    restore: async () => {
      if (!state.recorder) return undefined;
      const restored = await state.recorder.reload();
      history.splice(0, history.length, ...restored);
      return restored.length;
    },
    notify: (line) => io.err(c.yellow(`\n! ${line}\n`)),
    afterTurn: chatFaultForTests(ctx.env),
  });

  /** `@path` and `@server:uri` in a message attach that file or resource. */
  const withAttachments = async (
    text: string,
    manager: PluginRef<McpSurface> | undefined,
    signal: AbortSignal,
  ): Promise<string> => {
    if (!text.includes("@")) return text;
    const result = await attach(text, {
      servers: manager
        ? Object.entries(config.mcp.servers).filter(([, s]) => s.enabled).map(([name]) => name)
        : [],
      cwd: ctx.cwd,
      home: ctx.env.HOME,
      readFile: (path) => Deno.readFile(path),
      readResource: async (server, uri) => {
        const read = await manager!.call("readResource", { server, uri }, { signal });
        // Subscribed, so the cached copy follows the server's updates (when it offers them).
        void manager!.call("subscribe", { server, uri }, { timeoutMs: 10_000 }).catch(() => {});
        return read.contents.map((c: { text?: unknown; mimeType?: string; uri: string }) =>
          typeof c.text === "string" ? c.text : `[${c.mimeType ?? "binary"} ${c.uri}]`
        ).join("\n");
      },
    });
    if (result.errors.length) {
      // Sent without what it names, the model would answer another question: not sent.
      throw new Error(
        `${
          result.errors.join("\n")
        }\nnot sent: fix or remove the @mention (Up brings the message back)`,
      );
    }
    if (result.attached.length) io.err(c.dim(`(attached ${result.attached.join(", ")})\n`));
    return result.text;
  };

  // Servers whose tools could not be listed, with what was said: each is said once, not at
  // every model call of every turn, until it lists its tools again.
  const toolErrorsShown = new Map<string, string>();

  /** Sends a chat message through the tool loop (typed, or from /mcp prompt). */
  const sendMessage = async (text: string, signal: AbortSignal): Promise<void> => {
    const llm = await runtime.llm(config);
    const status = (await llm.call("status", undefined)).find((b) => b.name === state.backend);
    if (!status?.configured) {
      turnFailed = true;
      io.err(
        `${c.yellow("no model configured")}: ${
          status?.missing ?? `backend "${state.backend}" is unknown`
        }` +
          `; or switch with /backend (it lists every backend and what each needs).\n`,
      );
      return;
    }
    if (!state.recorder && config.session.autosave) await state.ensureRecorder();
    state.historyCursor = undefined;
    const manager = servers.length ? await connecting(state.startMcp(), signal) : undefined;
    text = await withAttachments(text, manager, signal);
    await chat.run(() =>
      chatTurn(ctx, config, {
        text,
        signal,
        history,
        backend: state.backend,
        model: state.model,
        manager,
        llm,
        recorder: state.recorder,
        policy: state.policy,
        context: state.context,
        system: state.systemPrompt,
        ask,
        choose: terminal?.choose,
        live: terminal?.live,
        onLive: (blocks) => void (liveLines = blocks),
        totals: state.totals,
        markdown: state.markdown,
        toolErrorsShown,
        requests: { router, route: personHandlers },
      })
    );
  };

  /**
   * Servers still starting (lazy ones on the first message, or one that does not answer):
   * a spinner says so, and Ctrl-C gives up waiting.
   */
  const connecting = async <T>(starting: Promise<T>, signal: AbortSignal): Promise<T> => {
    let settled = false;
    starting.then(() => (settled = true), () => (settled = true));
    await Promise.resolve(); // an already connected manager answers at once: no spinner
    if (settled || !Deno.stderr.isTerminal()) return await starting;
    const { ToolBlocks } = await import("../../ui/tool_blocks.ts");
    const { err } = io;
    const spinner = new ToolBlocks({
      write: (text) => err(text),
      color: c,
      columns: () => terminalColumns(),
      live: true,
    });
    const restore = writeAround(io, spinner);
    spinner.thinking("connecting to MCP servers");
    const { promise: aborted, reject } = Promise.withResolvers<never>();
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await Promise.race([starting, aborted]);
    } finally {
      signal.removeEventListener("abort", onAbort);
      spinner.finish();
      restore();
    }
  };

  const commands: SlashCommand[] = REPL_COMMANDS.map((command) => ({
    name: command.name,
    summary: command.summary,
    usage: command.usage,
    group: command.group,
    run: (args, signal) => command.run(state, args, signal),
  }));
  const builtinNames = [{ name: "help", complete: () => REPL_COMMANDS.map((c) => c.name) }, {
    name: "exit",
  }, { name: "quit" }];
  const complete = replCompleter(
    state,
    () => [...builtinNames, ...REPL_COMMANDS],
    () => aliasNames(state),
  );

  /** The servers and their state, as far as known when the banner is drawn. */
  function serversLine(): string {
    const names = Object.entries(config.mcp.servers).filter(([, s]) => s.enabled);
    if (names.length === 0) {
      return c.dim("No MCP servers yet (mcpchat servers add, /mcp discover)\n");
    }
    const parts = names.map(([name, s]) => {
      const state = serverStates.get(name) ??
        ((s.startup_mode ?? config.mcp.startup_mode) === "lazy" ? "on first use" : "starting");
      const shown = state === "ready"
        ? c.green(state)
        : state === "failed"
        ? c.red(state)
        : state === "degraded"
        ? c.yellow(state)
        : c.dim(state);
      return `${sanitizeLine(name)} ${shown}`;
    });
    return c.dim("MCP: ") + parts.join(c.dim(", ")) + "\n";
  }
  const chosen = config.llm.backends[state.backend];
  // Said up front, so nobody types a question only to learn there is no model.
  const keyHint = chosen && !chosen.configured
    ? c.yellow(`no model yet: ${chosen.missing ?? `configure backend "${state.backend}"`}`) +
      c.dim(" (or pick one with /backend; MCP commands work without)\n")
    : "";
  const bannerText = `${c.bold("mcpchat")} ${VERSION} ${c.dim(`· ${state.backend}`)}\n` +
    keyHint + serversLine() + c.dim("Type /help for commands, Ctrl-D to exit.\n");
  const banner = wrapModule
    ? (await wrapModule).default(bannerText, terminalColumns() - 1, { hard: true })
    : bannerText;
  ctx.profiler.mark("prompt shown");
  io.err(ctx.profiler.reportOnce());
  // Behind the prompt: the LLM worker (and its provider library), background servers.
  // Deno's module-loading progress bar may clear the prompt's line when a worker loads: redraw.
  // A macrotask: it runs once the prompt is drawn (the editor draws in microtasks).
  setTimeout(() => {
    void runtime.llm(config).then((llm) => llm.call("preload", { backend: state.backend }))
      .finally(() => terminal?.redraw()).catch(() => {});
    if (modes.includes("background")) {
      void state.startMcp().finally(() => terminal?.redraw()).catch(() => {});
    }
  }, 0);

  const end = await runRepl(
    {
      output: io,
      // Piped, stdout is for answers only: the prompt goes to stderr when a person watches it.
      read: terminal?.read ??
        linesReader(() => reader!.read(), (text) => {
          if (Deno.stderr.isTerminal()) io.err(text);
        }),
      onInterrupt: (listener) => {
        const offSignal = hooks.onInterrupt(listener);
        const offKey = terminal?.onInterrupt(listener);
        return () => {
          offSignal();
          offKey?.();
        };
      },
      columns: terminal ? terminalColumns : undefined,
    },
    {
      commands,
      banner,
      prompt: () => io.color.cyan("› "),
      // Stored aliases (/alias add) before those of [aliases] in the config.
      aliases: async (name) =>
        (await (await runtime.store(config)).call("getAlias", { name }))?.commands ??
          config.aliases[name],
      onMessage: (text, signal) => state.send(text, signal),
    },
  ).finally(() => terminal?.close());
  await chat.stop();
  await state.recorder?.close();
  if (end !== "exit" || terminal) {
    io.err(goodbye(state.totals, state.recorder?.sessionId, io.errColor));
  }
  // Piped (a script): a message that got no answer is a failure the caller must see.
  return !terminal && turnFailed ? ExitCode.Runtime : ExitCode.Ok;
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

/** The approval menu's keys. */
const APPROVAL_CHOICES = [
  { key: "y", label: "yes", done: "allowed" },
  { key: "n", label: "no", done: "denied" },
  { key: "a", label: "always this tool", done: "allowed (always this tool)" },
  { key: "s", label: "always this server", done: "allowed (always this server)" },
  { key: "d", label: "details", done: "details:" },
] as const;

interface TurnContext {
  text: string;
  /** Tool-listing errors already shown this session (server → message). */
  toolErrorsShown: Map<string, string>;
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
  /** A one-key menu (on a terminal); the chosen key, `null` on Ctrl-C. */
  choose?(question: string, choices: typeof APPROVAL_CHOICES): Promise<string | null>;
  /** Render the answer as markdown. */
  markdown?: boolean;
  /** The editor's live region: the rendered answer is drawn again after a resize. */
  live?: ReplTerminal["live"];
  /** The turn's live lines while it runs (held back while a server asks the user). */
  onLive?(blocks: LiveLines | undefined): void;
  totals: {
    input: number;
    output: number;
    cost: number | "unknown";
    last?: { input: number; output: number };
  };
  /** Who answers the servers' requests while this turn calls them (the person). */
  requests?: AgentServices["requests"];
}

async function chatTurn(ctx: CommandContext, config: Config, turn: TurnContext): Promise<void> {
  const { io } = ctx;
  const c = io.errColor;
  const loop = tracedTurn(runAgentTurn(
    turn.history,
    turn.text,
    agentDeps({
      llm: turn.llm,
      mcp: turn.manager,
      recorder: turn.recorder,
      requests: turn.requests,
      onToolErrors: (errors) => {
        const shown = turn.toolErrorsShown;
        const failing = new Set(errors.map((e) => e.server));
        for (const server of shown.keys()) if (!failing.has(server)) shown.delete(server);
        for (const e of errors) {
          if (shown.get(e.server) === e.message) continue;
          shown.set(e.server, e.message);
          io.err(c.dim(`(${sanitizeLine(e.server)}: ${sanitizeText(e.message)})\n`));
        }
      },
      // The live lines are held back while the approval menu is on screen.
      approve: withLivePaused(() => blocks, async (call) => {
        if (turn.policy.isAllowed(call)) return "allow";
        const name = c.bold(`${sanitizeLine(call.server)} ${sanitizeLine(call.tool)}`);
        const args = sanitizeLine(JSON.stringify(call.arguments) ?? "");
        let answer: string;
        if (turn.choose) {
          // One key: y, n, a, s; d shows the arguments whole and asks again.
          while (true) {
            answer = await turn.choose(
              `${c.yellow("?")} run ${name} ${
                c.dim(args.length > 60 ? `${args.slice(0, 60)}…` : args)
              }\n  `,
              APPROVAL_CHOICES,
            ) ?? "n";
            if (answer !== "d") break;
            io.err(sanitizeText(JSON.stringify(call.arguments, null, 2) ?? "") + "\n");
          }
        } else {
          answer = (await turn.ask(
            `${c.yellow("?")} run ${name} ${c.dim(args)}\n` +
              `  [y]es  [n]o  [a]lways this tool  always this [s]erver: `,
          )).toLowerCase();
        }
        const map = { y: "yes", yes: "yes", a: "always-tool", s: "always-server" } as const;
        return turn.policy.remember(call, map[answer as keyof typeof map] ?? "no");
      }),
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
  ));
  const rendered = turn.markdown ? await markdownOutput(io, turn.live) : undefined;
  const view = new TurnView(rendered?.output ?? { ...io }, {
    statusEnabled: Deno.stderr.isTerminal(),
    intervalMs: config.ui.progress_interval_ms,
  });
  // On a terminal, tool calls are drawn as blocks with live progress lines (lib/ui/tool_blocks.ts).
  const { err: baseErr } = io;
  let restoreIo = () => {};
  const blocks = Deno.stderr.isTerminal()
    ? new (await import("../../ui/tool_blocks.ts")).ToolBlocks({
      write: (text) => rendered ? rendered.output.err(text) : baseErr(text),
      color: io.errColor,
      columns: () => terminalColumns(),
      live: true,
    })
    : undefined;
  if (blocks) {
    // Anything else written during the turn (a server's notice, a tool error) first takes
    // the live lines off the screen; they are drawn again below it. The turn's own output
    // goes through `rendered` / `view`, which write to the terminal underneath.
    restoreIo = writeAround(io, blocks, rendered?.output);
    turn.onLive?.(blocks);
    // The tools are listed first: lazy servers connect now, the first time (seconds).
    if (turn.manager) blocks.thinking("connecting to MCP servers");
  }
  const offProgress = turn.manager?.on("progress", (update) => {
    if (blocks) blocks.progress(update);
    else view.progress(update);
  });
  let step;
  try {
    step = await loop.next();
    while (!step.done) {
      const event = step.value;
      if (blocks && event.type === "tool-start") {
        view.finish(); // ends the answer's line, clears the status line
        blocks.start(event);
      } else if (blocks && event.type === "tool-end") blocks.end(event.call);
      else if (blocks && event.type === "model-call") {
        view.finish(); // the answer so far ends its line
        blocks.thinking();
      } else if (
        event.type === "start" || event.type === "usage" || event.type === "finish" ||
        event.type === "reasoning-delta"
      ) {
        // Not shown: the spinner keeps waiting for the answer's first words.
        view.show(event);
      } else {
        blocks?.suspend();
        view.show(event);
      }
      step = await loop.next();
    }
  } finally {
    offProgress?.();
    blocks?.finish(turn.signal.aborted ? "cancelled" : undefined);
    view.finish();
    rendered?.end();
    if (blocks) {
      restoreIo();
      turn.onLive?.(undefined);
    }
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

/**
 * Until the returned function is called, whatever else writes through `io`
 * (a server's notice, a tool error) first takes the live lines off the
 * screen (they are drawn again below it on the next tick), and ends a
 * half-shown line of the answer (`rendered`). The live lines' and the
 * turn's own output go to the terminal underneath.
 */
function writeAround(io: Output, live: { hide(): void }, rendered?: Output): () => void {
  const { err, out } = io;
  io.err = (text) => {
    live.hide();
    (rendered ?? { err }).err(text);
  };
  io.out = (text) => {
    live.hide();
    out(text);
  };
  return () => {
    io.err = err;
    io.out = out;
  };
}

/** A turn's live lines, as others who need the screen see them. */
interface LiveLines {
  pause(): void;
  resume(): void;
}

/**
 * The server-request handlers with the running turn's live lines held back
 * while each runs: its questions (a form, an approval) are typed on a quiet
 * screen, and the spinner comes back after.
 */
function whileLivePaused(
  live: () => LiveLines | undefined,
  handlers: McpHostHandlers,
): McpHostHandlers {
  const paused = <A extends unknown[], R>(handler: (...args: A) => Promise<R>) =>
    withLivePaused(live, handler);
  return {
    ...handlers,
    ...(handlers.sampling ? { sampling: paused(handlers.sampling) } : {}),
    ...(handlers.elicit ? { elicit: paused(handlers.elicit) } : {}),
  };
}

/** `handler` with the live lines (if any) paused while it runs. */
function withLivePaused<A extends unknown[], R>(
  live: () => LiveLines | undefined,
  handler: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    const lines = live();
    lines?.pause();
    try {
      return await handler(...args);
    } finally {
      lines?.resume();
    }
  };
}

/** The terminal's width (stderr), 80 when unknown. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 80;
  } catch {
    return 80;
  }
}
