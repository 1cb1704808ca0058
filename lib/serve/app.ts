/**
 * mcpchat's MCP server, one instance per connected client: the tools
 * (`chat`, `new_session`, `list_sessions`, `get_history`, `clear_history`,
 * `switch_backend`, `list_servers`), the resources (`chat://history`,
 * `chat://session/{id}` with completion and subscriptions), the prompts
 * (`code_review`, `explain`, `refactor` with completion), and logging.
 * Each client has its own current session and backend choice.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/completable"
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type CallToolResult,
  CreateMessageResultSchema,
  ElicitResultSchema,
  type ServerNotification,
  type ServerRequest,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
// @ts-types="@modelcontextprotocol/sdk/shared/protocol"
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { z } from "zod";
import type { ChatClient, HistoryMessage, ServeBackend, SessionSummary } from "./backend.ts";
import { publicMessage } from "./public_error.ts";

/** How long a forwarded sampling or elicitation request may wait for the client (a person). */
const CLIENT_REQUEST_TIMEOUT_MS = 10 * 60_000;

/**
 * The client behind one `chat` call: its capabilities, and its requests sent
 * with the call's `extra.sendRequest` (so over streamable HTTP they travel on
 * that call's own response stream).
 */
function chatClient(server: McpServer, extra: ToolExtra): ChatClient {
  const can = server.server.getClientCapabilities() ?? {};
  const options = (signal: AbortSignal) => ({ signal, timeout: CLIENT_REQUEST_TIMEOUT_MS });
  return {
    sampling: can.sampling !== undefined,
    elicitation: can.elicitation !== undefined,
    createMessage: (params, signal) =>
      extra.sendRequest(
        { method: "sampling/createMessage", params },
        CreateMessageResultSchema,
        options(signal),
      ),
    elicit: (params, signal) =>
      extra.sendRequest(
        { method: "elicitation/create", params },
        ElicitResultSchema,
        options(signal),
      ),
  };
}

/** Options of {@linkcode createServeApp}. */
export interface ServeAppOptions {
  backend: ServeBackend;
  /** Where live clients register for `resources/updated` fan-out. */
  hub: ServeHub;
  /** Adds the conformance fixture tools, resources and prompts. */
  fixtures?: (server: McpServer) => void;
  /** Secrets never to echo (the server token). */
  secrets?: readonly string[];
  /** mcpchat's version, announced in `serverInfo`. */
  version: string;
}

/** What a tool callback gets besides its arguments. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** A client's view: what it subscribed to and which session is "its" history. */
interface ClientState {
  sessionId?: string;
  backend?: string;
  model?: string;
  subscriptions: Set<string>;
}

/** A connected client, as the hub sees it. */
export interface HubClient {
  state: ClientState;
  server: McpServer;
}

/**
 * The live clients of one server process, so a stored session's change
 * reaches every client subscribed to it.
 *
 * @example
 * ```ts
 * import { ServeHub } from "./app.ts";
 * const hub = new ServeHub();
 * hub.sessionChanged("s1", "appended"); // no clients: nothing happens
 * console.log(hub.size); // 0
 * ```
 */
export class ServeHub {
  readonly #clients = new Set<HubClient>();

  get size(): number {
    return this.#clients.size;
  }

  add(client: HubClient): () => void {
    this.#clients.add(client);
    return () => this.#clients.delete(client);
  }

  /** Tells subscribed clients that session `id` changed. */
  sessionChanged(id: string, change: string): void {
    for (const { state, server } of this.#clients) {
      if (!server.isConnected()) continue;
      const uris: string[] = [];
      if (state.subscriptions.has(sessionUri(id))) uris.push(sessionUri(id));
      if (state.sessionId === id && state.subscriptions.has(HISTORY_URI)) uris.push(HISTORY_URI);
      for (const uri of uris) void server.server.sendResourceUpdated({ uri }).catch(() => {});
      if (change === "created" || change === "deleted") {
        server.sendResourceListChanged();
      }
    }
  }
}

/** The current client's session history. */
export const HISTORY_URI = "chat://history";
const sessionUri = (id: string) => `chat://session/${id}`;
const SESSION_PREFIX = "chat://session/";

const LANGUAGES = [
  "typescript",
  "javascript",
  "python",
  "rust",
  "go",
  "java",
  "kotlin",
  "c",
  "cpp",
  "csharp",
  "ruby",
  "php",
  "swift",
  "elixir",
  "shell",
  "sql",
];
const REVIEW_FOCUS = ["correctness", "security", "performance", "readability", "tests"];
const LEVELS = ["beginner", "intermediate", "expert"];
const REFACTOR_GOALS = [
  "readability",
  "performance",
  "testability",
  "smaller functions",
  "remove duplication",
  "modern idioms",
];

