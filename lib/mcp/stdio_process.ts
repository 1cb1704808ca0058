/**
 * A stdio MCP server process, owned and reaped by the thin transport worker.
 * Uses `Deno.Command` directly (needs only `run` for the command), frames
 * newline-delimited JSON-RPC itself and keeps a bounded tail of stderr.
 * Does not import the SDK.
 *
 * @module
 */

import { McpCommandNotFoundError, McpConnectionError } from "./errors.ts";
import { LineSplitter, TailBuffer } from "./framing.ts";

/** What to spawn. */
export interface StdioProcessOptions {
  /** Server name (for messages). */
  name: string;
  /** Program to run. */
  command: string;
  /** Its arguments. */
  args?: string[];
  /** Complete environment of the child (it inherits nothing else). */
  env?: Record<string, string>;
  /** Working directory of the child. */
  cwd?: string;
  /** Grace period after closing stdin, and again after SIGTERM (default 1000 ms). */
  killGraceMs?: number;
  /**
   * Grace period after closing stdin before SIGTERM, when it differs from
   * `killGraceMs`: 0 when the run is over and nothing more is wanted from the
   * server (a finished one-shot), since many servers ignore stdin EOF.
   */
  stdinGraceMs?: number;
  /** Characters of stderr kept (default 8192). */
  stderrChars?: number;
  /**
   * Start the child in its own process group (default true). The worker
   * cannot signal a group (that needs unrestricted `run`); the host does,
   * from the pids the worker reports.
   */
  processGroup?: boolean;
}

/** How a child ended. */
export interface StdioExit {
  /** Exit code, or `null` when a signal ended it. */
  code: number | null;
  /** Signal that ended it, or `null`. */
  signal: string | null;
  /** Last lines of stderr. */
  stderr: string;
  /** Whether {@linkcode StdioProcess.stop} was asked for. */
  requested: boolean;
}

/** Callbacks of a {@linkcode StdioProcess}. */
export interface StdioProcessEvents {
  /** One complete line of stdout (a JSON-RPC message, unparsed). */
  onLine(line: string): void;
  /** Framing problem (oversized line); the process keeps running. */
  onError?(error: Error): void;
  /** The process ended (always called exactly once after a successful start). */
  onExit(exit: StdioExit): void;
}

/**
 * A running stdio server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StdioProcess } from "./stdio_process.ts";
 * // `cat` stands in for a server: it answers each line with itself.
 * const { promise: firstLine, resolve } = Promise.withResolvers<string>();
 * const p = StdioProcess.spawn({ name: "cat", command: "cat" }, {
 *   onLine: resolve,
 *   onExit: () => {},
 * });
 * await p.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
 * assert.equal(await firstLine, '{"jsonrpc":"2.0","method":"notifications/initialized"}');
 * const exit = await p.stop(); // closes stdin: cat ends by itself
 * assert.deepEqual([exit.code, exit.requested], [0, true]);
 * ```
 */
export class StdioProcess {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #encoder = new TextEncoder();
  readonly #stderr: TailBuffer;
  readonly #grace: number;
  readonly #stdinGrace: number;
  readonly #exited: Promise<StdioExit>;
  #stdinClosed = false;
  #stopRequested = false;
  #writeChain: Promise<void> = Promise.resolve();

  private constructor(
    child: Deno.ChildProcess,
    options: StdioProcessOptions,
    events: StdioProcessEvents,
  ) {
    this.#child = child;
    this.#grace = options.killGraceMs ?? 1000;
    this.#stdinGrace = options.stdinGraceMs ?? this.#grace;
    this.#stderr = new TailBuffer(options.stderrChars ?? 8192);
    this.#writer = child.stdin.getWriter();
    const stdoutDone = this.#pumpStdout(events, options.name);
    const stderrDone = this.#pumpStderr();
    this.#exited = this.#waitExit(stdoutDone, stderrDone);
    this.#exited.then((exit) => events.onExit(exit));
  }

