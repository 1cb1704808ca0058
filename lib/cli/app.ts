/**
 * Runs one mcpchat invocation: output, signals, the services, and the
 * command (REPL by default).
 *
 * @module
 */

import type { ParsedArgs } from "./args.ts";
import { CommandContext, CommandError } from "./context.ts";
import { ExitCode } from "./exit_codes.ts";
import { StartupProfiler } from "./profiler.ts";
import { consoleOutput, type Output } from "../ui/output.ts";
import { configCommand } from "./commands/config.ts";
import { promptsCommand, resourcesCommand, serversCommand, toolsCommand } from "./commands/mcp.ts";
import { startRepl } from "./commands/repl.ts";
import { oneShot } from "./commands/oneshot.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { healthCommand } from "./commands/health.ts";
import { sessionsCommand } from "./commands/sessions.ts";
import { completionsCommand } from "./commands/completions.ts";
import { PluginStartError } from "../plugin/host.ts";
import { RpcError } from "../rpc/errors.ts";
import { sanitizeText } from "../ui/sanitize.ts";

/**
 * Runs the parsed command line and resolves with the exit code. Every
 * service started is stopped (MCP server processes reaped) before it returns.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./args.ts";
 * import { runApp } from "./app.ts";
 * // `mcpchat config validate FILE` (it writes to this process's stdout and stderr).
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.toml`, '[mcp]\nstartup_mode = "lazy"\n');
 * assert.equal(await runApp(parseCommandLine(["config", "validate", `${dir}/config.toml`])), 0);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runApp(parsed: ParsedArgs): Promise<number> {
  const env = Deno.env.toObject();
  const profiler = new StartupProfiler(
    parsed.options.profileStartup || env.MCPCHAT_STARTUP_PROFILING === "1",
    undefined,
    () => Deno.memoryUsage().rss,
  );
  profiler.mark("args parsed");
  const io = consoleOutput({ colorFlag: parsed.options.color });
  const [name, sub, file] = parsed.command;
  if (name === "config" && sub === "validate" && file && !parsed.options.config) {
    // The config worker may read only the config dir and the --config file.
    parsed.options.config = file;
  }
  const interrupt = new AbortController();
  const interrupts = new Set<() => void>();
  const onSigint = () => {
    if (interrupts.size > 0) { for (const listener of interrupts) listener(); }
    else interrupt.abort(new DOMException("interrupted", "AbortError"));
  };
  const ctx = new CommandContext({
    args: parsed,
    io,
    env,
    cwd: Deno.cwd(),
    profiler,
    signal: interrupt.signal,
  });
  // Stop the tree (reaping MCP server processes) before leaving: never orphan them.
  const terminators = new Map<Deno.Signal, () => void>(
    (Deno.build.os === "windows" ? [] : [["SIGTERM", 143], ["SIGHUP", 129]] as const).map((
      [signal, code],
    ) => [signal, () =>
      // What was shown is kept: a streaming answer is committed as interrupted first.
      void ctx.answers.interruptAll(`mcpchat was stopped (${signal})`, 3_000)
        .finally(() => ctx.shutdown()).finally(() => Deno.exit(code))]
    ),
  );
  Deno.addSignalListener("SIGINT", onSigint);
  for (const [signal, listener] of terminators) Deno.addSignalListener(signal, listener);
  try {
    const code = await dispatch(ctx, {
      onInterrupt: (listener) => {
        interrupts.add(listener);
        return () => interrupts.delete(listener);
      },
    });
    return interrupt.signal.aborted ? ExitCode.Interrupted : code;
  } catch (error) {
    if (interrupt.signal.aborted) {
      io.err("interrupted\n");
      return ExitCode.Interrupted;
    }
    return reportError(io, error, parsed.options.outputFormat !== "text" || parsed.options.json);
  } finally {
    profiler.mark("command finished");
    await ctx.shutdown();
    profiler.mark("services stopped");
    io.err(profiler.reportOnce());
    Deno.removeSignalListener("SIGINT", onSigint);
    for (const [signal, listener] of terminators) Deno.removeSignalListener(signal, listener);
  }
}

interface DispatchHooks {
  onInterrupt(listener: () => void): () => void;
}

async function dispatch(ctx: CommandContext, hooks: DispatchHooks): Promise<number> {
  const { command, options } = ctx.args;
  const [name, ...words] = command;
  switch (name) {
    case "config":
      return await configCommand(ctx, words);
    case "tools":
      return await toolsCommand(ctx, words);
    case "resources":
      return await resourcesCommand(ctx, words);
    case "prompts":
      return await promptsCommand(ctx, words);
    case "servers":
      return await serversCommand(ctx, words);
    case "sessions":
      return await sessionsCommand(ctx, words);
    case "doctor":
      return await doctorCommand(ctx);
    case "health":
      return await healthCommand(ctx, words);
    case "completions":
      return completionsCommand(ctx, words);
    case "serve":
      // Loaded only here: serving costs nothing to the commands that do not serve.
      return await (await import("./commands/serve.ts")).serveCommand(ctx, words);
    case undefined:
      break;
    default:
      throw new CommandError(`unknown command "${name}"`, ExitCode.Usage);
  }
  if (options.listSessions) return await sessionsCommand(ctx, ["list"]);
  if (options.print !== undefined) return await oneShot(ctx);
  // Server mode beside the chat (mcp_server.http_enabled), started without delaying the prompt.
  void ctx.config().then(async (config) => {
    if (!config.mcp_server.http_enabled && !config.mcp_server.stdio_enabled) return;
    await (await import("./commands/serve.ts")).serveBesideRepl(ctx, config);
  }).catch(() => {}); // a config error is the REPL's to report
  return await startRepl(ctx, hooks);
}

/** Prints an error the way users and scripts expect, and picks the exit code. */
function reportError(io: Output, error: unknown, json: boolean): number {
  let code: number = ExitCode.Runtime;
  let kind = "runtime";
  if (error instanceof CommandError) {
    code = error.exitCode;
    kind = error.code;
  } else if (error instanceof RpcError || error instanceof PluginStartError) {
    kind = error.code;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) {
    // Errors go to stderr in the output's own format, so scripts can parse both.
    io.err(JSON.stringify({ error: { code: kind, message, exit_code: code } }) + "\n");
  } else {
    // Error texts carry servers' and models' words: sanitised (JSON escapes them itself).
    io.err(`${io.errColor.red("error")}: ${sanitizeText(message)}\n`);
  }
  return code;
}
