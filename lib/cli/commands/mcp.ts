/**
 * The MCP subcommands: `tools`, `resources`, `prompts`, `servers list|test`.
 * Every one takes `--json`. They need no model, unless a server asks for
 * one (sampling, with `--yes` or the user's approval at a terminal).
 *
 * @module
 */

import { dirnamePath } from "../../util/path.ts";
import { flagValues } from "../args.ts";
import { sanitizeLine, sanitizeText } from "../../ui/sanitize.ts";
import { contentsText, promptLine, resourceLine, templateLine, toolLine } from "../mcp_listing.ts";
import { type CommandContext, CommandError } from "../context.ts";
import { RemoteError } from "../../rpc/errors.ts";
import { progressText, StatusLine } from "../../ui/status.ts";
import { ExitCode } from "../exit_codes.ts";
import {
  configMayNameServers,
  configServiceFailure,
  type McpHostHandlers,
  type McpSurface,
} from "../runtime.ts";
import type { Config } from "../../config/schema.ts";
import type { PluginRef } from "../../plugin/ref.ts";
import { LineReader, readLines } from "../lines.ts";
import { serverRequestHandlers } from "../server_requests.ts";

/**
 * Parses tool arguments: one JSON object, or `key=value` words whose values
 * are read as JSON when they parse (`n=3` → 3, `on=true` → true,
 * `name=bob` → "bob").
 *
 * @throws {CommandError} exit code 2 for a malformed argument
 *
 * @example
 * ```ts
 * import { parseToolArguments } from "./mcp.ts";
 * parseToolArguments(["message=hello", "count=3"]); // { message: "hello", count: 3 }
 * parseToolArguments(['{"a": [1, 2]}']); // { a: [1, 2] }
 * ```
 */
export function parseToolArguments(words: string[]): Record<string, unknown> {
  if (words.length === 0) return {};
  if (words.length === 1 && words[0].trimStart().startsWith("{")) {
    let value: unknown;
    try {
      value = JSON.parse(words[0]);
    } catch (error) {
      throw new CommandError(
        `tool arguments are not valid JSON: ${
          error instanceof Error ? error.message : String(error)
        }`,
        ExitCode.Usage,
      );
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new CommandError("tool arguments must be a JSON object", ExitCode.Usage);
    }
    return Object.fromEntries(Object.entries(value));
  }
  const args: Record<string, unknown> = {};
  for (const word of words) {
    const eq = word.indexOf("=");
    if (eq <= 0) {
      throw new CommandError(
        `expected key=value or one JSON object, got "${word}"`,
        ExitCode.Usage,
      );
    }
    const raw = word.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: the value is the plain string.
    }
    args[word.slice(0, eq)] = value;
  }
  return args;
}

/** Status lines this run made: held back while a server asks the user something. */
const statusLines = new Set<StatusLine>();

/** A status line on stderr when it is a terminal. */
function statusLine(ctx: CommandContext): StatusLine {
  const status = new StatusLine({
    write: (text) => ctx.io.err(text),
    enabled: Deno.stderr.isTerminal(),
  });
  statusLines.add(status);
  return status;
}

/**
 * `handlers` with every status line paused while one runs: a server's question (a form, an
 * approval) starts on a clean line, and no "running… (N s)" is drawn over it while it waits.
 */
function pausingStatus(handlers: McpHostHandlers): McpHostHandlers {
  const paused =
    <A extends unknown[], R>(handler: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      for (const status of statusLines) status.pause();
      try {
        return await handler(...args);
      } finally {
        for (const status of statusLines) status.resume();
      }
    };
  return {
    ...handlers,
    ...(handlers.sampling ? { sampling: paused(handlers.sampling) } : {}),
    ...(handlers.elicit ? { elicit: paused(handlers.elicit) } : {}),
  };
}

