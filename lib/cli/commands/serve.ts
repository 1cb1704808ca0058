/**
 * `mcpchat serve --stdio | --http [--host H] [--port N]`: mcpchat as an MCP
 * server, and the same server beside the REPL when `mcp_server.http_enabled`
 * is set. The server runs in the `mcp-serve` worker, a permanent child of the
 * root supervisor; the work behind its tools runs here ({@linkcode ServeHost}).
 *
 * @module
 */

import type { Config } from "../../config/schema.ts";
import { isLoopback } from "../../serve/guard.ts";
import { mcpServeSpec } from "../../../plugins/manifest.ts";
import type { McpServeInit } from "../../../plugins/mcp_serve.ts";
import type { PluginRef } from "../../plugin/ref.ts";
import type { McpServeSurface } from "../runtime.ts";
import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { ServeHost } from "../serve_host.ts";
import { serverRequestHandlers } from "../server_requests.ts";
import { VERSION } from "../version.ts";
import { withHostFaults } from "../../plugin/fault.ts";

export type { McpServeSurface };

/** The variable the config reads the server token from (`mcp_server.token`). */
export const TOKEN_VARIABLE = "MCPCHAT_MCP_SERVER_TOKEN";

/**
 * Transport, address and limits of one serve run, from flags over config.
 *
 * @throws {CommandError} exit code 2 for a bad port, or a non-loopback address without a token
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigSchema } from "../../config/schema.ts";
 * import { serveInit } from "./serve.ts";
 * const config = ConfigSchema.parse({});
 * const init = serveInit(config, { port: "0" }, "http");
 * assert.deepEqual([init.hostname, init.port, init.token], ["127.0.0.1", 0, undefined]);
 * // Off loopback without a token it refuses, and says what to set.
 * assert.throws(() => serveInit(config, { host: "0.0.0.0" }, "http"), /MCPCHAT_MCP_SERVER_TOKEN/);
 * ```
 */
export function serveInit(
  config: Config,
  flags: Record<string, string | boolean>,
  transport: "stdio" | "http",
): McpServeInit {
  const s = config.mcp_server;
  const hostname = typeof flags.host === "string" ? flags.host : s.host;
  let port = s.port;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new CommandError(
        `--port must be a whole number from 0 to 65535 (0 picks a free port), not "${flags.port}"`,
        ExitCode.Usage,
      );
    }
  }
  if (transport === "http" && !isLoopback(hostname) && !s.token) {
    throw new CommandError(
      `refusing to serve on ${hostname} without a token: anyone who can reach it could use ` +
        `your models and tools. Set ${TOKEN_VARIABLE} (or mcp_server.token in the config), ` +
        `or bind 127.0.0.1 (the default).`,
      ExitCode.Usage,
    );
  }
  return {
    transport,
    hostname,
    port,
    token: s.token,
    allowedOrigins: s.allowed_origins,
    maxBodyBytes: s.max_body_bytes,
    rateLimitPerSecond: s.rate_limit_per_second,
    fixtures: flags["conformance-fixtures"] === true,
    version: VERSION,
  };
}

/**
 * Starts the serve worker (a permanent child of the root supervisor) with
 * its host; resolves once it runs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { serveInit, startServing } from "./serve.ts";
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "serve", "--http"]),
 *   io,
 *   env: { HOME: home, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const config = await ctx.config();
 * const { ref, host } = await startServing(ctx, config, serveInit(config, { port: "0" }, "http"));
 * const info = await ref.call("info");
 * assert.match(info.url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
 * await host.close();
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function startServing(
  ctx: CommandContext,
  config: Config,
  init: McpServeInit,
  onRestarted?: (url: string, previous: string | undefined) => void,
): Promise<{ ref: PluginRef<McpServeSurface>; host: ServeHost }> {
  const runtime = await ctx.runtime();
  /** The address of the running instance; a restart that asked for port 0 prefers it again. */
  const bound: { url?: string; starts: number } = { starts: 0 };
  const listening = ({ url }: { url: string }) => {
    const previous = bound.url;
    bound.url = url;
    if (++bound.starts > 1) onRestarted?.(url, previous);
    return Promise.resolve();
  };
  const initNow = (): McpServeInit => {
    if (init.transport !== "http" || init.port !== 0 || bound.url === undefined) return init;
    return { ...init, preferPort: Number(new URL(bound.url).port) };
  };
  const target: { ref?: PluginRef<McpServeSurface> } = {};
  const { options } = ctx.args;
  const host = new ServeHost({
    runtime,
    config,
    env: ctx.env,
    backend: options.backend,
    model: options.model,
    allowTools: options.yes ? ["*"] : [...config.mcp_server.allow_tools, ...options.allowTool],
    emit: (event, data) => target.ref?.emit(event, data),
    // A served chat's servers ask its own client (sampling, elicitation), through the worker.
    askClient: {
      createMessage: (progressId, params, signal) =>
        serving(target.ref).call("clientSampling", { progressId, params }, {
          signal,
          timeoutMs: Infinity, // the client's user may take their time; the worker bounds it
        }),
      elicit: (progressId, params, signal) =>
        serving(target.ref).call("clientElicit", { progressId, params }, {
          signal,
          timeoutMs: Infinity,
        }),
    },
    // Nobody at a terminal to ask: sampling only under --yes, forms declined (said on stderr).
    mcpHandlers: serverRequestHandlers({
      io: ctx.io,
      approveAll: options.yes,
      chat: async function* (request, signal) {
        const llm = await runtime.llm(config);
        yield* llm.stream("chat", request, { signal, timeoutMs: Infinity });
      },
      target: () => ({ backend: options.backend, model: options.model }),
    }),
  });
  // A test-only fault (MCPCHAT_TEST_FAULT=mcp-serve@METHOD) kills the worker mid-call.
  const handlers = withHostFaults("mcp-serve", { ...host.handlers(), listening });
  const ref = await runtime.serve(() => mcpServeSpec(initNow(), handlers, config));
  target.ref = ref;
  return { ref, host };
}

