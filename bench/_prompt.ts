/**
 * One way for benchmarks to time "launch → prompt": start the command, read
 * its output until the `› ` prompt appears, note the time and the Deno
 * process's memory, then end it.
 *
 * @module
 */

import { cliArgs, ROOT } from "../tests/_helpers/cli.ts";

/** What {@linkcode timeToPrompt} measured. */
export interface PromptTiming {
  /** Milliseconds from spawn to the prompt on screen. */
  ms: number;
  /** Resident memory of the Deno process at the prompt (MB; NaN off Linux). */
  rssMb: number;
  /** Resident memory after `idleMs` more at the prompt (MB; NaN when not asked or off Linux). */
  rssIdleMb: number;
}

/** Resident set size of `pid` in MB, from `/proc` (NaN where there is none). */
export function rssOf(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** The first `deno` process among `pid` and its descendants (under `script` or `sh`). */
export function denoUnder(pid: number): number | undefined {
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    try {
      if (Deno.readTextFileSync(`/proc/${next}/comm`).trim() === "deno") return next;
      queue.push(
        ...Deno.readTextFileSync(`/proc/${next}/task/${next}/children`).trim().split(/\s+/)
          .filter(Boolean).map(Number),
      );
    } catch {
      // gone
    }
  }
  return undefined;
}

/**
 * Spawns `command` (stdin and stdout piped), waits for the prompt, and ends
 * the process; with `idleMs`, it first stays at the prompt that long (what
 * starts behind the prompt runs) and measures the memory again. Throws with
 * what was printed when no prompt came.
 */
export async function timeToPrompt(
  command: Deno.Command,
  options: { idleMs?: number } = {},
): Promise<PromptTiming> {
  const started = performance.now();
  const child = command.spawn();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  let timing: PromptTiming | undefined;
  let pid: number | undefined;
  while (!timing) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    if (seen.includes("› ")) {
      const ms = performance.now() - started;
      pid = Deno.build.os === "linux" ? denoUnder(child.pid) : undefined;
      timing = { ms, rssMb: pid === undefined ? NaN : rssOf(pid), rssIdleMb: NaN };
    }
  }
  if (timing && options.idleMs) {
    // Keep reading (a redraw must not block on a full pipe) while the program idles.
    const draining = (async () => {
      while (!(await reader.read().catch(() => ({ done: true }))).done) { /* discard */ }
    })();
    await new Promise((resolve) => setTimeout(resolve, options.idleMs));
    timing.rssIdleMb = pid === undefined ? NaN : rssOf(pid);
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await draining;
  }
  reader.releaseLock();
  try {
    child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await child.stdout.cancel().catch(() => {});
  await child.stdin.close().catch(() => {});
  await child.status;
  if (!timing) throw new Error(`no prompt; the program printed:\n${seen}`);
  return timing;
}

/**
 * `argv` under `script` (a 100×30 pty) with a cleared `env`, ready for
 * {@linkcode timeToPrompt}. `piped`: its stdin is a pipe instead of the
 * terminal, so the REPL reads plain lines (no editor) and writes its prompt
 * to the terminal's stderr.
 */
export function onPty(
  argv: string[],
  env: Record<string, string>,
  options: { piped?: boolean } = {},
): Deno.Command {
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  return new Deno.Command("script", {
    args: [
      "-qfec",
      `stty cols 100 rows 30; ${options.piped ? `sleep 60 | ${quoted}` : `exec ${quoted}`}`,
      "/dev/null",
    ],
    cwd: ROOT,
    env: { ...env, TERM: "xterm-256color" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  });
}

/** The CLI with `args`, its stdin on a pipe (the REPL without its editor), on a pty. */
export function cliOnPipes(args: string[], env: Record<string, string>): Deno.Command {
  return onPty([Deno.execPath(), ...cliArgs(args)], env, { piped: true });
}
