/**
 * `/mcp`: servers, tools, resources, prompts (the work is done by
 * `mcpSlashCommand`); here its Tab completion: subcommands, server names,
 * tool, resource and prompt names, and prompt arguments through the
 * server's `completion/complete`.
 *
 * @module
 */

import { MCP_USAGE, mcpSlashCommand } from "../../commands/repl_mcp.ts";
import type { SlashCommand } from "../../repl.ts";
import type { ReplCommand, ReplState } from "../state.ts";

const SUBCOMMANDS = [
  "servers",
  "saved",
  "tools",
  "tool",
  "resources",
  "resource",
  "prompts",
  "prompt",
  "capabilities",
  "notify",
  "connect",
  "disconnect",
  "ping",
  "log-level",
  "subscribe",
  "unsubscribe",
  "complete",
  "discover",
  "import",
];
const TAKES_SERVER = new Set([
  "tools",
  "tool",
  "resources",
  "resource",
  "prompts",
  "prompt",
  "capabilities",
  "connect",
  "disconnect",
  "ping",
  "subscribe",
  "unsubscribe",
  "complete",
]);

const bound = new WeakMap<ReplState, SlashCommand>();

/** `/mcp`. */
export const mcpCommand: ReplCommand = {
  name: "mcp",
  summary: "MCP servers, tools, resources, prompts; discover servers of other clients",
  group: "mcp",
  usage: MCP_USAGE,
  complete: (s, words, partial, signal) => completeMcp(s, words, partial, signal),
  run: (s, args, signal) => {
    let command = bound.get(s);
    if (!command) {
      command = mcpSlashCommand(s.ctx, s.config, () => s.startMcp(), (t, sig) => s.send(t, sig));
      bound.set(s, command);
    }
    return command.run(args, signal);
  },
};

async function completeMcp(
  s: ReplState,
  words: string[],
  partial: string,
  signal: AbortSignal,
): Promise<string[]> {
  const [sub, server, name, ...rest] = words;
  if (!sub) return SUBCOMMANDS;
  if (!TAKES_SERVER.has(sub)) return [];
  if (!server) return Object.keys(s.config.mcp.servers);
  if (!["tool", "resource", "prompt"].includes(sub)) return [];
  const mcp = await s.startMcp();
  const options = { signal, timeoutMs: 3000 };
  if (sub === "tool" && !name) {
    const { tools } = await mcp.call("listTools", { server }, options);
    return tools.map((t) => t.name.replace(`${server}__`, ""));
  }
  if (sub === "resource" && !name) {
    const { resources } = await mcp.call("listResources", { server }, options);
    return resources.map((r) => r.uri);
  }
  if (sub !== "prompt") return [];
  const { prompts } = await mcp.call("listPrompts", { server }, options);
  if (!name) return prompts.map((p) => p.name);
  const prompt = prompts.find((p) => p.name === name);
  const given = Object.fromEntries(
    rest.map((w) => w.split("=", 2)).filter((kv): kv is [string, string] => kv.length === 2),
  );
  const argNames = (prompt?.arguments ?? []).map((a: { name: string }) => a.name);
  const eq = partial.indexOf("=");
  if (eq < 0) return argNames.filter((a: string) => !(a in given)).map((a: string) => `${a}=`);
  // A value: ask the server (MCP completion/complete).
  const argument = partial.slice(0, eq);
  const result = await mcp.call("complete", {
    server,
    ref: { type: "ref/prompt", name },
    argument: { name: argument, value: partial.slice(eq + 1) },
    context: { arguments: given },
  }, options);
  return result.completion.values.map((v: string) => `${argument}=${v}`);
}
