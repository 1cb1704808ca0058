/**
 * Recording a chat into the session store, for one-shot runs and the REPL:
 * every message is committed to KV as soon as it exists.
 *
 * @module
 */

import type { Config } from "../config/schema.ts";
import { sanitizeLine } from "../ui/sanitize.ts";
import type { LlmMessage, LlmUsage } from "../llm/types.ts";
import { fromStoredMessage, toStoredMessage } from "../chat/convert.ts";
import { AnswerCheckpoint, type AnswerWriter, type OpenAnswers } from "../chat/checkpoint.ts";
import { PeerClosedError, RemoteError } from "../rpc/errors.ts";
import { PluginUnavailableError } from "../plugin/ref.ts";
import type { Message, MessageEntry } from "../store/types.ts";
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
  /** The session's recent messages as the store has them now (after a chat crash). */
  reload(): Promise<LlmMessage[]>;
  append(
    message: LlmMessage,
    meta: { model?: string; usage?: LlmUsage; cost?: number },
  ): Promise<void>;
  /**
   * Starts one streamed answer: stored at its first checkpoint, rewritten at
   * each later one and when it ends (followed by SIGTERM/SIGHUP handlers).
   */
  answer(wrap?: (write: AnswerWriter) => AnswerWriter): AnswerCheckpoint;
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
 * How a stored answer that stopped early is marked where history is listed:
 * `" [interrupted: REASON]"`, or nothing.
 *
 * @example
 * ```ts
 * import { interruptionMark } from "./sessions.ts";
 * interruptionMark({ role: "assistant", content: "Hel", createdAt: 0, status: "interrupted", interruption: "cancelled by Ctrl-C" });
 * // " [interrupted: cancelled by Ctrl-C]"
 * ```
 */
export function interruptionMark(message: Message): string {
  if (message.status !== "interrupted") return "";
  const why = message.interruption ? `: ${sanitizeLine(message.interruption)}` : "";
  return ` [interrupted${why}]`;
}

/**
 * What to say when a resumed session's last answer was cut short, or nothing.
 *
 * @example
 * ```ts
 * import { resumeNote } from "./sessions.ts";
 * resumeNote([{ role: "user", content: "q" }, { role: "assistant", content: "Hal", interrupted: "cancelled by Ctrl-C" }]);
 * // "the last answer was interrupted (cancelled by Ctrl-C); what was shown is kept and the model sees it"
 * ```
 */
export function resumeNote(history: readonly LlmMessage[]): string | undefined {
  const last = history.findLast((m) => m.role === "assistant");
  if (last?.role !== "assistant" || last.interrupted === undefined) return undefined;
  return `the last answer was interrupted (${
    sanitizeLine(last.interrupted)
  }); what was shown is kept and the model sees it`;
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
      ? leaseHolder(error.data?.holder)
      : undefined;
    if (!holder || holder.host !== Deno.hostname() || !processIsGone(holder.pid)) throw error;
    return await store.call("open", { ref, takeOverFrom: { pid: holder.pid, host: holder.host } });
  }
}

/** The lease holder a `SESSION_BUSY` error names, checked: it crossed from the store worker. */
function leaseHolder(value: unknown): { pid: number; host: string } | undefined {
  if (
    typeof value === "object" && value !== null && "pid" in value && "host" in value &&
    typeof value.pid === "number" && typeof value.host === "string"
  ) return { pid: value.pid, host: value.host };
  return undefined;
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./args.ts";
 * import { CommandContext } from "./context.ts";
 * import { StartupProfiler } from "./profiler.ts";
 * import { memoryOutput } from "../ui/output.ts";
 * import { openSessionRecorder } from "./sessions.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`]),
 *   io: memoryOutput(),
 *   env: { HOME: home },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const config = await ctx.config();
 * const recorder = await openSessionRecorder(ctx, config, { backend: "anthropic" });
 * await recorder.append({ role: "user", content: "hi" }, {});
 * await recorder.close();
 * // `-c` continues the most recent session.
 * const again = await openSessionRecorder(ctx, config, {}, { continueLast: true });
 * assert.equal(again.sessionId, recorder.sessionId);
 * assert.deepEqual(await again.history(), [{ role: "user", content: "hi" }]);
 * await again.close();
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
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
  return sessionRecorder(
    store,
    opened.session.id,
    opened.session.systemPrompt,
    opened.recent,
    ctx.answers,
  );
}

