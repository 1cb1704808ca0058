/**
 * Recording a chat into the session store, for one-shot runs and the REPL:
 * every message is committed to KV as soon as it exists.
 *
 * @module
 */

import type { Config } from "../config/schema.ts";
import type { LlmMessage, LlmUsage } from "../llm/types.ts";
import { fromStoredMessage, toStoredMessage } from "../chat/convert.ts";
import { PeerClosedError, RemoteError } from "../rpc/errors.ts";
import { PluginUnavailableError } from "../plugin/ref.ts";
import type { Message } from "../store/types.ts";
import { type CommandContext, CommandError } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import type { StoreSurface } from "./runtime.ts";
import type { PluginRef } from "../plugin/ref.ts";

/** Appends a conversation's messages to its stored session as they happen. */
export interface SessionRecorder {
  readonly sessionId: string;
  readonly systemPrompt?: string;
  /** The session's recent messages (for `-c` / `-r`), as the model takes them. */
  history(): Promise<LlmMessage[]>;
  append(
    message: LlmMessage,
    meta: { model?: string; usage?: LlmUsage; cost?: number },
  ): Promise<void>;
  close(): Promise<void>;
}

/**
 * Messages to resume from: a page of stored messages, trimmed so it starts
 * at a user turn (a page may begin with tool results whose call fell off
 * the page, which providers reject).
 *
 * @example
 * ```ts
 * import { resumableHistory } from "./sessions.ts";
 * resumableHistory([{ role: "tool", content: [], createdAt: 1 }, { role: "user", content: "hi", createdAt: 2 }]);
 * // [{ role: "user", content: "hi" }]
 * ```
 */
export function resumableHistory(messages: readonly Message[]): LlmMessage[] {
  const converted = messages.flatMap(fromStoredMessage);
  const firstUser = converted.findIndex((m) => m.role === "user");
  const system = converted.filter((m, i) =>
    m.role === "system" && (firstUser < 0 || i < firstUser)
  );
  return firstUser < 0 ? system : [...system, ...converted.slice(firstUser)];
}

/**
 * Whether `pid` on this host has ended. Only answered where it can be known
 * without signalling anyone (`/proc` on Linux); elsewhere "no".
 */
export function processIsGone(pid: number): boolean {
  if (Deno.build.os !== "linux") return false;
  try {
    Deno.statSync(`/proc/${pid}`);
    return false;
  } catch (error) {
    return error instanceof Deno.errors.NotFound;
  }
}

/**
 * Opens a session for writing. When it is "open in another mcpchat" that
 * was in fact killed on this machine (its pid is gone), the dead holder's
 * lease is taken over at once instead of after it lapses.
 */
async function openTakingOverDead(store: PluginRef<StoreSurface>, ref: string) {
  try {
    return await store.call("open", { ref });
  } catch (error) {
    const holder = error instanceof RemoteError && error.code === "SESSION_BUSY"
      ? error.data?.holder as { pid: number; host: string } | undefined
      : undefined;
    if (!holder || holder.host !== Deno.hostname() || !processIsGone(holder.pid)) throw error;
    return await store.call("open", { ref, takeOverFrom: { pid: holder.pid, host: holder.host } });
  }
}

/** Maps store errors (busy session, unknown id) to command errors users can act on. */
export function storeFailure(error: unknown): never {
  if (error instanceof RemoteError) {
    if (error.code === "SESSION_BUSY" || error.remoteName === "SessionBusyError") {
      throw new CommandError(error.message, ExitCode.Runtime, error.code);
    }
    if (error.code === "SESSION_NOT_FOUND" || error.code === "SESSION_AMBIGUOUS") {
      throw new CommandError(error.message, ExitCode.Usage, error.code);
    }
  }
  throw error;
}

/**
 * Opens the session a run records into: `-r ID`, `-c` (the most recent one),
 * or a new one.
 *
 * @example
 * ```ts ignore
 * const recorder = await openSessionRecorder(ctx, config, { backend: "anthropic" });
 * await recorder.append({ role: "user", content: "hi" }, {});
 * ```
 */
export async function openSessionRecorder(
  ctx: CommandContext,
  config: Config,
  init: { backend?: string; model?: string; systemPrompt?: string },
  target: { ref?: string; continueLast?: boolean } = {
    ref: ctx.args.options.resume,
    continueLast: ctx.args.options.continue,
  },
): Promise<SessionRecorder> {
  const store = await (await ctx.runtime()).store(config);
  const { options } = ctx.args;
  let opened;
  try {
    if (target.ref) {
      opened = await openTakingOverDead(store, target.ref);
    } else if (target.continueLast) {
      const last = await store.call("last", { skipEmpty: true });
      opened = last ? await openTakingOverDead(store, last.id) : await store.call("create", {
        init: { ...init, systemPrompt: init.systemPrompt ?? options.system },
      });
    } else {
      opened = await store.call("create", {
        init: { ...init, systemPrompt: init.systemPrompt ?? options.system },
      });
    }
  } catch (error) {
    storeFailure(error);
  }
  return sessionRecorder(store, opened.session.id, opened.session.systemPrompt, opened.recent);
}

/** The store worker that held the session is gone (crashed, restarted). */
function storeWorkerGone(error: unknown): boolean {
  return error instanceof PeerClosedError || error instanceof PluginUnavailableError ||
    (error instanceof RemoteError && error.code === "SESSION_NOT_OPEN");
}

/**
 * A recorder for an open session. When the store worker crashes and is
 * restarted, the next append reopens the session in the new worker (taking
 * over its own lease) and carries on; a message whose commit landed just
 * before the crash is not written twice.
 *
 * @example
 * ```ts ignore
 * const recorder = sessionRecorder(store, opened.session.id, undefined, opened.recent);
 * await recorder.append({ role: "user", content: "hi" }, {});
 * ```
 */
export function sessionRecorder(
  store: PluginRef<StoreSurface>,
  sessionId: string,
  systemPrompt: string | undefined,
  recent: readonly Message[],
): SessionRecorder {
  let closed = false;
  return {
    sessionId,
    systemPrompt,
    history: () => Promise.resolve(resumableHistory(recent)),
    append: async (message, meta) => {
      const stored = toStoredMessage(message, Date.now(), meta);
      try {
        await store.call("append", { sessionId, message: stored });
      } catch (error) {
        if (!storeWorkerGone(error)) throw error;
        const reopened = await store.call("open", { ref: sessionId });
        const last = reopened.recent.at(-1);
        if (last?.createdAt === stored.createdAt && last.role === stored.role) return;
        await store.call("append", { sessionId, message: stored });
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await store.call("close", { sessionId });
    },
  };
}