/** Runs `work` with a "connecting…" status line on a terminal, for listings that wait on servers. */
async function withConnecting<T>(ctx: CommandContext, work: () => Promise<T>): Promise<T> {
  const status = statusLine(ctx);
  status.set(ctx.io.errColor.dim("connecting to MCP servers…"));
  try {
    return await work();
  } finally {
    status.clear();
  }
}

async function manager(ctx: CommandContext): Promise<PluginRef<McpSurface>> {
  // The manager's worker loads the MCP SDK while the config loads (see Runtime.mcp).
  const runtime = await ctx.runtimeStarting();
  const loading = ctx.config();
  loading.catch(() => {}); // awaited just below
  const { options } = ctx.args;
  // A person at a terminal can approve sampling and fill forms; a script cannot.
  let reader: LineReader | undefined;
  const askLine = Deno.stdin.isTerminal() && Deno.stderr.isTerminal()
    ? async (question: string, signal?: AbortSignal) => {
      ctx.io.err(question);
      reader ??= new LineReader(readLines(Deno.stdin.readable));
      // The server may give up on its request while the question waits.
      const gaveUp = new Promise<null>((resolve) =>
        signal?.addEventListener("abort", () => resolve(null), { once: true })
      );
      return (await Promise.race([reader.read(), gaveUp]))?.trim() ?? null;
    }
    : undefined;
  // Servers ask only once they run, so after the config loaded.
  const loaded: { config?: Config } = {};
  const handlers = pausingStatus(serverRequestHandlers({
    io: ctx.io,
    approveAll: options.yes,
    askLine,
    chat: async function* (request, signal) {
      const llm = await runtime.llm(await loading);
      yield* llm.stream("chat", request, { signal, timeoutMs: Infinity });
    },
    target: () => ({
      backend: options.backend ?? loaded.config?.llm.default,
      model: options.model,
    }),
  }));
  const early = await configMayNameServers(ctx.env, ctx.configPath)
    ? runtime.mcp(loading, handlers)
    : undefined;
  early?.catch(() => {}); // a config error is the config load's to report
  const config = loaded.config = await loading;
  if (Object.keys(config.mcp.servers).length === 0) {
    throw new CommandError(
      "no MCP servers are configured; add one with mcpchat servers add NAME -- COMMAND [ARGS…] " +
        "(e.g. mcpchat servers add everything -- npx -y @modelcontextprotocol/server-everything), " +
        "or pass a Claude-style mcpServers JSON with --config",
      ExitCode.Usage,
    );
  }
  return await (early ?? runtime.mcp(config, handlers));
}

/** A usage error that names the word it did not understand (or says one is missing). */
function unknownSubcommand(command: string, sub: string | undefined, known: string): CommandError {
  return new CommandError(
    sub ? `unknown ${command} command "${sub}" (${known})` : `${command} needs a command: ${known}`,
    ExitCode.Usage,
  );
}

function requireServer(server: string | undefined, usage: string): string {
  if (!server) throw new CommandError(`missing SERVER: ${usage}`, ExitCode.Usage);
  return server;
}

function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2) + "\n");
}

function reportServerErrors(
  ctx: CommandContext,
  errors: { server: string; message: string; code?: string }[],
): number {
  let failed = 0;
  for (const e of errors) {
    // Tools set aside leave the server degraded, not failed: its other tools were listed.
    if (e.code === "MCP_TOOLS_SET_ASIDE") {
      ctx.io.err(
        `${ctx.io.errColor.yellow("warning")}: ${sanitizeLine(e.server)} degraded: ${
          sanitizeLine(e.message)
        }\n`,
      );
      continue;
    }
    failed++;
    ctx.io.err(
      `${ctx.io.errColor.red("error")}: ${sanitizeLine(e.server)}: ${sanitizeLine(e.message)}\n`,
    );
  }
  return failed > 0 ? ExitCode.Runtime : ExitCode.Ok;
}

