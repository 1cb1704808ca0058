/**
 * Committing an answer while it streams: what the user has seen is in the
 * store within a bounded time (every `intervalMs`, or sooner after `chars`
 * more characters), and the final form replaces it when the stream ends,
 * well or not. Until then the stored copy says `interrupted`, so a process
 * killed mid-stream leaves a truthful record behind.
 *
 * @module
 */

import type { LlmAssistantMessage, LlmUsage } from "../llm/types.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** What the final write of an answer carries besides the message. */
export interface AnswerMeta {
  model?: string;
  usage?: LlmUsage;
  cost?: number;
}

/**
 * Writes one version of the answer. The first call creates the stored
 * message, later calls replace it. `meta` is given only with the final write.
 */
export type AnswerWriter = (message: LlmAssistantMessage, meta?: AnswerMeta) => Promise<void>;

/** How often a streaming answer is committed. */
export interface CheckpointOptions {
  /** At most this long between a change and its commit (default 250 ms). */
  intervalMs?: number;
  /** Commit at once after this many new characters (default 2,000). */
  chars?: number;
  clock?: Clock;
}

/** Why an answer that has not ended yet is stored as interrupted (a SIGKILL leaves this). */
export const STREAMING_REASON = "mcpchat stopped while the answer streamed";

function sizeOf(message: LlmAssistantMessage): number {
  let n = message.content.length;
  for (const call of message.toolCalls ?? []) n += JSON.stringify(call.arguments).length + 32;
  return n;
}

/**
 * One answer being committed as it streams.
 *
 * @example
 * ```ts
 * import { AnswerCheckpoint } from "./checkpoint.ts";
 * const saved: string[] = [];
 * const answer = new AnswerCheckpoint(async (m) => void saved.push(m.content), { chars: 3 });
 * answer.update({ role: "assistant", content: "Hello" }); // 5 new characters: committed now
 * await answer.finish({ role: "assistant", content: "Hello!" });
 * console.log(saved); // ["Hello", "Hello!"]
 * ```
 */
export class AnswerCheckpoint {
  #write: AnswerWriter;
  #clock: Clock;
  #intervalMs: number;
  #chars: number;
  #latest: LlmAssistantMessage | undefined;
  #dirty = false;
  #savedSize = 0;
  #savedAt = Number.NEGATIVE_INFINITY;
  #inFlight: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  #finished: Promise<void> | undefined;
  #error: unknown;

  constructor(write: AnswerWriter, options: CheckpointOptions = {}) {
    this.#write = write;
    this.#clock = options.clock ?? systemClock;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#chars = options.chars ?? 2_000;
  }

  /** The last version given (what the user has seen). */
  get latest(): LlmAssistantMessage | undefined {
    return this.#latest;
  }

  /** True once {@linkcode finish} was called. */
  get finished(): boolean {
    return this.#finished !== undefined;
  }

  /** The error of the last failed checkpoint, if any (the final write reports its own). */
  get error(): unknown {
    return this.#error;
  }

  /**
   * The answer as it stands now (still streaming: stored as interrupted
   * until {@linkcode finish}). Commits now or schedules a commit.
   */
  update(message: LlmAssistantMessage): void {
    if (this.#finished) return;
    this.#latest = message;
    this.#dirty = true;
    this.#schedule();
  }

  #schedule(): void {
    if (!this.#dirty || this.#finished || this.#inFlight) return;
    const grown = sizeOf(this.#latest!) - this.#savedSize;
    const waited = this.#clock.now() - this.#savedAt;
    if (grown >= this.#chars || waited >= this.#intervalMs) return this.#flush();
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#schedule();
    }, this.#intervalMs - waited);
  }

  #flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const message = this.#latest!;
    this.#dirty = false;
    this.#savedSize = sizeOf(message);
    this.#savedAt = this.#clock.now();
    const draft = { ...message, interrupted: message.interrupted ?? STREAMING_REASON };
    this.#inFlight = this.#write(draft).catch((error) => void (this.#error = error)).finally(
      () => {
        this.#inFlight = undefined;
        this.#schedule();
      },
    );
  }

  /**
   * Commits the final form (complete, or with `interrupted` set) once the
   * checkpoint in flight has landed. Only the first call writes; later ones
   * wait for it (a signal handler and the chat loop may both end an answer).
   */
  finish(message: LlmAssistantMessage, meta?: AnswerMeta): Promise<void> {
    this.#finished ??= (async () => {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#latest = message;
      while (this.#inFlight) await this.#inFlight;
      await this.#write(message, meta);
    })();
    return this.#finished;
  }
}

/**
 * The answers streaming right now, so a signal handler (SIGTERM, SIGHUP) can
 * commit each as interrupted before the process exits.
 *
 * @example
 * ```ts
 * import { AnswerCheckpoint, OpenAnswers } from "./checkpoint.ts";
 * const open = new OpenAnswers();
 * const answer = open.track(new AnswerCheckpoint(async () => {}));
 * answer.update({ role: "assistant", content: "Hel" });
 * await open.interruptAll("mcpchat was stopped (SIGTERM)", 2_000);
 * ```
 */
export class OpenAnswers {
  #open = new Set<AnswerCheckpoint>();

  /** Follows `answer` until it finishes. */
  track(answer: AnswerCheckpoint): AnswerCheckpoint {
    this.#open.add(answer);
    const finish = answer.finish.bind(answer);
    answer.finish = (message, meta) => {
      this.#open.delete(answer);
      return finish(message, meta);
    };
    return answer;
  }

  /** Number of answers still streaming. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Ends every open answer as interrupted with `reason`, waiting at most
   * `timeoutMs` for the store; never throws.
   */
  async interruptAll(reason: string, timeoutMs: number, clock: Clock = systemClock): Promise<void> {
    const pending = [...this.#open].map((answer) => {
      const latest = answer.latest ?? { role: "assistant" as const, content: "" };
      const { toolCalls: _calls, ...text } = latest;
      return answer.finish({ ...text, interrupted: reason }, {}).catch(() => {});
    });
    if (pending.length === 0) return;
    let timer: TimerHandle | undefined;
    await Promise.race([
      Promise.all(pending),
      new Promise<void>((resolve) => timer = clock.setTimeout(resolve, timeoutMs)),
    ]);
    if (timer !== undefined) clock.clearTimeout(timer);
  }
}
