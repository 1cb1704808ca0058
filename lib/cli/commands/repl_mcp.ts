/**
 * The REPL's `/mcp` command: servers, tools, resources, prompts, capabilities,
 * notifications, connecting and disconnecting, and discovering servers other
 * MCP clients on this machine already use.
 *
 * @module
 */

import type { SlashCommand } from "../repl.ts";
import type { CommandContext } from "../context.ts";
import type { Config } from "../../config/schema.ts";
import type { McpSurface } from "../runtime.ts";
import type { PluginRef } from "../../plugin/ref.ts";
import { applyServerEdit, parseToolArguments, renderContent } from "./mcp.ts";
import { discoverServers } from "../../mcp/discover.ts";
import { readConfigText } from "../../config/read_file.ts";
import type { DiscoveredServer } from "../../mcp/discover.ts";
import { sanitizeLine } from "../../ui/sanitize.ts";
import {
  contentsText,
  promptLine,
  resourceLine,
  serverErrorLine,
  templateLine,
  toolLine,
} from "../mcp_listing.ts";

export const MCP_USAGE = `/mcp servers | saved | tools [SERVER] | tool SERVER TOOL [JSON|k=v…]
     resources [SERVER] | resource SERVER URI | prompts [SERVER] | prompt SERVER NAME [k=v…]
     capabilities SERVER | notify [N] | connect NAME | disconnect NAME
     ping SERVER | log-level [SERVER] LEVEL | subscribe SERVER URI | unsubscribe SERVER URI
     complete SERVER prompt NAME|resource URI ARG [VALUE] [k=v…]
     (/mcp prompt sends the prompt's text to the model)
     discover | import NAME…`;

