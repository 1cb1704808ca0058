/**
 * ChatSupervisor: the chat loop as a supervised child (`lib/supervisor`).
 * A turn that fails with a fault (a bug: `TypeError`, `RangeError`, …, or a
 * promise rejection nobody handled) crashes the child; the supervisor
 * restarts it, which restores the conversation from the store, and the user
 * is told in one line. The REPL around it carries on. Errors a user can act
 * on (the model, a server, Ctrl-C) are not faults: they reach the caller as
 * they are.
 *
 * @module
 */

import { Supervisor } from "../supervisor/supervisor.ts";
import type { ChildHandle, ExitReason, RestartIntensity } from "../supervisor/types.ts";
import type { Clock } from "../util/clock.ts";

/** What a {@linkcode ChatSupervisor} needs. */
export interface ChatSupervisorOptions {
  /**
   * Restores the conversation from the store (at every restart); resolves
   * with the number of messages restored, or undefined when nothing is stored.
   */
  restore(): Promise<number | undefined>;
  /** Tells the user what happened, in one line. */
  notify(line: string): void;
  /** Default: 5 restarts a minute, then the fault is given to the caller. */
  intensity?: RestartIntensity;
  clock?: Clock;
  /**
   * Test hook only (see `chatFaultForTests`): runs after each turn with its
   * number, to inject a fault.
   */
  afterTurn?(turn: number): void;
}

/**
 * Whether `error` is a fault of the program (restart the chat) rather than
 * an error to show (a provider's, a server's, a cancellation).
 *
 * @example
 * ```ts
 * import { isChatFault } from "./supervisor.ts";
 * isChatFault(new TypeError("x is undefined")); // true
 * isChatFault(new Error("backend: rate limited")); // false
 * ```
 */
export function isChatFault(error: unknown): boolean {
  if (!(error instanceof Error)) return !(error instanceof DOMException);
  return error instanceof TypeError || error instanceof RangeError ||
    error instanceof ReferenceError || error instanceof SyntaxError ||
    error instanceof EvalError || error instanceof URIError;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Runs chat turns under a supervisor.
 *
 * @example
 * ```ts
 * import { ChatSupervisor } from "./supervisor.ts";
 * const chat = await ChatSupervisor.start({ restore: async () => 0, notify: console.log });
 * await chat.run(async () => {
 *   throw new TypeError("a bug");
 * }); // restarted: "the chat crashed (TypeError: a bug) and was restarted; …"
 * await chat.stop();
 * ```
 */
export class ChatSupervisor {
  #supervisor: Supervisor;
  #options: ChatSupervisorOptions;
  /** Crashes the running chat child. */
  #crash: ((error: unknown) => void) | undefined;
  #turns = 0;
  /** The restart under way after a crash: resolves when restored (or throws when given up). */
  #recovery: Promise<void> | undefined;
  #onRejection = (event: PromiseRejectionEvent) => {
    // A rejection nobody handled would end the process: it is a chat fault instead.
    event.preventDefault();
    void this.#fault(event.reason).catch(() => {});
  };

  private constructor(options: ChatSupervisorOptions) {
    this.#options = options;
    this.#supervisor = new Supervisor({
      name: "chat",
      intensity: options.intensity ?? { maxRestarts: 5, periodMs: 60_000 },
      backoff: { baseMs: 50, maxMs: 1_000 },
      clock: options.clock,
    });
  }

  /** Starts the chat child (no restore the first time: the caller has just loaded it). */
  static async start(options: ChatSupervisorOptions): Promise<ChatSupervisor> {
    const chat = new ChatSupervisor(options);
    let first = true;
    await chat.#supervisor.start([{
      id: "chat",
      restart: "permanent",
      start: async (): Promise<ChildHandle> => {
        if (!first) await chat.#restored();
        first = false;
        let settle!: (reason: ExitReason) => void;
        const exited = new Promise<ExitReason>((resolve) => (settle = resolve));
        chat.#crash = (error) => settle({ kind: "crash", error: describe(error) });
        return {
          exited,
          stop: (reason) => Promise.resolve(settle({ kind: "shutdown", reason })),
          kill: () => settle({ kind: "shutdown" }),
        };
      },
    }]);
    globalThis.addEventListener("unhandledrejection", chat.#onRejection);
    return chat;
  }

  #lastError = "";

  async #restored(): Promise<void> {
    const count = await this.#options.restore();
    const what = count === undefined
      ? "nothing was stored to restore"
      : `the session was restored from the store (${count} messages)`;
    this.#options.notify(`the chat crashed (${this.#lastError}) and was restarted; ${what}`);
  }

  /** Crashes the child with `error` and waits for the restart (throws `error` if given up). */
  #fault(error: unknown): Promise<void> {
    this.#recovery ??= (async () => {
      this.#lastError = describe(error);
      const done = new Promise<boolean>((resolve) => {
        const off = this.#supervisor.subscribe((event) => {
          if (event.id !== "chat") return;
          if (event.type === "restarted") resolve(true);
          else if (event.type === "gave-up") resolve(false);
          else return;
          off();
        });
      });
      this.#crash?.(error);
      const restarted = await done;
      this.#recovery = undefined;
      if (!restarted) throw error;
    })();
    return this.#recovery;
  }

  /**
   * Runs one turn. A fault restarts the chat (restoring the session) and
   * resolves with undefined; any other error is thrown as is.
   */
  async run<T>(turn: () => Promise<T>): Promise<T | undefined> {
    await this.#recovery;
    try {
      const result = await turn();
      this.#options.afterTurn?.(++this.#turns);
      return result;
    } catch (error) {
      if (!isChatFault(error)) throw error;
      await this.#fault(error);
      return undefined;
    }
  }

  /** Stops the chat child and stops treating unhandled rejections as chat faults. */
  async stop(): Promise<void> {
    globalThis.removeEventListener("unhandledrejection", this.#onRejection);
    await this.#supervisor.stop();
  }
}