/** `mcpchat tools list [SERVER]` and `mcpchat tools call SERVER TOOL [ARGS…]`. */
export async function toolsCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [sub, server, tool, ...rest] = words;
  const { json } = ctx.args.options;
  const c = ctx.io.color;
  if (sub === "list") {
    const mcp = await manager(ctx);
    const { tools, errors } = await withConnecting(ctx, () =>
      mcp.call("listTools", { server }, {
        signal: ctx.signal,
        timeoutMs: Infinity, // each server is bounded by its connect timeout
      }));
    if (json) printJson(ctx, { tools, errors });
    else {
      for (const t of tools) ctx.io.out(toolLine(c, t) + "\n");
      if (tools.length === 0 && errors.length === 0) ctx.io.err("no tools\n");
    }
    return reportServerErrors(ctx, errors);
  }
  if (sub === "call") {
    const usage = "mcpchat tools call SERVER TOOL [JSON | key=value…]";
    requireServer(server, usage);
    if (!tool) throw new CommandError(`missing TOOL: ${usage}`, ExitCode.Usage);
    const args = parseToolArguments(rest);
    const mcp = await manager(ctx);
    const status = statusLine(ctx);
    status.set(ctx.io.errColor.dim(`running ${server} ${tool}…`));
    const callId = "cli";
    const off = mcp.on("progress", (update) => {
      if (update.callId === callId) {
        const message = update.message === undefined ? undefined : sanitizeLine(update.message);
        status.set(ctx.io.errColor.dim(progressText(server!, tool, { ...update, message })));
      }
    });
    let result;
    try {
      result = await mcp.call("callTool", { server, tool, arguments: args, callId }, {
        signal: ctx.signal,
        timeoutMs: Infinity, // bounded by the manager's request timeout
      });
    } finally {
      off();
      status.clear();
    }
    if (json) printJson(ctx, result);
    else ctx.io.out(renderContent(result.content) + "\n");
    if (result.isError) {
      if (!json) ctx.io.err(`${ctx.io.errColor.red("error")}: the tool reported an error\n`);
      return ExitCode.Runtime;
    }
    return ExitCode.Ok;
  }
  throw unknownSubcommand("tools", sub, "list, call");
}

/** `mcpchat resources list [SERVER]` and `mcpchat resources read SERVER URI`. */
export async function resourcesCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [sub, server, uri] = words;
  const { json } = ctx.args.options;
  const c = ctx.io.color;
  if (sub === "list") {
    const mcp = await manager(ctx);
    const [{ resources, errors }, templates] = await withConnecting(ctx, () =>
      Promise.all([
        mcp.call("listResources", { server }, { signal: ctx.signal, timeoutMs: Infinity }),
        mcp.call("listResourceTemplates", { server }, { signal: ctx.signal, timeoutMs: Infinity }),
      ]));
    if (json) printJson(ctx, { resources, templates: templates.resourceTemplates, errors });
    else {
      for (const r of resources) ctx.io.out(resourceLine(c, r) + "\n");
      for (const t of templates.resourceTemplates) ctx.io.out(templateLine(c, t) + "\n");
    }
    return reportServerErrors(ctx, errors);
  }
  if (sub === "read") {
    const usage = "mcpchat resources read SERVER URI [-o FILE]";
    requireServer(server, usage);
    if (!uri) throw new CommandError(`missing URI: ${usage}`, ExitCode.Usage);
    const mcp = await manager(ctx);
    const result = await mcp.call("readResource", { server, uri }, { signal: ctx.signal });
    const output = ctx.args.flags.output;
    if (typeof output === "string") {
      return await saveContents(ctx, result.contents, output);
    }
    if (json) printJson(ctx, result);
    else ctx.io.out(contentsText(c, result.contents, "save it with -o FILE"));
    return ExitCode.Ok;
  }
  throw unknownSubcommand("resources", sub, "list, read");
}