  async #waitExit(stdoutDone: Promise<void>, stderrDone: Promise<void>): Promise<StdioExit> {
    const status = await this.#child.status;
    // Let the pumps drain what the child wrote before it ended.
    await Promise.race([Promise.allSettled([stdoutDone, stderrDone]), delay(200)]);
    this.#stdinClosed = true;
    return {
      code: status.signal ? null : status.code,
      signal: status.signal ?? null,
      stderr: this.#stderr.lastLines(5),
      requested: this.#stopRequested,
    };
  }

  /**
   * Spawns the server. Throws {@linkcode McpCommandNotFoundError} when the
   * command does not exist, {@linkcode McpConnectionError} for other spawn failures.
   */
  static spawn(options: StdioProcessOptions, events: StdioProcessEvents): StdioProcess {
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(options.command, {
        args: options.args ?? [],
        env: options.env ?? {},
        clearEnv: true,
        cwd: options.cwd,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        // Own process group (pgid = pid), so the host can reap grandchildren
        // (npx, shell wrappers) that outlive the direct child.
        detached: options.processGroup ?? true,
      }).spawn();
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new McpCommandNotFoundError(options.name, options.command, error);
      }
      if (
        error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ) {
        throw new McpConnectionError(
          options.name,
          `not allowed to run ${options.command}: ${error.message}`,
          error,
        );
      }
      throw new McpConnectionError(
        options.name,
        `could not start ${options.command}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        error,
      );
    }
    return new StdioProcess(child, options, events);
  }

  /** Process id of the child. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Resolves when the child has ended. */
  get exited(): Promise<StdioExit> {
    return this.#exited;
  }

  /** Writes one framed message to stdin (serialized; rejects once stdin is closed). */
  write(frame: string): Promise<void> {
    const bytes = this.#encoder.encode(frame);
    const next = this.#writeChain.then(async () => {
      if (this.#stdinClosed) throw new Error("the server's stdin is closed");
      await this.#writer.write(bytes);
    });
    this.#writeChain = next.catch(() => {});
    return next;
  }

  /**
   * Stops the child: close stdin (a well-behaved server, and any grandchild
   * sharing the pipe, exits on EOF), wait (`stdinGraceMs`), SIGTERM, wait
   * (`killGraceMs`), SIGKILL: the order the MCP stdio transport prescribes.
   */
  async stop(): Promise<StdioExit> {
    this.#stopRequested = true;
    if (!this.#stdinClosed) {
      this.#stdinClosed = true;
      await this.#writeChain;
      await this.#writer.close().catch(() => {});
    }
    if (await settlesWithin(this.#exited, this.#stdinGrace)) return this.#exited;
    this.#kill("SIGTERM");
    if (await settlesWithin(this.#exited, this.#grace)) return this.#exited;
    this.#kill("SIGKILL");
    return this.#exited;
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  async #pumpStdout(events: StdioProcessEvents, server: string): Promise<void> {
    // An oversized reply becomes an error reply for its request (see LineSplitter).
    const splitter = new LineSplitter(undefined, { server, onDropped: (e) => events.onError?.(e) });
    // A streaming TextDecoder keeps partial UTF-8 sequences across chunks
    // (as TextDecoderStream does) without a second stream stage per chunk.
    const decoder = new TextDecoder();
    const reader = this.#child.stdout.getReader();
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        let lines: string[];
        try {
          lines = splitter.push(decoder.decode(value, { stream: true }));
        } catch (error) {
          events.onError?.(error instanceof Error ? error : new Error(String(error)));
          continue;
        }
        for (const line of lines) events.onLine(line);
      }
    } catch {
      // Stream torn down with the process.
    }
  }

  async #pumpStderr(): Promise<void> {
    try {
      for await (const text of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr.write(text);
      }
    } catch {
      // Stream torn down with the process.
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    Deno.unrefTimer(id);
  });
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    id = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(id);
  }
}