/**
 * `mcpchat serve`. Resolves with the exit code when the client hangs up
 * (stdio) or on Ctrl-C / SIGTERM (HTTP).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { serveCommand } from "./serve.ts";
 * const stop = new AbortController(); // Ctrl-C
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "serve", "--http", "--port", "0"]),
 *   io,
 *   env: { HOME: home, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: stop.signal,
 * });
 * const serving = serveCommand(ctx, []);
 * // The URL is the command's output: wait (bounded) for it.
 * for (let i = 0; i < 200 && !io.stdout(); i++) await new Promise((r) => setTimeout(r, 50));
 * const url = io.stdout().trim();
 * assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
 * stop.abort();
 * assert.equal(await serving, 0);
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function serveCommand(ctx: CommandContext, words: string[]): Promise<number> {
  if (words.length > 0) {
    throw new CommandError(
      `serve takes no arguments (got "${words[0]}"); use --stdio or --http [--port N]`,
      ExitCode.Usage,
    );
  }
  const { flags } = ctx.args;
  if (flags.stdio && flags.http) {
    throw new CommandError(
      "choose one transport: --stdio or --http (run a second mcpchat serve for the other)",
      ExitCode.Usage,
    );
  }
  const config = await ctx.config();
  const transport = flags.stdio
    ? "stdio"
    : flags.http
    ? "http"
    : config.mcp_server.http_enabled
    ? "http"
    : config.mcp_server.stdio_enabled
    ? "stdio"
    : undefined;
  if (!transport) {
    throw new CommandError(
      "say how to serve: mcpchat serve --stdio (for a client that starts mcpchat) or " +
        "mcpchat serve --http [--port N] (see mcpchat serve --help)",
      ExitCode.Usage,
    );
  }
  const init = serveInit(config, flags, transport);
  const { ref, host } = await startServing(ctx, config, init, (url, previous) => {
    // Announced again, the way it was the first time: the URL on stdout, a line on stderr.
    ctx.io.out(`${url}\n`);
    ctx.io.err(ctx.io.errColor.yellow(restartedLine(url, previous)));
  });
  try {
    const stopped = new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      ref.on("closed", () => resolve());
    });
    if (transport === "http") {
      const info = await ref.call("info");
      // The URL is this command's output (stdout); everything else goes to stderr.
      ctx.io.out(`${info.url}\n`);
      ctx.io.err(
        ctx.io.errColor.dim(
          `serving MCP on ${info.url} (legacy SSE on /sse)` +
            `${init.token ? ", bearer token required" : ""}; Ctrl-C stops\n`,
        ),
      );
    }
    await stopped;
    return ExitCode.Ok;
  } finally {
    await host.close();
  }
}

/**
 * Beside the REPL: serves over HTTP when `mcp_server.http_enabled` is set
 * (stdio belongs to the chat there). Never throws: a server that cannot
 * start is reported and the chat goes on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { serveBesideRepl } from "./serve.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${home}/config.toml`,
 *   `[session]\ndata_dir = "${home}/data"\n[mcp_server]\nhttp_enabled = true\nport = 0\n`,
 * );
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "serve"]),
 *   io,
 *   env: { HOME: home, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * await serveBesideRepl(ctx, await ctx.config());
 * assert.match(io.stderr(), /serving MCP on http:\/\/127\.0\.0\.1:\d+\/mcp/);
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function serveBesideRepl(ctx: CommandContext, config: Config): Promise<void> {
  if (config.mcp_server.stdio_enabled && !config.mcp_server.http_enabled) {
    ctx.io.err(ctx.io.errColor.yellow(
      "note: mcp_server.stdio_enabled applies to `mcpchat serve`; the chat owns stdin here\n",
    ));
  }
  if (!config.mcp_server.http_enabled) return;
  try {
    const init = serveInit(config, {}, "http");
    const { ref } = await startServing(
      ctx,
      config,
      init,
      (url, previous) => ctx.io.err(ctx.io.errColor.yellow(restartedLine(url, previous))),
    );
    const info = await ref.call("info");
    ctx.io.err(ctx.io.errColor.dim(`serving MCP on ${info.url}\n`));
  } catch (error) {
    ctx.io.err(ctx.io.errColor.yellow(
      `warning: MCP server mode did not start: ${
        error instanceof Error ? error.message : String(error)
      }\n`,
    ));
  }
}

/**
 * What is said when the server came back after a crash: where it listens now.
 *
 * @example
 * ```ts
 * import { restartedLine } from "./serve.ts";
 * console.log(restartedLine("http://127.0.0.1:4001/mcp", "http://127.0.0.1:4000/mcp").trim());
 * // MCP server restarted on a new address, http://127.0.0.1:4001/mcp (4000 was taken): clients must reconnect there
 * ```
 */
export function restartedLine(url: string, previous: string | undefined): string {
  if (previous === undefined || previous === url) {
    return `MCP server restarted; serving again on ${url} (clients start a new session)\n`;
  }
  const was = new URL(previous).port;
  return `MCP server restarted on a new address, ${url} (${was} was taken): clients must ` +
    `reconnect there\n`;
}

/** The running serve plugin (a served chat's requests come only once it runs). */
function serving(ref: PluginRef<McpServeSurface> | undefined): PluginRef<McpServeSurface> {
  if (!ref) throw new Error("server mode is not running");
  return ref;
}