/** Why a draft was emptied: its answer was too large to rewrite and was stored after it. */
export const SUPERSEDED = "superseded by the next message";

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
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./args.ts";
 * import { CommandContext } from "./context.ts";
 * import { StartupProfiler } from "./profiler.ts";
 * import { memoryOutput } from "../ui/output.ts";
 * import { sessionRecorder } from "./sessions.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`]),
 *   io: memoryOutput(),
 *   env: { HOME: home },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const config = await ctx.config();
 * const store = await (await ctx.runtime()).store(config);
 * const opened = await store.call("create", { init: {} });
 * const recorder = sessionRecorder(store, opened.session.id, undefined, opened.recent);
 * await recorder.append({ role: "user", content: "hi" }, {});
 * assert.deepEqual(await recorder.reload(), [{ role: "user", content: "hi" }]);
 * await recorder.close();
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export function sessionRecorder(
  store: PluginRef<StoreSurface>,
  sessionId: string,
  systemPrompt: string | undefined,
  recent: readonly Message[],
  open?: OpenAnswers,
): SessionRecorder {
  let closed = false;
  /** Runs a write; when the store worker was restarted, reopens the session and runs it again. */
  const reopening = async <T>(
    write: () => Promise<T>,
    landed: (last?: MessageEntry) => T | undefined,
  ) => {
    try {
      return await write();
    } catch (error) {
      if (!storeWorkerGone(error)) throw error;
      const reopened = await store.call("open", { ref: sessionId });
      const done = landed(reopened.recent.at(-1));
      if (done !== undefined) return done;
      return await write();
    }
  };
  const appendStored = (stored: Message) =>
    reopening(
      () => store.call("append", { sessionId, message: stored }),
      // A message whose commit landed just before the crash is not written twice.
      (last) =>
        last?.createdAt === stored.createdAt && last.role === stored.role ? last : undefined,
    );
  const answerWriter = (): AnswerWriter => {
    let seq: number | undefined;
    let tooLarge = false;
    const createdAt = Date.now();
    return async (message, meta) => {
      const stored = toStoredMessage(message, createdAt, meta ?? {});
      if (seq === undefined) {
        seq = (await appendStored(stored)).seq;
        return;
      }
      const at = seq;
      const replace = (message: Message) =>
        reopening(
          () => store.call("replaceLast", { sessionId, seq: at, message }),
          () => undefined,
        );
      // Past one commit's size a checkpoint cannot rewrite the draft: keep the last one.
      if (tooLarge && meta === undefined) return;
      try {
        await replace(stored);
      } catch (error) {
        if (!(error instanceof RemoteError && error.code === "MESSAGE_TOO_LARGE_TO_REWRITE")) {
          throw error;
        }
        tooLarge = true;
        if (meta === undefined) return;
        // Over one commit (600 KB): the draft becomes an empty stub and the answer a new message.
        await replace({
          role: "assistant",
          content: "",
          createdAt,
          status: "interrupted",
          interruption: SUPERSEDED,
        });
        seq = (await appendStored(stored)).seq;
      }
    };
  };
  return {
    sessionId,
    systemPrompt,
    history: () => Promise.resolve(resumableHistory(recent)),
    reload: async () =>
      resumableHistory(
        await reopening(() => store.call("recent", { sessionId }), () => undefined),
      ),
    append: async (message, meta) => {
      await appendStored(toStoredMessage(message, Date.now(), meta));
    },
    answer: (wrap) => {
      const write = answerWriter();
      const answer = new AnswerCheckpoint(wrap ? wrap(write) : write);
      return open ? open.track(answer) : answer;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await store.call("close", { sessionId });
    },
  };
}
