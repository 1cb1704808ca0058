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
import { PluginStartError } from "../plugin/host.ts";
import { RpcError } from "../rpc/errors.ts";
import { sanitizeText } from "../ui/sanitize.ts";
import { importOnDemand } from "../util/on_demand.ts";
import { relaunchForTelemetry } from "./telemetry_relaunch.ts";

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

/** How a command runs, once its module is loaded. */
type CommandRun = (
  ctx: CommandContext,
  words: string[],
  hooks: DispatchHooks,
) => Promise<number> | number;

/** A command: whether it uses the services, and its module, loaded only when it runs. */
interface CommandEntry {
  /** It loads the config (through the config worker), so that worker may start at once. */
  services: boolean;
  load(): Promise<CommandRun>;
}

/** The module at `path` (relative to this file), imported when the command runs. */
function commandModule<M>(path: string): Promise<M> {
  return importOnDemand<M>(new URL(path, import.meta.url));
}

type McpCommands = typeof import("./commands/mcp.ts");

/**
 * Every command and where it lives. A run loads only its own command's
 * modules: `mcpchat tools list` never reads the REPL, the REPL never reads
 * `doctor` or `serve`.
 */
const COMMANDS: Record<string, CommandEntry> = {
  config: {
    services: true,
    load: () =>
      commandModule<typeof import("./commands/config.ts")>("./commands/config.ts")
        .then((m) => m.configCommand),
  },
  tools: {
    services: true,
    load: () => commandModule<McpCommands>("./commands/mcp.ts").then((m) => m.toolsCommand),
  },
  resources: {
    services: true,
    load: () => commandModule<McpCommands>("./commands/mcp.ts").then((m) => m.resourcesCommand),
  },
  prompts: {
    services: true,
    load: () => commandModule<McpCommands>("./commands/mcp.ts").then((m) => m.promptsCommand),
  },
  servers: {
    services: true,
    load: () => commandModule<McpCommands>("./commands/mcp.ts").then((m) => m.serversCommand),
  },
  sessions: {
    services: true,
    load: () =>
      commandModule<typeof import("./commands/sessions.ts")>("./commands/sessions.ts")
        .then((m) => m.sessionsCommand),
  },
  doctor: {
    services: true,
    load: () =>
      commandModule<typeof import("./commands/doctor.ts")>("./commands/doctor.ts")
        .then((m) => (ctx) => m.doctorCommand(ctx)),
  },
  health: {
    services: true,
    load: () =>
      commandModule<typeof import("./commands/health.ts")>("./commands/health.ts")
        .then((m) => m.healthCommand),
  },
  completions: {
    services: false,
    load: () =>
      commandModule<typeof import("./commands/completions.ts")>("./commands/completions.ts")
        .then((m) => m.completionsCommand),
  },
  serve: {
    services: true,
    load: () =>
      commandModule<typeof import("./commands/serve.ts")>("./commands/serve.ts")
        .then((m) => m.serveCommand),
  },
};

/** What runs without a command word: `--list-sessions`, `-p` (one-shot) or the REPL. */
function defaultCommand(options: ParsedArgs["options"]): CommandEntry {
  if (options.listSessions) {
    return {
      services: true,
      load: () =>
        COMMANDS.sessions.load().then((run) => (ctx, _words, hooks) => run(ctx, ["list"], hooks)),
    };
  }
  if (options.print !== undefined) {
    return {
      services: true,
      load: () =>
        commandModule<typeof import("./commands/oneshot.ts")>("./commands/oneshot.ts")
          .then((m) => (ctx) => m.oneShot(ctx)),
    };
  }
  return {
    services: true,
    load: () =>
      commandModule<typeof import("./commands/repl.ts")>("./commands/repl.ts")
        .then((m) => (ctx, _words, hooks) => {
          // Server mode beside the chat (mcp_server.http_enabled), started without delaying
          // the prompt.
          void ctx.config().then(async (config) => {
            if (!config.mcp_server.http_enabled && !config.mcp_server.stdio_enabled) return;
            const serve = await commandModule<typeof import("./commands/serve.ts")>(
              "./commands/serve.ts",
            );
            await serve.serveBesideRepl(ctx, config);
          }).catch(() => {}); // a config error is the REPL's to report
          return m.startRepl(ctx, hooks);
        }),
  };
}

async function dispatch(ctx: CommandContext, hooks: DispatchHooks): Promise<number> {
  const [name, ...words] = ctx.args.command;
  const entry = name === undefined ? defaultCommand(ctx.args.options) : COMMANDS[name];
  if (!entry) throw new CommandError(`unknown command "${name}"`, ExitCode.Usage);
  if (entry.services) {
    // The config worker boots on its own thread while this one reads the command's modules
    // (the command asks for the same runtime: it is started once).
    ctx.runtimeStarting().catch(() => {}); // a failure is the command's to report
    // `[telemetry] enabled = true` without OTEL_DENO: this run hands over to a copy of itself
    // that Deno exports from. Waits for the config only when the file mentions telemetry.
    const relaunched = await relaunchForTelemetry(ctx, hooks);
    if (relaunched !== undefined) return relaunched;
  }
  const run = await entry.load();
  ctx.profiler.mark("command loaded");
  return await run(ctx, words, hooks);
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
    // A server name the config does not have is the user's to fix, as a wrong command is.
    if (kind === "MCP_UNKNOWN_SERVER") code = ExitCode.Usage;
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