/**
 * `resources read … -o FILE`: the content as bytes (text as UTF-8, a blob
 * decoded from base64); several contents go to FILE, FILE.2, FILE.3…
 */
async function saveContents(
  ctx: CommandContext,
  contents: { uri: string; mimeType?: string; text?: unknown; blob?: unknown }[],
  file: string,
): Promise<number> {
  if (contents.length === 0) throw new CommandError("the resource has no content to save");
  for (const [i, content] of contents.entries()) {
    const target = i === 0 ? file : `${file}.${i + 1}`;
    const bytes = typeof content.blob === "string"
      ? Uint8Array.from(atob(content.blob), (ch) => ch.charCodeAt(0))
      : new TextEncoder().encode(typeof content.text === "string" ? content.text : "");
    try {
      await Deno.writeFile(target, bytes);
    } catch (error) {
      throw new CommandError(
        `cannot write ${target}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    ctx.io.err(
      `saved ${bytes.length} bytes${
        content.mimeType ? ` (${content.mimeType})` : ""
      } to ${target}\n`,
    );
  }
  return ExitCode.Ok;
}

/** `mcpchat prompts list [SERVER]` and `mcpchat prompts get SERVER PROMPT [key=value…]`. */
export async function promptsCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [sub, server, name, ...rest] = words;
  const { json } = ctx.args.options;
  const c = ctx.io.color;
  if (sub === "list") {
    const mcp = await manager(ctx);
    const { prompts, errors } = await withConnecting(
      ctx,
      () => mcp.call("listPrompts", { server }, { signal: ctx.signal, timeoutMs: Infinity }),
    );
    if (json) printJson(ctx, { prompts, errors });
    else {
      for (const p of prompts) ctx.io.out(promptLine(c, p) + "\n");
    }
    return reportServerErrors(ctx, errors);
  }
  if (sub === "get") {
    const usage = "mcpchat prompts get SERVER PROMPT [key=value…]";
    requireServer(server, usage);
    if (!name) throw new CommandError(`missing PROMPT: ${usage}`, ExitCode.Usage);
    const args = Object.fromEntries(
      Object.entries(parseToolArguments(rest)).map((
        [k, v],
      ) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
    );
    const mcp = await manager(ctx);
    const result = await mcp.call("getPrompt", { server, name, arguments: args }, {
      signal: ctx.signal,
    });
    if (json) printJson(ctx, result);
    else {
      for (const message of result.messages) {
        ctx.io.out(`${c.bold(sanitizeLine(message.role))}: ${renderContent([message.content])}\n`);
      }
    }
    return ExitCode.Ok;
  }
  throw unknownSubcommand("prompts", sub, "list, get");
}

/** `mcpchat servers list` and `mcpchat servers test [NAME]`. */
export async function serversCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [sub, name] = words;
  const { json } = ctx.args.options;
  const c = ctx.io.color;
  if (sub === "list" || sub === undefined) {
    const config = await ctx.config();
    const servers = Object.entries(config.mcp.servers).map(([server, s]) => ({
      name: server,
      transport: s.type,
      target: s.type === "stdio" ? [s.command, ...s.args].join(" ") : s.url,
      startup_mode: s.startup_mode ?? config.mcp.startup_mode,
      enabled: s.enabled,
    }));
    if (json) printJson(ctx, { servers });
    else if (servers.length === 0) ctx.io.err("no MCP servers configured\n");
    else {
      for (const s of servers) {
        ctx.io.out(
          `${c.bold(s.name)}  ${s.transport}  ${s.target}  ${
            c.dim(s.enabled ? s.startup_mode : "disabled")
          }\n`,
        );
      }
    }
    return ExitCode.Ok;
  }
  if (sub === "test") {
    const mcp = await manager(ctx);
    const infos = await mcp.call("servers", undefined);
    const targets = name ? infos.filter((s) => s.name === name) : infos.filter((s) => s.enabled);
    if (name && targets.length === 0) {
      const known = infos.map((s) => s.name);
      throw new CommandError(
        `no server named "${name}" (configured: ${known.length ? known.join(", ") : "none"})`,
        ExitCode.Usage,
      );
    }
    // A server that keeps failing is retried with backoff: seconds, said on a terminal.
    const names = targets.map((s) => sanitizeLine(s.name)).join(", ");
    const status = statusLine(ctx);
    status.set(ctx.io.errColor.dim(`testing ${names}…`));
    const results = await Promise.all(targets.map(async (s) => {
      const started = performance.now();
      try {
        const info = await mcp.call("connect", { name: s.name }, {
          signal: ctx.signal,
          timeoutMs: 60_000,
        });
        const tools = await mcp.call("listTools", { server: s.name }, { signal: ctx.signal });
        return {
          name: s.name,
          ok: info.state.status === "ready",
          status: info.status,
          server: info.serverInfo,
          protocolVersion: info.protocolVersion,
          tools: tools.tools.length,
          ms: Math.round(performance.now() - started),
        };
      } catch (error) {
        return {
          name: s.name,
          ok: false,
          status: testFailure(error),
          ms: Math.round(performance.now() - started),
        };
      }
    })).finally(() => status.clear());
    if (json) printJson(ctx, { servers: results });
    else {
      for (const r of results) {
        const mark = r.ok ? c.green("ok") : c.red("FAIL");
        const detail = sanitizeLine(
          "tools" in r && r.ok
            ? `${r.server?.name ?? ""} ${r.server?.version ?? ""}, ${r.tools} tools, ${r.ms} ms`
            : r.status,
        );
        ctx.io.out(`${mark}  ${c.bold(r.name)}  ${detail}\n`);
      }
    }
    return results.every((r) => r.ok) ? ExitCode.Ok : ExitCode.Runtime;
  }
  if (sub === "add" || sub === "remove") return await editServers(ctx, sub, words.slice(1));
  if (sub === "sandbox") {
    const { serversSandboxCommand } = await import("./servers_sandbox.ts");
    return await serversSandboxCommand(ctx, name);
  }
  throw new CommandError(
    `unknown servers command "${sub}" (list, test, add, remove, sandbox)`,
    ExitCode.Usage,
  );
}

/**
 * Why `servers test` failed, without the unavailable error's advice to run
 * `servers test` (the user just did): the server's state is the answer.
 */
function testFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RemoteError && error.code === "MCP_SERVER_UNAVAILABLE") {
    return message.replace(/; retry with \/mcp connect .*$/s, "");
  }
  return message;
}

/**
 * `servers add NAME -- COMMAND [ARGS…]`, `servers add NAME URL`, `servers
 * remove NAME`. The config worker (read-only) plans the new file text,
 * keeping comments; the main thread writes it atomically.
 */
async function editServers(
  ctx: CommandContext,
  op: "add" | "remove",
  words: string[],
): Promise<number> {
  const [name, target, ...args] = words;
  const usage = op === "add"
    ? "mcpchat servers add NAME -- COMMAND [ARGS…]  or  mcpchat servers add NAME URL"
    : "mcpchat servers remove NAME";
  if (!name) throw new CommandError(`missing NAME: ${usage}`, ExitCode.Usage);
  let edit: { op: "add"; name: string; server: Record<string, unknown> } | {
    op: "remove";
    name: string;
  };
  if (op === "add") {
    if (!target) throw new CommandError(`missing COMMAND or URL: ${usage}`, ExitCode.Usage);
    const flags = ctx.args.flags;
    if (/^https?:\/\//.test(target)) {
      const transport = typeof flags.transport === "string" ? flags.transport : "http";
      if (transport !== "http" && transport !== "sse") {
        throw new CommandError(
          `--transport must be http or sse, not "${transport}"`,
          ExitCode.Usage,
        );
      }
      const headers = Object.fromEntries(
        flagValues(flags, "header").map((h) => {
          const colon = h.indexOf(":");
          if (colon <= 0) {
            throw new CommandError(`--header must be "Name: value", not "${h}"`, ExitCode.Usage);
          }
          return [h.slice(0, colon).trim(), h.slice(colon + 1).trim()];
        }),
      );
      edit = {
        op,
        name,
        server: {
          type: transport,
          url: target,
          ...(Object.keys(headers).length ? { headers } : {}),
        },
      };
    } else {
      const env = Object.fromEntries(
        flagValues(flags, "env").map((pair) => {
          const eq = pair.indexOf("=");
          if (eq <= 0) {
            throw new CommandError(`--env must be KEY=VALUE, not "${pair}"`, ExitCode.Usage);
          }
          return [pair.slice(0, eq), pair.slice(eq + 1)];
        }),
      );
      edit = {
        op,
        name,
        server: {
          command: target,
          args,
          ...(Object.keys(env).length ? { env } : {}),
          ...(typeof flags.cwd === "string" ? { cwd: flags.cwd } : {}),
        },
      };
    }
  } else {
    edit = { op, name };
  }
  const planned = await applyServerEdit(ctx, edit);
  if (ctx.args.options.json) ctx.io.out(JSON.stringify({ op, name, file: planned.file }) + "\n");
  else {ctx.io.err(
      `${op === "add" ? "added" : "removed"} server ${name} ${
        op === "add" ? "to" : "from"
      } ${planned.file}\n`,
    );}
  return ExitCode.Ok;
}

/**
 * Adds or removes a server in the config file: the config worker (read-only)
 * plans the new text, keeping comments; it is written here atomically.
 *
 * @throws {CommandError} exit code 2 for a config problem (duplicate name, bad entry)
 */
export async function applyServerEdit(
  ctx: CommandContext,
  edit: { op: "add"; name: string; server: Record<string, unknown> } | {
    op: "remove";
    name: string;
  },
): Promise<{ file: string }> {
  const runtime = await ctx.runtime();
  let planned;
  try {
    planned = await runtime.configRef.call("planServerEdit", edit);
  } catch (error) {
    if (error instanceof RemoteError && error.code.startsWith("CONFIG_")) {
      throw new CommandError(error.message, ExitCode.Usage, error.code);
    }
    throw configServiceFailure(error, runtime.configFile());
  }
  await writeFileAtomic(planned.file, planned.text);
  return { file: planned.file };
}

/** Writes through a temporary file and a rename, so a crash never leaves half a config. */
async function writeFileAtomic(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirnamePath(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(temp, text, { mode: 0o600 });
  await Deno.rename(temp, path);
}

/** Renders MCP content blocks as terminal text (sanitised: servers' text drives no terminal). */
export function renderContent(content: readonly unknown[]): string {
  return sanitizeText(renderContentRaw(content));
}

function renderContentRaw(content: readonly unknown[]): string {
  // A server's blocks: each field is read only when it is there and a string.
  return content.map((block) => {
    const type = stringField(block, "type");
    switch (type) {
      case "text":
        return stringField(block, "text") ?? "";
      case "image":
      case "audio":
        return `[${type} ${stringField(block, "mimeType") ?? ""}]`;
      case "resource": {
        const resource = field(block, "resource");
        return stringField(resource, "text") ?? `[resource ${stringField(resource, "uri") ?? ""}]`;
      }
      case "resource_link":
        return `[link ${stringField(block, "uri") ?? ""}]`;
      default:
        return JSON.stringify(block);
    }
  }).join("\n");
}

/** `value[key]` when `value` is an object that has it. */
function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && Object.hasOwn(value, key)
    ? Reflect.get(value, key)
    : undefined;
}

/** `value[key]` when it is a string. */
function stringField(value: unknown, key: string): string | undefined {
  const found = field(value, key);
  return typeof found === "string" ? found : undefined;
}
