/**
 * Tab completion at the REPL's prompt: slash commands and aliases, then each
 * command's own arguments (subcommands, servers, tools, prompts and their
 * arguments through MCP `completion/complete`, backends, models, session ids,
 * alias names, file paths).
 *
 * @module
 */

import type { Completer, Completion } from "../../ui/editor.ts";
import type { ReplCommand, ReplState } from "./state.ts";
import { joinPath, resolvePath } from "../../util/path.ts";

/** How long a completion may wait for a server or the store. */
const COMPLETION_TIMEOUT_MS = 3000;

/**
 * The prompt's completer over a command table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { replCompleter } from "./complete.ts";
 * import type { ReplState } from "./state.ts";
 * const commands = [
 *   { name: "alias" },
 *   { name: "clear" },
 *   { name: "backend", complete: (_s: ReplState, _w: string[], partial: string) =>
 *       ["anthropic", "local"].filter((b) => b.startsWith(partial)) },
 * ];
 * // Command names, aliases and these commands' completions never look at the REPL's state.
 * const state = {} as ReplState;
 * const complete = replCompleter(state, () => commands, () => Promise.resolve(["review"]));
 * assert.deepEqual(await complete("/", 1), {
 *   from: 0,
 *   items: ["/alias", "/backend", "/clear", "/review"],
 * });
 * assert.deepEqual(await complete("/backend lo", 11), { from: 9, items: ["local"] });
 * ```
 */
export function replCompleter(
  state: ReplState,
  commands: () => readonly Pick<ReplCommand, "name" | "complete">[],
  aliases: () => Promise<string[]>,
): Completer {
  return async (text, cursor): Promise<Completion> => {
    const before = text.slice(0, cursor);
    const mention = /(?:^|\s)@(\S*)$/.exec(before);
    if (mention && !before.startsWith("/")) {
      const partial = mention[1];
      const items = await completeMention(state, partial).catch(() => []);
      return { from: cursor - partial.length - 1, items: items.map((i) => `@${i}`) };
    }
    if (!before.startsWith("/")) return { from: cursor, items: [] };
    if (/^\/\S*$/.test(before)) {
      const names = commands().map((c) => c.name);
      const more = await aliases().catch(() => []);
      return { from: 0, items: [...names, ...more].map((n) => `/${n}`).sort() };
    }
    const words = before.slice(1).split(/\s+/);
    const partial = words.pop() ?? "";
    const [name, ...args] = words;
    const command = commands().find((c) => c.name === name);
    const signal = AbortSignal.timeout(COMPLETION_TIMEOUT_MS);
    const found = command?.complete ? await command.complete(state, args, partial, signal) : [];
    return Array.isArray(found)
      ? { from: cursor - partial.length, items: found }
      : { from: cursor - partial.length, items: found.items, notes: found.notes };
  };
}

/** `@server:uri` resources and `@path` files for a mention being typed. */
async function completeMention(state: ReplState, partial: string): Promise<string[]> {
  const servers = Object.keys(state.config.mcp.servers);
  const colon = partial.indexOf(":");
  if (colon > 0 && servers.includes(partial.slice(0, colon))) {
    const server = partial.slice(0, colon);
    const mcp = await state.startMcp();
    const { resources } = await mcp.call("listResources", { server }, {
      signal: AbortSignal.timeout(COMPLETION_TIMEOUT_MS),
      timeoutMs: COMPLETION_TIMEOUT_MS,
    });
    return resources.map((r) => `${server}:${r.uri}`);
  }
  const paths = await completePath(partial, state.ctx.cwd, state.ctx.env.HOME);
  return [...servers.map((s) => `${s}:`), ...paths];
}

/**
 * File paths that start with `partial` (directories end in `/`), relative to
 * `cwd`; `~/` is the home directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { completePath } from "./complete.ts";
 * const repo = await Deno.makeTempDir();
 * for (const dir of ["lib/chat", "lib/cli", "lib/ui"]) {
 *   await Deno.mkdir(`${repo}/${dir}`, { recursive: true });
 * }
 * await Deno.writeTextFile(`${repo}/lib/cli.md`, "");
 * assert.deepEqual(await completePath("lib/c", repo), ["lib/chat/", "lib/cli.md", "lib/cli/"]);
 * assert.deepEqual(await completePath("~/c", "/elsewhere", `${repo}/lib`), ["~/chat/", "~/cli.md", "~/cli/"]);
 * await Deno.remove(repo, { recursive: true });
 * ```
 */
export async function completePath(partial: string, cwd: string, home = ""): Promise<string[]> {
  const slash = partial.lastIndexOf("/");
  const dir = slash >= 0 ? partial.slice(0, slash + 1) : "";
  const base = dir.startsWith("~/") && home
    ? joinPath(home, dir.slice(2))
    : resolvePath(cwd, dir || ".");
  const items: string[] = [];
  try {
    for await (const entry of Deno.readDir(base)) {
      if (entry.name.startsWith(".") && !partial.slice(slash + 1).startsWith(".")) continue;
      items.push(dir + entry.name + (entry.isDirectory ? "/" : ""));
      if (items.length > 500) break;
    }
  } catch {
    // not a directory, or not readable: nothing to offer
  }
  return items.filter((i) => i.startsWith(partial)).sort();
}
