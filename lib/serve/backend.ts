/**
 * What server mode needs from the rest of mcpchat: the chat loop, the
 * session store, the backends and the MCP servers mcpchat itself uses. The
 * `mcp-serve` worker reaches them through its host (the main thread); tests
 * may give a direct implementation.
 *
 * @module
 */

import type {
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
} from "../util/mcp_types.ts";

/** One session in a listing. */
export interface SessionSummary {
  id: string;
  title: string;
  name?: string;
  backend?: string;
  model?: string;
  createdAt: number;
  lastActive: number;
  messageCount: number;
}

/** One stored message, as clients see it. */
export interface HistoryMessage {
  seq: number;
  role: string;
  /** Text of the message (tool calls and results rendered as text). */
  text: string;
  createdAt: number;
  model?: string;
}

/** A tool call made during a `chat` turn. */
export interface ChatToolCall {
  name: string;
  status: string;
  isError: boolean;
  durationMs: number;
}

/** The outcome of a `chat` call. */
export interface ChatAnswer {
  answer: string;
  sessionId: string;
  toolCalls: ChatToolCall[];
  usage: { inputTokens: number; outputTokens: number };
  cost: number | "unknown";
  stopReason: string;
  backend?: string;
  model?: string;
}

/** A progress step of a running `chat` call. */
export interface ChatProgress {
  progress: number;
  message: string;
}

/**
 * The MCP client that made a `chat` call, as the chat sees it: what it can
 * answer, and how to ask it. Sampling and elicitation requests that
 * mcpchat's own MCP servers send during that chat go to this client.
 */
export interface ChatClient {
  /** The client declared the `sampling` capability. */
  sampling: boolean;
  /** The client declared the `elicitation` capability. */
  elicitation: boolean;
  /** Sends `sampling/createMessage` to the client (on the `chat` call's stream). */
  createMessage(
    params: CreateMessageRequestParams,
    signal: AbortSignal,
  ): Promise<CreateMessageResult>;
  /** Sends `elicitation/create` to the client (on the `chat` call's stream). */
  elicit(params: ElicitRequestParams, signal: AbortSignal): Promise<ElicitResult>;
}

/** One MCP server mcpchat is configured to use. */
export interface ServerSummary {
  name: string;
  status: string;
  transport?: string;
  error?: string;
}

/** The services behind the MCP tools, resources and prompts of server mode. */
export interface ServeBackend {
  /** Runs one user turn of the agent loop in `sessionId` (a new session when absent). */
  chat(
    params: { sessionId?: string; message: string; backend?: string; model?: string },
    options: {
      signal: AbortSignal;
      onProgress?: (step: ChatProgress) => void;
      /** The client that made the call (its servers' sampling and elicitation go to it). */
      client?: ChatClient;
    },
  ): Promise<ChatAnswer>;
  newSession(
    params: { title?: string; system?: string; backend?: string; model?: string },
  ): Promise<
    SessionSummary
  >;
  listSessions(params: { limit?: number; cursor?: string }): Promise<
    { sessions: SessionSummary[]; cursor: string | null }
  >;
  /** A page of a session's messages, newest page first; `before` pages back. */
  getHistory(params: { sessionId: string; before?: number; limit?: number }): Promise<
    { session: SessionSummary; messages: HistoryMessage[]; nextBefore: number | null }
  >;
  clearHistory(params: { sessionId: string }): Promise<{ sessionId: string }>;
  /** Checks that a backend exists (and its model), and says what it is. */
  checkBackend(params: { backend: string; model?: string }): Promise<
    { backend: string; model?: string; configured: boolean }
  >;
  /** Configured backend names (for completion). */
  backends(): Promise<string[]>;
  listServers(): Promise<ServerSummary[]>;
}

/**
 * What the serve worker calls on the host (the plugin's `hostCalls`): the
 * backend, one call per method; a `chat` call names its `progressId`, and
 * its progress comes back as `chat-progress` events.
 */
export type ServeHostCalls =
  & {
    [K in Exclude<keyof ServeBackend, "chat">]: (
      params: Parameters<ServeBackend[K]>[0],
    ) => ReturnType<ServeBackend[K]>;
  }
  & {
    /**
     * `client`: what the calling MCP client can answer; the host asks it through the
     * worker's `clientSampling` / `clientElicit {progressId, params}`.
     */
    chat: (
      params: Parameters<ServeBackend["chat"]>[0] & {
        progressId: string;
        client?: { sampling: boolean; elicitation: boolean };
      },
      ctx: { signal: AbortSignal },
    ) => Promise<ChatAnswer>;
    /**
     * HTTP: the server listens at `url`, at its first start and after every restart
     * (a call, not an event: it must reach the host before the new instance is ready).
     */
    listening: (params: { url: string }) => Promise<void>;
  };

/** Events the host sends the serve worker (the plugin's `hostEvents`). */
export interface ServeHostEvents {
  /** A session changed in the store (subscribed clients get `resources/updated`). */
  "session-changed": { sessionId: string; change: string };
  /** A step of the running `chat` call `progressId`. */
  "chat-progress": ChatProgress & { progressId: string };
}

/** Events the serve worker emits. */
export interface ServeEvents {
  /** stdio: the client went away. */
  closed: Record<never, never>;
}
