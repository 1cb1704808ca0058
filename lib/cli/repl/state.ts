/**
 * What the REPL's slash commands share: the session being chatted in (its
 * messages, recorder, backend and model, totals), the services, and the
 * command table itself. One object, handed to every command.
 *
 * @module
 */

import type { ApprovalPolicy, ContextOptions } from "../../chat/mod.ts";
import type { Config } from "../../config/schema.ts";
import type { LlmMessage } from "../../llm/types.ts";
import type { PluginRef } from "../../plugin/ref.ts";
import type { Output } from "../../ui/output.ts";
import type { CommandContext } from "../context.ts";
import type { McpSurface, Runtime } from "../runtime.ts";
import type { SessionRecorder } from "../sessions.ts";

/** Tokens and cost of this REPL session. */
export interface Totals {
  input: number;
  output: number;
  cost: number | "unknown";
  last?: { input: number; output: number };
}

/** The REPL's shared, mutable state. */
export interface ReplState {
  readonly ctx: CommandContext;
  readonly config: Config;
  readonly runtime: Runtime;
  readonly io: Output;
  backend: string;
  model?: string;
  systemPrompt?: string;
  /** The conversation as the model sees it. */
  readonly history: LlmMessage[];
  recorder?: SessionRecorder;
  /** Where `/history` continues (the page before), `null` at the start. */
  historyCursor?: number | null;
  readonly totals: Totals;
  readonly context: ContextOptions;
  readonly policy: ApprovalPolicy;
  /** Answers rendered as markdown (`/markdown`). */
  markdown: boolean;
  /** Whether the status line is shown under the prompt (`/tui`); changed through `setStatusLine`. */
  statusLine: boolean;
  /** Shows or hides it; absent when there is no terminal to draw on. */
  setStatusLine?(on: boolean): void;
  /** The MCP manager once something started it (`startMcp`, or eager servers). */
  mcp?: Promise<PluginRef<McpSurface>>;
  /** Starts the MCP manager (once) and returns it. */
  startMcp(): Promise<PluginRef<McpSurface>>;
  /** Sends a chat message through the tool loop. */
  send(text: string, signal: AbortSignal): Promise<void>;
  /** The session's recorder, opened now if nothing was said yet. */
  ensureRecorder(): Promise<SessionRecorder>;
  /** Names taken by commands (an alias may not use them). */
  commandNames(): Set<string>;
}

/** Groups of `/help`, in the order shown. */
export const COMMAND_GROUPS = ["chat", "session", "mcp", "status", "other"] as const;
/** A group of `/help`. */
export type CommandGroup = typeof COMMAND_GROUPS[number];

/** Tab candidates: the words, or the words with a note each shows in the menu. */
export type Candidates = string[] | { items: string[]; notes: ReadonlyMap<string, string> };

/** One slash command of the REPL, in its own module. */
export interface ReplCommand {
  /** Name without the slash. */
  name: string;
  /** One-line summary for `/help`. */
  summary: string;
  /** Usage for `/help NAME`. */
  usage?: string;
  group: CommandGroup;
  /**
   * Tab completion of the word being typed: `words` are the arguments before
   * it, `partial` what is typed of it. Returns candidates for that word.
   */
  complete?(
    state: ReplState,
    words: string[],
    partial: string,
    signal: AbortSignal,
  ): Promise<Candidates> | Candidates;
  /** Runs it; `"exit"` ends the REPL. */
  run(
    state: ReplState,
    args: string[],
    signal: AbortSignal,
  ): Promise<void | "exit"> | void | "exit";
}
