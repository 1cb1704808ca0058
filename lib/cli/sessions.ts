/**
 * Recording a chat into the session store, for one-shot runs and the REPL.
 *
 * @module
 */

import type { Config } from "../config/schema.ts";
import type { LlmMessage, LlmUsage } from "../llm/types.ts";
import type { CommandContext } from "./context.ts";

/** Appends a conversation's messages to its stored session as they happen. */
export interface SessionRecorder {
  readonly sessionId: string;
  readonly systemPrompt?: string;
  /** The session's earlier messages (for `-c` / `-r`), newest page. */
  history(): Promise<LlmMessage[]>;
  append(
    message: LlmMessage,
    meta: { model?: string; usage?: LlmUsage; cost?: number },
  ): Promise<void>;
  close(): Promise<void>;
}

/** Opens (or creates) the session a run records into. */
export function openSessionRecorder(
  _ctx: CommandContext,
  _config: Config,
  _init: { backend?: string; model?: string },
): Promise<SessionRecorder | undefined> {
  return Promise.resolve(undefined);
}
