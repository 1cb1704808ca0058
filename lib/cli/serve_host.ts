/**
 * The host side of server mode: what the `mcp-serve` worker's tools do,
 * over the running services. `chat` runs the same agent loop as the REPL
 * (`agentDeps` + `runAgentTurn`), with the server's own tool allow-list in
 * place of a person to ask, and every message committed to the store as it
 * happens. Store changes are forwarded to the worker so subscribed clients
 * get `resources/updated`.
 *
 * @module
 */

import { ApprovalPolicy, runAgentTurn } from "../chat/mod.ts";
import type { Config } from "../config/schema.ts";
import type { LlmMessage } from "../llm/types.ts";
import type { PluginRef } from "../plugin/ref.ts";
import type {
  ChatAnswer,
  HistoryMessage,
  ServeBackend,
  ServeHostCalls,
  ServeHostEvents,
  ServerSummary,
  SessionSummary,
} from "../serve/backend.ts";
import type { MessageEntry, SessionRecord } from "../store/types.ts";
import type {
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
} from "../util/mcp_types.ts";
import { agentDeps, contextOptions } from "./agent_deps.ts";
import type { McpHostHandlers, McpSurface, Runtime, StoreSurface } from "./runtime.ts";
import { type RequestRoute, requestRouter } from "./request_router.ts";
import { resumableHistory, type SessionRecorder, sessionRecorder } from "./sessions.ts";

/** Sessions held open (with their writer lease and the model's view) at most. */
const MAX_OPEN_CHATS = 32;

/** A session the server is chatting in: its recorder and the model's view of it. */
interface OpenChat {
  recorder: SessionRecorder;
  history: LlmMessage[];
  backend?: string;
  model?: string;
}

/** Options of {@linkcode ServeHost}. */
export interface ServeHostOptions {
  runtime: Runtime;
  config: Config;
  /** Backend and model when a client has not switched (`-b`, `-m`, or the config). */
  backend?: string;
  model?: string;
  /** Tools the model may call without a person to ask (globs on `server__tool`). */
  allowTools: readonly string[];
  /** Sends an event to the serve worker. */
  emit<K extends keyof ServeHostEvents>(event: K, data: ServeHostEvents[K]): void;
  /** The environment (to say whether a backend has its key). */
  env: Record<string, string | undefined>;
  /**
   * Answers to sampling and elicitation requests of mcpchat's own MCP servers when the
   * client of the chat cannot take them (server mode's policy).
   */
  mcpHandlers?: McpHostHandlers;
  /**
   * Forwards such a request to the client of the running `chat` call `progressId` (through
   * the serve worker); absent, the policy answers.
   */
  askClient?: {
    createMessage(
      progressId: string,
      params: CreateMessageRequestParams,
      signal: AbortSignal,
    ): Promise<CreateMessageResult>;
    elicit(
      progressId: string,
      params: ElicitRequestParams,
      signal: AbortSignal,
    ): Promise<ElicitResult>;
  };
}

function summary(r: SessionRecord): SessionSummary {
  return {
    id: r.id,
    title: r.title,
    name: r.name,
    backend: r.backend,
    model: r.model,
    createdAt: r.createdAt,
    lastActive: r.lastActive,
    messageCount: r.messageCount,
  };
}

function messageText(m: MessageEntry): string {
  if (typeof m.content === "string") return m.content;
  return m.content.map((part) => {
    if (part.type === "text") return part.text;
    if (part.type === "tool-call") {
      return `[tool call ${part.name} ${JSON.stringify(part.arguments)}]`;
    }
    const content = typeof part.content === "string" ? part.content : JSON.stringify(part.content);
    return `[tool result${part.isError ? " (error)" : ""}] ${content}`;
  }).join("\n");
}