/**
 * Builds `/mcp`. `manager()` starts the MCP manager on first use.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { ConfigSchema } from "../../config/schema.ts";
 * import { mcpSlashCommand } from "./repl_mcp.ts";
 * // A home where Cursor is set up with one server.
 * const home = await Deno.makeTempDir();
 * await Deno.mkdir(`${home}/.cursor`);
 * await Deno.writeTextFile(
 *   `${home}/.cursor/mcp.json`,
 *   '{"mcpServers":{"mem":{"command":"npx","args":["-y","@modelcontextprotocol/server-memory"]}}}',
 * );
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine([]),
 *   io,
 *   env: { HOME: home },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const config = ConfigSchema.parse({});
 * // The REPL passes `() => runtime.mcp(config)`; these subcommands never start it.
 * const mcp = mcpSlashCommand(ctx, config, () => Promise.reject(new Error("not started here")));
 * const signal = new AbortController().signal;
 * await mcp.run(["discover"], signal);
 * assert.match(io.stdout(), /^mem .*npx -y @modelcontextprotocol\/server-memory/m);
 * await mcp.run(["tools"], signal);
 * assert.match(io.stderr(), /no MCP servers configured \(mcpchat servers add, or \/mcp discover\)/);
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export function mcpSlashCommand(
  ctx: CommandContext,
  config: Config,
  manager: () => Promise<PluginRef<McpSurface>>,
  send?: (text: string, signal: AbortSignal) => Promise<void>,
): SlashCommand {
  const { io } = ctx;
  const c = io.color;
  let discovered: DiscoveredServer[] = [];
  const configured = () => Object.keys(config.mcp.servers);
  /** Names the servers a listing is about to wait for (not connected yet), so it is no silent hang. */
  const sayWaiting = async (mcp: PluginRef<McpSurface>, only?: string) => {
    const pending = (await mcp.call("servers", undefined)).filter((s) =>
      (!only || s.name === only) &&
      ["idle", "connecting", "reconnecting"].includes(s.state.status)
    ).map((s) => sanitizeLine(s.name));
    if (pending.length === 0) return;
    io.err(c.dim(`(waiting for ${pending.join(", ")} to connect; Ctrl-C stops waiting)\n`));
  };
  return {
    name: "mcp",
    summary: "MCP servers, tools, resources, prompts; discover servers of other clients",
    usage: MCP_USAGE,
    run: async ([sub = "servers", ...rest], signal) => {
      switch (sub) {
        case "discover": {
          const env = ctx.env;
          const result = await discoverServers({
            home: env.HOME ?? "",
            cwd: ctx.cwd,
            platform: Deno.build.os,
            appData: env.APPDATA,
            xdgConfigHome: env.XDG_CONFIG_HOME,
            // Regular files only (a FIFO would block), capped: ~/.claude.json can be large.
            readFile: (path) =>
              readConfigText(path, { maxBytes: 64 * 1024 * 1024, what: "client config" })
                .catch((e) => e instanceof Deno.errors.NotFound ? undefined : Promise.reject(e)),
          });
          discovered = result.servers.filter((s) => !configured().includes(s.name));
          if (discovered.length === 0) {
            return void io.err("no new servers found in other clients' configs\n");
          }
          for (const s of discovered) {
            const target = "command" in s.config
              ? [s.config.command, ...(s.config.args ?? [])].join(" ")
              : s.config.url;
            // The transport as the loader reads it (a type-less `/sse` URL is SSE), as /mcp saved.
            const off = s.config.enabled === false ? c.dim("  (disabled)") : "";
            io.out(
              `${c.bold(sanitizeLine(s.name))}  ${
                c.dim(sanitizeLine(s.source))
              }  ${s.config.type}  ${sanitizeLine(target)}${off}\n`,
            );
            for (const w of s.warnings) io.out(`  ${c.yellow(sanitizeLine(w))}\n`);
          }
          io.err(c.dim("import with /mcp import NAME… (written to your config)\n"));
          return;
        }
        case "import": {
          if (rest.length === 0) {
            return void io.err("usage: /mcp import NAME…  (after /mcp discover)\n");
          }
          for (const name of rest) {
            const found = discovered.find((s) => s.name === name);
            if (!found) {
              io.err(`no discovered server "${name}"; run /mcp discover first\n`);
              continue;
            }
            const { file } = await applyServerEdit(ctx, {
              op: "add",
              name,
              server: found.definition,
            });
            io.err(`imported ${name} into ${file}\n`);
            // Live too: the running manager takes the server now (lazy ones connect on first use).
            const mcp = await manager();
            const info = await mcp.call("addServer", { name, config: found.config }, {
              signal,
              timeoutMs: 60_000,
            });
            config.mcp.servers[name] = found.config;
            io.out(`${name}: ${info.status}\n`);
          }
          return;
        }
        case "saved": {
          for (const [name, s] of Object.entries(config.mcp.servers)) {
            const target = s.type === "stdio" ? [s.command, ...s.args].join(" ") : s.url;
            io.out(
              `${c.bold(name)}  ${s.type}  ${target}${s.enabled ? "" : c.dim("  (disabled)")}\n`,
            );
          }
          return;
        }
      }
      if (configured().length === 0) {
        return void io.err("no MCP servers configured (mcpchat servers add, or /mcp discover)\n");
      }
      const mcp = await manager();
      switch (sub) {
        case "servers": {
          for (const s of await mcp.call("servers", undefined)) {
            const status = sanitizeLine(s.status);
            const state = s.degraded
              ? c.yellow(status)
              : s.state.status === "ready"
              ? c.green(status)
              : status;
            const tools = s.toolCount !== undefined ? `  ${s.toolCount} tools` : "";
            io.out(`${c.bold(sanitizeLine(s.name))}  ${s.transport}  ${state}${tools}\n`);
          }
          return;
        }
        case "tools": {
          await sayWaiting(mcp, rest[0]);
          const { tools, errors } = await mcp.call("listTools", { server: rest[0] }, {
            signal,
            timeoutMs: Infinity,
          });
          for (const t of tools) io.out(toolLine(c, t) + "\n");
          for (const e of errors) io.err(serverErrorLine(e));
          return;
        }
        case "tool": {
          const [server, tool, ...args] = rest;
          if (!server || !tool) {
            return void io.err("usage: /mcp tool SERVER TOOL [JSON|key=value…]\n");
          }
          const result = await mcp.call(
            "callTool",
            { server, tool, arguments: parseToolArguments(args) },
            { signal, timeoutMs: Infinity },
          );
          io.out(renderContent(result.content) + "\n");
          return;
        }
        case "resources": {
          await sayWaiting(mcp, rest[0]);
          const [{ resources, errors }, templates] = await Promise.all([
            mcp.call("listResources", { server: rest[0] }, { signal, timeoutMs: Infinity }),
            mcp.call("listResourceTemplates", { server: rest[0] }, { signal, timeoutMs: Infinity }),
          ]);
          for (const r of resources) io.out(resourceLine(c, r) + "\n");
          for (const t of templates.resourceTemplates) io.out(templateLine(c, t) + "\n");
          for (const e of errors) io.err(serverErrorLine(e));
          return;
        }
        case "resource": {
          const [server, uri] = rest;
          if (!server || !uri) return void io.err("usage: /mcp resource SERVER URI\n");
          const result = await mcp.call("readResource", { server, uri }, {
            signal,
            timeoutMs: Infinity,
          });
          io.out(contentsText(c, result.contents, "save it with mcpchat resources read -o FILE"));
          if (result.cached) io.err(c.dim("(from the resource cache)\n"));
          return;
        }
        case "prompts": {
          await sayWaiting(mcp, rest[0]);
          const { prompts, errors } = await mcp.call("listPrompts", { server: rest[0] }, {
            signal,
            timeoutMs: Infinity,
          });
          for (const p of prompts) io.out(promptLine(c, p) + "\n");
          for (const e of errors) io.err(serverErrorLine(e));
          return;
        }
        case "prompt": {
          const [server, name, ...args] = rest;
          if (!server || !name) return void io.err("usage: /mcp prompt SERVER NAME [key=value…]\n");
          const values = Object.fromEntries(
            Object.entries(parseToolArguments(args)).map((
              [k, v],
            ) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
          );
          const result = await mcp.call("getPrompt", { server, name, arguments: values }, {
            signal,
          });
          for (const m of result.messages) {
            io.out(`${c.bold(sanitizeLine(m.role))}: ${renderContent([m.content])}\n`);
          }
          // The prompt's user messages become the next chat message.
          const text = result.messages.filter((m: { role: string }) => m.role === "user")
            .map((m: { content: unknown }) => renderContent([m.content])).join("\n\n");
          if (send && text) {
            io.err(c.dim("(sending the prompt to the model)\n"));
            await send(text, signal);
          }
          return;
        }
        case "capabilities": {
          if (!rest[0]) return void io.err("usage: /mcp capabilities SERVER\n");
          const caps = await mcp.call("capabilities", { server: rest[0] }, {
            signal,
            timeoutMs: Infinity,
          });
          io.out(JSON.stringify(caps, null, 2) + "\n");
          return;
        }
        case "notify": {
          const limit = Number(rest[0] ?? 20) || 20;
          const records = await mcp.call("notifications", { limit });
          for (const r of records) {
            const when = new Date(r.at).toISOString().slice(11, 19);
            // The method is the server's word: one line, sanitised.
            io.out(
              `${c.dim(when)} ${c.bold(sanitizeLine(r.server))} ${r.category} ` +
                `${sanitizeLine(r.method)}\n`,
            );
          }
          return;
        }
        case "connect":
        case "disconnect": {
          if (!rest[0]) return void io.err(`usage: /mcp ${sub} NAME\n`);
          const info = await mcp.call(sub, { name: rest[0] }, { signal, timeoutMs: 60_000 });
          io.out(`${info.name}: ${info.status}\n`);
          return;
        }
        case "ping": {
          if (!rest[0]) return void io.err("usage: /mcp ping SERVER\n");
          const { ms } = await mcp.call("ping", { server: rest[0] }, { signal, timeoutMs: 60_000 });
          io.out(`${rest[0]}: pong in ${ms.toFixed(1)} ms\n`);
          return;
        }
        case "log-level": {
          const [server, level] = rest.length >= 2 ? rest : [undefined, rest[0]];
          if (!level) {
            return void io.err("usage: /mcp log-level [SERVER] LEVEL (debug … emergency)\n");
          }
          const levels = [
            "debug",
            "info",
            "notice",
            "warning",
            "error",
            "critical",
            "alert",
            "emergency",
          ];
          if (!levels.includes(level)) {
            return void io.err(`unknown level "${level}": one of ${levels.join(", ")}\n`);
          }
          const r = await mcp.call("setLogLevel", { server, level: level as "debug" }, {
            signal,
            timeoutMs: 60_000,
          });
          io.out(
            r.set.length ? `log level ${level}: ${r.set.join(", ")}\n` : "no ready server to set\n",
          );
          for (const e of r.errors) io.err(serverErrorLine(e));
          return;
        }
        case "subscribe":
        case "unsubscribe": {
          const [server, uri] = rest;
          if (!server || !uri) return void io.err(`usage: /mcp ${sub} SERVER URI\n`);
          await mcp.call(sub, { server, uri }, { signal, timeoutMs: 60_000 });
          io.out(
            sub === "subscribe"
              ? `subscribed to ${uri} (updates show in /mcp notify and refresh the cache)\n`
              : `unsubscribed from ${uri}\n`,
          );
          return;
        }
        case "complete": {
          const [server, kind, target, argument, value = "", ...context] = rest;
          if (!server || (kind !== "prompt" && kind !== "resource") || !target || !argument) {
            return void io.err(
              "usage: /mcp complete SERVER prompt NAME|resource URI ARG [VALUE] [k=v…]\n",
            );
          }
          const r = await mcp.call("complete", {
            server,
            ref: kind === "prompt"
              ? { type: "ref/prompt", name: target }
              : { type: "ref/resource", uri: target },
            argument: { name: argument, value },
            ...(context.length ? { context: { arguments: completionContext(context) } } : {}),
          }, { signal, timeoutMs: 60_000 });
          const values = r.completion.values;
          if (values.length === 0) io.err("no completions\n");
          for (const v of values) io.out(sanitizeLine(v) + "\n");
          if (r.completion.hasMore) io.err(c.dim(`(${r.completion.total ?? "more"} in all)\n`));
          return;
        }
        default:
          io.err(`unknown /mcp command "${sub}"\nusage: ${MCP_USAGE}\n`);
      }
    },
  };
}

/**
 * `key=value` words of a completion's context the way MCP wants them: every value a
 * string (`n=3` is parsed as JSON like a tool argument, then sent as `"3"`).
 */
function completionContext(words: string[]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parseToolArguments(words)).map((
      [key, value],
    ) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
  );
}
