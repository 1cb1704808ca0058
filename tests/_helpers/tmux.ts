/**
 * The REPL in a tmux window of a given size: what the screen shows, as a
 * person sees it (capture-pane), with keys typed through tmux, window
 * resizes, and optionally an interactive bash as the job-control shell.
 *
 * @module
 */

import { cliArgs, ROOT } from "./cli.ts";

/** A private tmux server with one window. */
export class TmuxSession {
  static #next = 0;
  #env: Record<string, string> = {};
  private constructor(readonly socket: string, readonly name: string) {}

  /** mcpchat ARGS… alone in the window (it stays 5 s after the exit, for the last screen). */
  static start(args: string[], env: Record<string, string>, columns: number, rows: number) {
    return TmuxSession.#open(`${commandLine(args)}; sleep 5`, env, columns, rows);
  }

  /** An interactive bash (job control, prompt `$ `) in the window; type commands into it. */
  static async shell(env: Record<string, string>, columns: number, rows: number) {
    const session = await TmuxSession.#open("bash --norc --noprofile -i", env, columns, rows);
    await session.waitFor(/[$#]\s*$/m);
    await session.type("PS1='$ '; clear", "Enter");
    await session.waitFor(/^\$\s*$/m);
    return session;
  }

  static async #open(command: string, env: Record<string, string>, columns: number, rows: number) {
    // Test files run in parallel in one process (same pid, each its own counter): a random
    // part keeps their tmux servers apart, so closing one never kills another's.
    const session = new TmuxSession(
      `mcpchat-test-${Deno.pid}-${TmuxSession.#next++}-${crypto.randomUUID().slice(0, 8)}`,
      "t",
    );
    session.#env = env;
    await session.#tmux(
      "new-session",
      "-d",
      "-s",
      session.name,
      "-x",
      String(columns),
      "-y",
      String(rows),
      command,
    );
    return session;
  }

  async #tmux(...args: string[]): Promise<string> {
    const { stdout } = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      env: { ...this.#env, TERM: "xterm-256color" },
      clearEnv: true,
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    return new TextDecoder().decode(stdout);
  }

  /** Keys as tmux names them (`Enter`, `C-z`) or literal text. */
  type(...keys: string[]): Promise<string> {
    return this.#tmux("send-keys", "-t", this.name, ...keys);
  }

  /** Changes the window's size (the program gets SIGWINCH). */
  resize(columns: number, rows: number): Promise<string> {
    return this.#tmux(
      "resize-window",
      "-t",
      this.name,
      "-x",
      String(columns),
      "-y",
      String(rows),
    );
  }

  /** The visible screen. */
  screen(): Promise<string> {
    return this.#tmux("capture-pane", "-p", "-t", this.name);
  }

  /** The scrollback and the screen, oldest line first. */
  history(): Promise<string> {
    return this.#tmux("capture-pane", "-p", "-S", "-", "-t", this.name);
  }

  /** Waits (bounded) until the screen matches; returns the screen. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const screen = await this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${pattern}; screen:\n${screen}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await this.#tmux("kill-server");
  }
}

/**
 * The shell command line that runs this checkout's mcpchat with `args`, as
 * `deno task chat` does (`-q`: no module-loading progress bar on the screen).
 */
export function commandLine(args: string[]): string {
  const [run, ...rest] = cliArgs(args);
  return [Deno.execPath(), run, "-q", ...rest]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
}