/**
 * The services behind server mode, as handlers the serve worker calls.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./args.ts";
 * import { CommandContext } from "./context.ts";
 * import { StartupProfiler } from "./profiler.ts";
 * import { memoryOutput } from "../ui/output.ts";
 * import { ServeHost } from "./serve_host.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "serve", "--stdio"]),
 *   io: memoryOutput(),
 *   env: { HOME: home },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const host = new ServeHost({
 *   runtime: await ctx.runtime(),
 *   config: await ctx.config(),
 *   env: ctx.env,
 *   allowTools: [],
 *   // `mcpchat serve` forwards these to the serve worker (subscribed clients hear of them).
 *   emit: () => {},
 * });
 * // The worker calls these through `host.handlers()` (see `mcpServeSpec`).
 * assert.ok("newSession" in host.handlers());
 * const created = await host.newSession({ title: "demo" });
 * const { sessions } = await host.listSessions({});
 * assert.deepEqual(sessions.map((s) => s.id), [created.id]);
 * await host.close();
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export class ServeHost implements ServeBackend {
  readonly #o: ServeHostOptions;
  readonly #open = new Map<string, OpenChat>();
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #policy: ApprovalPolicy;
  #store?: Promise<PluginRef<StoreSurface>>;
  #closed = false;

  constructor(options: ServeHostOptions) {
    this.#o = options;
    this.#policy = new ApprovalPolicy({ allow: [...options.allowTools] });
  }

  /**
   * Handlers for the worker's `ctx.call` (what the serve plugin declares it calls), but
   * `listening`: announcing the address is the command's.
   */
  handlers(): Omit<ServeHostCalls, "listening"> {
    return {
      chat: ({ progressId, client, ...p }, c) =>
        this.chat(p, {
          signal: c.signal,
          onProgress: (step) => this.#o.emit("chat-progress", { progressId, ...step }),
          route: this.#route(progressId, client),
        }),
      newSession: (p) => this.newSession(p),
      listSessions: (p) => this.listSessions(p),
      getHistory: (p) => this.getHistory(p),
      clearHistory: (p) => this.clearHistory(p),
      checkBackend: (p) => this.checkBackend(p),
      backends: () => this.backends(),
      listServers: () => this.listServers(),
    };
  }

  /**
   * How the chat `progressId` answers its servers' sampling and elicitation: its client
   * when that declared the capability (it asks its own user), else server mode's policy.
   */
  #route(
    progressId: string,
    client: { sampling: boolean; elicitation: boolean } | undefined,
  ): RequestRoute {
    const policy = this.#policyHandlers();
    const ask = this.#o.askClient;
    return {
      shared: policy,
      sampling: client?.sampling && ask
        ? (request, { signal }) => ask.createMessage(progressId, request.params, signal)
        : policy.sampling,
      elicit: client?.elicitation && ask
        ? (request, { signal }) => ask.elicit(progressId, request.params, signal)
        : policy.elicit,
    };
  }

  /** Server mode's own answers (refuse sampling, decline forms, when none were given). */
  #policyHandlers(): Required<McpHostHandlers> {
    const given = this.#o.mcpHandlers ?? {};
    return {
      sampling: given.sampling ??
        (() => Promise.reject(new Error("sampling is not available in server mode here"))),
      elicit: given.elicit ?? (() => Promise.resolve({ action: "decline" as const })),
    };
  }

  /**
   * The MCP manager with the run's request router (the manager takes the handlers of its
   * first user only: the router is what makes each chat's requests reach its own client).
   */
  #mcp(): Promise<PluginRef<McpSurface>> {
    const router = requestRouter(this.#o.runtime).fallbackTo(this.#policyHandlers(), {
      onlyIfUnset: true,
    });
    return this.#o.runtime.mcp(this.#o.config, router.handlers());
  }

  /** The store, started on first use; its changes are forwarded to the worker. */
  #storeRef(): Promise<PluginRef<StoreSurface>> {
    this.#store ??= this.#o.runtime.store(this.#o.config).then((store) => {
      store.on("session-changed", ({ sessionId, change }) => {
        this.#o.emit("session-changed", { sessionId, change });
      });
      return store;
    });
    return this.#store;
  }

  /** Runs `work` after every earlier call on the same session has finished. */
  async #serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(key) ?? Promise.resolve();
    const run = before.catch(() => {}).then(work);
    this.#locks.set(key, run);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === run) this.#locks.delete(key);
    }
  }

  /** Keeps `chat` open for `id` (most recently used last); beyond the cap the oldest is closed. */
  #keepOpen(id: string, chat: OpenChat): void {
    this.#open.delete(id);
    this.#open.set(id, chat);
    for (const [oldId, old] of this.#open) {
      if (this.#open.size <= MAX_OPEN_CHATS) break;
      if (this.#locks.has(oldId)) continue; // a turn is running in it
      this.#open.delete(oldId);
      void old.recorder.close().catch(() => {});
    }
  }

  async #openChat(sessionId: string): Promise<OpenChat> {
    const existing = this.#open.get(sessionId);
    if (existing) {
      this.#keepOpen(sessionId, existing);
      return existing;
    }
    const store = await this.#storeRef();
    const opened = await store.call("open", { ref: sessionId });
    const chat: OpenChat = {
      recorder: sessionRecorder(
        store,
        opened.session.id,
        opened.session.systemPrompt,
        opened.recent,
      ),
      history: resumableHistory(opened.recent),
      backend: opened.session.backend,
      model: opened.session.model,
    };
    this.#keepOpen(opened.session.id, chat);
    return chat;
  }

  async chat(
    params: { sessionId?: string; message: string; backend?: string; model?: string },
    options: {
      signal: AbortSignal;
      onProgress?: (step: { progress: number; message: string }) => void;
      /** Who answers the sampling and elicitation of the servers this chat calls. */
      route?: RequestRoute;
    },
  ): Promise<ChatAnswer> {
    const { config, runtime } = this.#o;
    const backend = params.backend ?? this.#o.backend ?? config.llm.default;
    const model = params.model ?? (params.backend ? undefined : this.#o.model);
    let sessionId = params.sessionId;
    if (!sessionId) {
      sessionId = (await this.newSession({ backend, model })).id;
    } else {
      sessionId = (await (await this.#storeRef()).call("resolve", { ref: sessionId })).id;
    }
    const id = sessionId;
    return await this.#serialized(id, async () => {
      const hasServers = Object.values(config.mcp.servers).some((s) => s.enabled);
      const [llm, mcp, chat] = await Promise.all([
        runtime.llm(config),
        hasServers ? this.#mcp() : Promise.resolve(undefined),
        this.#openChat(id),
      ]);
      const deps = agentDeps({
        llm,
        mcp,
        recorder: chat.recorder,
        // No one to ask: the server's allow-list decides.
        approve: (call) => Promise.resolve(this.#policy.isAllowed(call) ? "allow" : "deny"),
        // While a tool call of this chat runs on a server, that server's requests go to the
        // client that asked for this chat.
        requests: {
          router: requestRouter(runtime),
          route: options.route ?? this.#route("", undefined),
        },
      });
      const loop = runAgentTurn(chat.history, params.message, deps, {
        backend: params.backend ?? chat.backend ?? backend,
        model: params.model ?? (params.backend ? undefined : chat.model ?? model),
        system: chat.recorder.systemPrompt,
        maxTurns: 25,
        context: contextOptions(config),
        maxTokens: config.llm.max_tokens,
        temperature: config.llm.temperature,
      }, options.signal);
      let progress = 0;
      let lastText = 0;
      const report = (message: string) => options.onProgress?.({ progress: ++progress, message });
      // Progress that the MCP tools this turn runs report is passed on too.
      const running = new Map<string, string>();
      const offProgress = mcp?.on("progress", (p) => {
        const name = p.callId ? running.get(p.callId) : undefined;
        if (!name) return;
        const amount = p.total ? `${p.progress}/${p.total}` : `${p.progress}`;
        report(`${name}: ${p.message ?? amount}`);
      });
      let step;
      try {
        step = await loop.next();
        while (!step.done) {
          const event = step.value;
          if (event.type === "model-call") report(`model call ${event.turn}`);
          else if (event.type === "tool-start") {
            running.set(event.id, event.name);
            report(`running ${event.name}`);
          } else if (event.type === "tool-end") {
            running.delete(event.call.id);
            report(`${event.call.name}: ${event.call.status}`);
          } else if (event.type === "text-delta" && Date.now() - lastText > 250) {
            lastText = Date.now();
            report("answering…");
          }
          step = await loop.next();
        }
      } finally {
        offProgress?.();
      }
      const result = step.value;
      return {
        answer: result.answer,
        sessionId: id,
        toolCalls: result.toolCalls.map((c) => ({
          name: c.name,
          status: c.status,
          isError: c.isError,
          durationMs: c.durationMs,
        })),
        usage: { inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens },
        cost: typeof result.cost === "number" ? Math.round(result.cost * 1e9) / 1e9 : result.cost,
        stopReason: result.stopReason,
        backend: result.backend,
        model: result.model,
      };
    });
  }

  async newSession(
    params: { title?: string; system?: string; backend?: string; model?: string },
  ): Promise<SessionSummary> {
    const store = await this.#storeRef();
    const opened = await store.call("create", {
      init: {
        backend: params.backend ?? this.#o.backend ?? this.#o.config.llm.default,
        model: params.model ?? this.#o.model,
        systemPrompt: params.system,
        ...(params.title ? { title: params.title } : {}),
      },
    });
    const id = opened.session.id;
    this.#keepOpen(id, {
      recorder: sessionRecorder(store, id, opened.session.systemPrompt, opened.recent),
      history: [],
      backend: opened.session.backend,
      model: opened.session.model,
    });
    return summary(opened.session);
  }

  async listSessions(
    params: { limit?: number; cursor?: string },
  ): Promise<{ sessions: SessionSummary[]; cursor: string | null }> {
    const page = await (await this.#storeRef()).call("list", {
      limit: params.limit,
      cursor: params.cursor,
    });
    return { sessions: page.sessions.map(summary), cursor: page.cursor };
  }

  async getHistory(
    params: { sessionId: string; before?: number; limit?: number },
  ): Promise<{ session: SessionSummary; messages: HistoryMessage[]; nextBefore: number | null }> {
    const store = await this.#storeRef();
    const { id } = await store.call("resolve", { ref: params.sessionId });
    const [record, page] = await Promise.all([
      store.call("get", { ref: id }),
      store.call("history", { sessionId: id, before: params.before, limit: params.limit }),
    ]);
    return {
      session: summary(record),
      messages: page.messages.map((m) => ({
        seq: m.seq,
        role: m.role,
        text: messageText(m),
        createdAt: m.createdAt,
        model: m.model,
      })),
      nextBefore: page.nextBefore,
    };
  }

  async clearHistory(params: { sessionId: string }): Promise<{ sessionId: string }> {
    const store = await this.#storeRef();
    const { id } = await store.call("resolve", { ref: params.sessionId });
    return await this.#serialized(id, async () => {
      await store.call("clear", { ref: id });
      const open = this.#open.get(id);
      // The model's view starts over too.
      if (open) open.history.splice(0, open.history.length);
      return { sessionId: id };
    });
  }

  checkBackend(
    params: { backend: string; model?: string },
  ): Promise<{ backend: string; model?: string; configured: boolean }> {
    const backends = this.#o.config.llm.backends;
    const entry = backends[params.backend];
    if (!entry) {
      return Promise.reject(
        new Error(
          `no backend named "${params.backend}"; configured: ${Object.keys(backends).join(", ")}`,
        ),
      );
    }
    const keyVar = entry.api_key_env;
    const configured = !keyVar || Boolean(this.#o.env[keyVar]);
    return Promise.resolve({ backend: params.backend, model: params.model, configured });
  }

  backends(): Promise<string[]> {
    return Promise.resolve(Object.keys(this.#o.config.llm.backends));
  }

  async listServers(): Promise<ServerSummary[]> {
    const { config } = this.#o;
    const names = Object.keys(config.mcp.servers);
    if (names.length === 0) return [];
    const mcp = await this.#mcp();
    const servers = await mcp.call("servers");
    return servers.map((s) => ({
      name: s.name,
      status: s.status,
      transport: s.transport,
      ...(s.toolCount !== undefined ? { tools: s.toolCount } : {}),
    }));
  }

  /** Releases the sessions held open (their leases). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#open.values()].map((c) => c.recorder.close()));
    this.#open.clear();
  }
}
