/**
 * `[telemetry] enabled = true` in the config: Deno's exporter starts only
 * from the environment, so this run hands over to a copy of itself started
 * with `OTEL_DENO=true` (same command line, same terminal). The rules are in
 * `lib/telemetry/switch.ts`; this module only does the process work.
 *
 * Off the start-up path when telemetry is off: the config file is read as
 * text for the word "telemetry" (as `configMayNameServers` does for
 * servers), and only when it is there does the command wait for the config.
 *
 * @module
 */

import { configFileOf } from "../config/paths.ts";
import { readConfigText } from "../config/read_file.ts";
import { configMayEnableTelemetry, relaunchArgv, telemetryChoice } from "../telemetry/switch.ts";
import type { CommandContext } from "./context.ts";

function allPermissionsGranted(): boolean {
  const names = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;
  return names.every((name) => Deno.permissions.querySync({ name }).state === "granted");
}

/**
 * When the config switches telemetry on and this process does not export,
 * runs mcpchat again with `OTEL_DENO=true` and resolves with its exit code;
 * otherwise resolves `undefined` (carry on here). A run that cannot start
 * itself again (narrowed permissions) says how to switch it on instead.
 *
 * @example
 * ```ts
 * import { relaunchForTelemetry } from "./telemetry_relaunch.ts";
 * // No config mentions telemetry here: nothing waits, nothing is started.
 * const ctx = { env: { HOME: "/nonexistent" }, configPath: undefined };
 * console.log(await relaunchForTelemetry(ctx as never)); // undefined
 * ```
 */
export async function relaunchForTelemetry(
  ctx: Pick<CommandContext, "env" | "configPath" | "config" | "io" | "shutdown">,
  hooks: { onInterrupt(listener: () => void): () => void } = { onInterrupt: () => () => {} },
): Promise<number | undefined> {
  const env = ctx.env;
  let text = "";
  try {
    // Never Deno.readTextFile: a FIFO named as the config would block, and lose its text.
    text = await readConfigText(configFileOf(env, ctx.configPath));
  } catch {
    // No file (or unreadable: the config load reports that); the variable may still say on.
  }
  if (!configMayEnableTelemetry(env, text)) return undefined;
  let enabled: boolean;
  try {
    enabled = (await ctx.config()).telemetry.enabled;
  } catch {
    return undefined; // a bad config is the command's to report, with its exit code
  }
  if (telemetryChoice(env, enabled) !== "relaunch") return undefined;
  const argv = relaunchArgv({
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    standalone: Deno.build.standalone,
    allPermissions: allPermissionsGranted(),
    args: Deno.args,
  });
  if (!argv) {
    ctx.io.err(
      "warning: [telemetry] enabled needs Deno's exporter, which starts only from the " +
        "environment: run mcpchat with OTEL_DENO=true (or with -A, so it can do that itself)\n",
    );
    return undefined;
  }
  // This run's services (a config worker, maybe early server processes) are not needed.
  await ctx.shutdown();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: { OTEL_DENO: "true" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C is the copy's to handle (cancel a turn, leave the REPL): it does not end this run.
  const releaseInterrupt = hooks.onInterrupt(() => {});
  // Ctrl-C reaches the child from the terminal itself; a SIGTERM or SIGHUP sent to this
  // process only is passed on, so the copy stops its servers too.
  const forwards = (Deno.build.os === "windows" ? [] : ["SIGTERM", "SIGHUP"] as const).map(
    (signal) => {
      const forward = () => {
        try {
          child.kill(signal);
        } catch { /* already gone */ }
      };
      Deno.addSignalListener(signal, forward);
      return () => Deno.removeSignalListener(signal, forward);
    },
  );
  try {
    const status = await child.status;
    const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
    return status.signal ? 128 + (numbers[status.signal] ?? 1) : status.code;
  } finally {
    for (const remove of forwards) remove();
    releaseInterrupt();
  }
}
