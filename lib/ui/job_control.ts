/**
 * Ctrl-Z for a program that reads the keyboard in raw mode (the terminal
 * sends no SIGTSTP then): stop the job as the terminal would, so the shell
 * gets the terminal back and `fg` continues it.
 *
 * The signal goes to the whole process group (`kill(0, SIGTSTP)`, as vim and
 * less do), so helpers in the job stop too: the MCP servers' processes and a
 * `deno task` parent. `deno task` catches SIGTSTP (it forwards signals to its
 * child) and would keep running, leaving the shell waiting on a job that
 * never reports stopped; so when the group's leader is not this process it
 * also gets SIGSTOP. With no job-control shell above the group (a pane that
 * runs mcpchat directly, `script`, a service), nothing could ever continue
 * it: nothing is stopped then. Linux reads this from /proc; elsewhere the
 * group gets SIGTSTP, which the kernel ignores for a group without a shell.
 *
 * @module
 */

/** The fields of `/proc/PID/stat` used here. */
export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
}

/** How to stop this job. */
export type StopPlan =
  | { kind: "group" }
  | { kind: "group-and-leader"; leader: number }
  | { kind: "none" };

/**
 * Parses `/proc/PID/stat` (the command name may hold spaces and parentheses).
 *
 * @example
 * ```ts
 * import { parseStat } from "./job_control.ts";
 * parseStat("4242 (deno (x)) S 4200 4200 4100 34816 4200 0"); // { pid: 4242, ppid: 4200, pgrp: 4200, session: 4100 }
 * ```
 */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const pid = Number.parseInt(text, 10);
  const [, ppid, pgrp, session] = text.slice(close + 2).split(" ").map(Number);
  if (![pid, ppid, pgrp, session].every(Number.isInteger)) return undefined;
  return { pid, ppid, pgrp, session };
}

/**
 * Decides how to stop the job this process is in: `read` gives a process's
 * stat (`"self"` for this one), `undefined` when it cannot be read.
 *
 * @example
 * ```ts
 * import { type ProcStat, stopPlan } from "./job_control.ts";
 * const procs: Record<string, ProcStat> = {
 *   self: { pid: 30, ppid: 20, pgrp: 20, session: 10 }, // mcpchat under deno task
 *   20: { pid: 20, ppid: 10, pgrp: 20, session: 10 }, // deno task, the job's leader
 *   10: { pid: 10, ppid: 1, pgrp: 10, session: 10 }, // the interactive shell
 * };
 * stopPlan((pid) => procs[pid]); // { kind: "group-and-leader", leader: 20 }
 * ```
 */
export function stopPlan(read: (pid: number | "self") => ProcStat | undefined): StopPlan {
  const self = read("self");
  if (!self) return { kind: "group" };
  // A job-control shell is a parent in this session but outside this group.
  const shellAbove = (member: ProcStat | undefined) => {
    const parent = member && read(member.ppid);
    return parent !== undefined && parent.session === self.session && parent.pgrp !== self.pgrp;
  };
  if (self.pgrp === self.pid) return shellAbove(self) ? { kind: "group" } : { kind: "none" };
  const leader = read(self.pgrp);
  if (shellAbove(leader) || shellAbove(self)) {
    return { kind: "group-and-leader", leader: self.pgrp };
  }
  return leader ? { kind: "none" } : { kind: "group" };
}

/**
 * Stops this job (see the module); returns once it is continued, `false` at
 * once when there is no job control to come back from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type ProcStat, stopPlan } from "./job_control.ts";
 * // The REPL does `if (!suspendJob()) say("no job control here")`; run here, it would stop
 * // this very process. What it acts on is `stopPlan` for this process, read from /proc:
 * // mcpchat started directly in a tmux pane leads its own group under no shell, so
 * // suspendJob() stops nothing and returns false.
 * const procs: Record<string, ProcStat> = {
 *   self: { pid: 30, ppid: 1, pgrp: 30, session: 30 },
 * };
 * assert.deepEqual(stopPlan((pid) => procs[pid]), { kind: "none" });
 * ```
 */
export function suspendJob(): boolean {
  const plan = stopPlan((pid) => {
    try {
      return parseStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
    } catch {
      return undefined;
    }
  });
  if (plan.kind === "none") return false;
  if (plan.kind === "group-and-leader") {
    try {
      Deno.kill(plan.leader, "SIGSTOP");
    } catch {
      // gone already; the group signal below still stops this process
    }
  }
  try {
    // The stop takes effect before kill returns; this line runs again after `fg`.
    Deno.kill(0, "SIGTSTP");
  } catch {
    return false; // not allowed to signal (run without -A): no stop
  }
  return true;
}