const startsWith = (options: readonly string[]) => (value: string | undefined) =>
  options.filter((o) => o.toLowerCase().startsWith((value ?? "").toLowerCase()));

/** An optional prompt argument whose values complete from `options`. */
const choice = (description: string, options: readonly string[]) =>
  completable(z.string().optional().describe(description), startsWith(options));

/** A prompt result of one user message. */
const userPrompt = (description: string, text: string) => ({
  description,
  messages: [{ role: "user" as const, content: { type: "text" as const, text } }],
});

/** `code` in a markdown code block. */
const fenced = (code: string, language = "") => `\`\`\`${language}\n${code}\n\`\`\``;

function text(value: string): CallToolResult {
  return { content: [{ type: "text", text: value }] };
}

function json(value: Record<string, unknown>): CallToolResult {
  return {
    content: [{ type: "text", text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
  };
}

function renderHistory(session: SessionSummary, messages: HistoryMessage[]): string {
  const head = `# ${session.title || "(untitled)"}\nsession ${session.id} · ${
    session.backend ?? "default backend"
  }${session.model ? ` · ${session.model}` : ""} · ${session.messageCount} messages\n`;
  const body = messages.map((m) => `\n## ${m.role} (#${m.seq})\n\n${m.text}\n`).join("");
  return head + body;
}

/**
 * Builds the MCP server for one client.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // @ts-types="@modelcontextprotocol/sdk/client/index"
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * // @ts-types="@modelcontextprotocol/sdk/inMemory"
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { createServeApp, ServeHub } from "./app.ts";
 * import type { ServeBackend } from "./backend.ts";
 * const unused = () => Promise.reject(new Error("not used here"));
 * const backend: ServeBackend = {
 *   chat: unused, newSession: unused, getHistory: unused, clearHistory: unused,
 *   checkBackend: unused,
 *   listSessions: () => Promise.resolve({ sessions: [], cursor: null }),
 *   backends: () => Promise.resolve(["local"]),
 *   listServers: () => Promise.resolve([{ name: "everything", status: "ready" }]),
 * };
 * const { server, dispose } = createServeApp({ backend, hub: new ServeHub(), version: "0.1.0" });
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 * const client = new Client({ name: "example", version: "0" });
 * await client.connect(clientSide);
 * const result = await client.callTool({ name: "list_servers", arguments: {} });
 * assert.deepEqual(result.structuredContent, {
 *   servers: [{ name: "everything", status: "ready" }],
 * });
 * await client.close();
 * dispose();
 * ```
 */
export function createServeApp(options: ServeAppOptions): { server: McpServer; dispose(): void } {
  const { backend, hub } = options;
  const secrets = options.secrets ?? [];
  const state: ClientState = { subscriptions: new Set() };
  const server = new McpServer(
    { name: "mcpchat", title: "mcpchat", version: options.version },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
        completions: {},
      },
      instructions:
        "mcpchat: chat with the user's configured LLM (which can use the user's MCP tools) " +
        "through the `chat` tool; sessions persist. Read chat://history for the current session.",
    },
  );
  /** Runs a tool body; a failure becomes an error result with a safe message. */
  const guarded =
    <A>(body: (args: A, signal: AbortSignal) => Promise<CallToolResult>) =>
    async (args: A, extra: ToolExtra): Promise<CallToolResult> => {
      try {
        return await body(args, extra.signal);
      } catch (error) {
        if (extra.signal.aborted) throw error;
        return { content: [{ type: "text", text: publicMessage(error, secrets) }], isError: true };
      }
    };
  /** Runs a resource or completion body; a failure is rethrown with a safe message. */
  const safe = <A extends unknown[], R>(body: (...args: A) => Promise<R>) =>
  async (
    ...args: A
  ): Promise<R> => {
    try {
      return await body(...args);
    } catch (error) {
      throw new Error(publicMessage(error, secrets));
    }
  };
  const log = (level: "info" | "warning" | "debug", data: string) =>
    void server.sendLoggingMessage(
      { level, logger: "mcpchat", data },
      // The level a client set is kept per transport session.
      server.server.transport?.sessionId,
    ).catch(() => {});

  // ── tools ─────────────────────────────────────────────────────────────
  server.registerTool("chat", {
    title: "Chat",
    description:
      "Send a message to mcpchat's model and get its answer. Runs the same agent loop as the " +
      "mcpchat REPL (the model may call the MCP tools the server allows). Continues the current " +
      "session, or session_id when given; the first call starts a new session.",
    inputSchema: {
      message: z.string().min(1).describe("The user message"),
      session_id: z.string().optional().describe("Session to continue (default: the current one)"),
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
  }, async (args: { message: string; session_id?: string }, extra: ToolExtra) => {
    const token = extra._meta?.progressToken;
    let last = 0;
    try {
      const result = await backend.chat({
        sessionId: args.session_id ?? state.sessionId,
        message: args.message,
        backend: state.backend,
        model: state.model,
      }, {
        signal: extra.signal,
        client: chatClient(server, extra),
        onProgress: token === undefined ? undefined : (step) => {
          last = Math.max(last + 1, step.progress);
          void extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: last, message: step.message },
          }).catch(() => {});
        },
      });
      state.sessionId = result.sessionId;
      log(
        "info",
        `chat answered in session ${result.sessionId} (${result.toolCalls.length} tool calls)`,
      );
      return {
        content: [{ type: "text", text: result.answer || "(the model gave no text answer)" }],
        structuredContent: {
          answer: result.answer,
          session_id: result.sessionId,
          tool_calls: result.toolCalls.map((c) => ({
            name: c.name,
            status: c.status,
            is_error: c.isError,
            duration_ms: c.durationMs,
          })),
          usage: {
            input_tokens: result.usage.inputTokens,
            output_tokens: result.usage.outputTokens,
          },
          cost: result.cost,
          stop_reason: result.stopReason,
          backend: result.backend ?? null,
          model: result.model ?? null,
        },
        isError: result.stopReason === "max-turns" ? true : undefined,
      };
    } catch (error) {
      if (extra.signal.aborted) throw error;
      return { content: [{ type: "text", text: publicMessage(error, secrets) }], isError: true };
    }
  });

  server.registerTool(
    "new_session",
    {
      title: "New session",
      description: "Start a new chat session and make it the current one.",
      inputSchema: {
        title: z.string().optional().describe("A title for the session"),
        system: z.string().optional().describe("System prompt of the session"),
      },
    },
    guarded(async (args: { title?: string; system?: string }) => {
      const session = await backend.newSession({
        title: args.title,
        system: args.system,
        backend: state.backend,
        model: state.model,
      });
      state.sessionId = session.id;
      return json({
        session_id: session.id,
        title: session.title,
        backend: session.backend ?? null,
      });
    }),
  );

  server.registerTool(
    "list_sessions",
    {
      title: "List sessions",
      description: "List stored chat sessions, most recently active first.",
      inputSchema: {
        limit: z.number().int().min(1).max(200).optional().describe("Sessions per page (20)"),
        cursor: z.string().optional().describe("From a previous page's next_cursor"),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async (args: { limit?: number; cursor?: string }) => {
      const page = await backend.listSessions({ limit: args.limit ?? 20, cursor: args.cursor });
      return json({
        sessions: page.sessions.map((s) => ({
          id: s.id,
          title: s.title,
          backend: s.backend ?? null,
          model: s.model ?? null,
          messages: s.messageCount,
          last_active: new Date(s.lastActive).toISOString(),
          current: s.id === state.sessionId,
        })),
        next_cursor: page.cursor,
      });
    }),
  );

  server.registerTool(
    "get_history",
    {
      title: "Get history",
      description:
        "Messages of a session (default: the current one), newest page first; pass next_before " +
        "from a page to get the page before it.",
      inputSchema: {
        session_id: z.string().optional(),
        limit: z.number().int().min(1).max(500).optional().describe("Messages per page (50)"),
        before: z.number().int().min(0).optional().describe("Only messages before this seq"),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async (args: { session_id?: string; limit?: number; before?: number }) => {
      const sessionId = args.session_id ?? state.sessionId;
      if (!sessionId) {
        return text("No current session yet: call chat or new_session first, or pass session_id.");
      }
      const page = await backend.getHistory({
        sessionId,
        before: args.before,
        limit: args.limit ?? 50,
      });
      return json({
        session_id: page.session.id,
        title: page.session.title,
        messages: page.messages.map((m) => ({
          seq: m.seq,
          role: m.role,
          text: m.text,
          created_at: new Date(m.createdAt).toISOString(),
        })),
        next_before: page.nextBefore,
      });
    }),
  );

  server.registerTool(
    "clear_history",
    {
      title: "Clear history",
      description: "Remove every message of a session (default: the current one); it stays listed.",
      inputSchema: { session_id: z.string().optional() },
      annotations: { destructiveHint: true },
    },
    guarded(async (args: { session_id?: string }) => {
      const sessionId = args.session_id ?? state.sessionId;
      if (!sessionId) return text("No current session: nothing to clear.");
      const done = await backend.clearHistory({ sessionId });
      return json({ cleared: true, session_id: done.sessionId });
    }),
  );

  server.registerTool(
    "switch_backend",
    {
      title: "Switch backend",
      description:
        "Use another configured LLM backend (and optionally model) for this client's chat calls.",
      inputSchema: {
        backend: z.string().min(1).describe("A backend name from mcpchat's config"),
        model: z.string().optional(),
      },
    },
    guarded(async (args: { backend: string; model?: string }) => {
      const checked = await backend.checkBackend({ backend: args.backend, model: args.model });
      state.backend = checked.backend;
      state.model = checked.model;
      return json({
        backend: checked.backend,
        model: checked.model ?? null,
        configured: checked.configured,
      });
    }),
  );

  server.registerTool("list_servers", {
    title: "List MCP servers",
    description: "The MCP servers mcpchat itself uses, with their state.",
    inputSchema: {},
    annotations: { readOnlyHint: true },
  }, guarded(async () => json({ servers: await backend.listServers() })));

  // ── resources ─────────────────────────────────────────────────────────
  server.registerResource(
    "history",
    HISTORY_URI,
    {
      title: "Current session history",
      description: "The messages of this client's current chat session (markdown).",
      mimeType: "text/markdown",
    },
    safe(async (uri: URL) => {
      if (!state.sessionId) {
        return {
          contents: [{
            uri: uri.href,
            mimeType: "text/markdown",
            text: "No current session yet: call the chat or new_session tool first.",
          }],
        };
      }
      const page = await backend.getHistory({ sessionId: state.sessionId, limit: 200 });
      return {
        contents: [{
          uri: uri.href,
          mimeType: "text/markdown",
          text: renderHistory(page.session, page.messages),
        }],
      };
    }),
  );

  server.registerResource(
    "session",
    new ResourceTemplate(`${SESSION_PREFIX}{id}`, {
      list: safe(async () => {
        const page = await backend.listSessions({ limit: 50 });
        return {
          resources: page.sessions.map((s) => ({
            uri: sessionUri(s.id),
            name: s.title || s.id,
            description: `${s.messageCount} messages`,
            mimeType: "text/markdown",
          })),
        };
      }),
      complete: {
        id: safe(async (value: string) => {
          const page = await backend.listSessions({ limit: 100 });
          return page.sessions.map((s) => s.id).filter((id) => id.startsWith(value ?? ""));
        }),
      },
    }),
    {
      title: "Chat session",
      description: "A stored chat session's messages (markdown).",
      mimeType: "text/markdown",
    },
    safe(async (uri: URL, variables: Record<string, string | string[]>) => {
      const id = String(variables.id);
      const page = await backend.getHistory({ sessionId: id, limit: 200 });
      return {
        contents: [{
          uri: uri.href,
          mimeType: "text/markdown",
          text: renderHistory(page.session, page.messages),
        }],
      };
    }),
  );

  // ── prompts ───────────────────────────────────────────────────────────
  server.registerPrompt("code_review", {
    title: "Code review",
    description: "Review code for bugs, risks and clarity.",
    argsSchema: {
      code: z.string().describe("The code to review"),
      language: choice("Programming language", LANGUAGES),
      focus: choice("What to focus on", REVIEW_FOCUS),
    },
  }, (args: { code: string; language?: string; focus?: string }) =>
    userPrompt(
      "Code review",
      `Review this ${args.language ?? ""} code${
        args.focus ? ` with a focus on ${args.focus}` : ""
      }. List concrete problems (with line references), why each matters, and a fix.\n\n${
        fenced(args.code, args.language)
      }`,
    ));

  server.registerPrompt("explain", {
    title: "Explain",
    description: "Explain code or a concept at a chosen level.",
    argsSchema: {
      topic: z.string().describe("Code or a concept to explain"),
      level: choice("beginner, intermediate or expert", LEVELS),
    },
  }, (args: { topic: string; level?: string }) =>
    userPrompt(
      "Explanation",
      `Explain the following for a${
        args.level === "intermediate" || args.level === "expert" ? "n" : ""
      } ${args.level ?? "intermediate"} reader, with a short example:\n\n${args.topic}`,
    ));

  server.registerPrompt("refactor", {
    title: "Refactor",
    description: "Refactor code towards a goal, keeping behaviour.",
    argsSchema: {
      code: z.string().describe("The code to refactor"),
      goal: choice("What the refactoring should achieve", REFACTOR_GOALS),
      language: choice("Programming language", LANGUAGES),
    },
  }, (args: { code: string; goal?: string; language?: string }) =>
    userPrompt(
      "Refactoring",
      `Refactor this ${args.language ?? ""} code for ${
        args.goal ?? "readability"
      } without changing its behaviour. Show the new code, then explain each change.\n\n${
        fenced(args.code, args.language)
      }`,
    ));

  options.fixtures?.(server);

  // ── subscriptions ─────────────────────────────────────────────────────
  server.server.setRequestHandler(
    SubscribeRequestSchema,
    (request: { params: { uri: string } }) => {
      state.subscriptions.add(request.params.uri);
      return {};
    },
  );
  server.server.setRequestHandler(
    UnsubscribeRequestSchema,
    (request: { params: { uri: string } }) => {
      state.subscriptions.delete(request.params.uri);
      return {};
    },
  );

  const remove = hub.add({ state, server });
  return { server, dispose: remove };
}
