/**
 * `/alias`: names for sequences of commands or messages.
 *
 * @module
 */

import type { ReplCommand, ReplState } from "../state.ts";

/** Stored aliases and those of `[aliases]` in the config. */
export async function aliasNames(s: ReplState): Promise<string[]> {
  const stored = await (await s.runtime.store(s.config)).call("listAliases", undefined);
  return [...new Set([...Object.keys(s.config.aliases), ...stored.map((a) => a.name)])];
}

/** `/alias`. */
export const aliasCommand: ReplCommand = {
  name: "alias",
  summary: "name a sequence of commands or messages; $1…$9 and $* take its arguments",
  usage:
    '/alias add NAME "LINE; LINE…" | /alias add NAME "LINE" "LINE"… | /alias remove NAME | /alias',
  group: "other",
  complete: (s, words) =>
    words.length === 0
      ? ["add", "remove", "list"]
      : words[0] === "remove" && words.length === 1
      ? aliasNames(s)
      : [],
  run: async (s, [sub = "list", name, ...lines]) => {
    const { io } = s;
    const store = await s.runtime.store(s.config);
    if (sub === "list") {
      const stored = await store.call("listAliases", undefined);
      const all = new Map<string, string[]>(Object.entries(s.config.aliases));
      for (const a of stored) all.set(a.name, a.commands);
      if (all.size === 0) return void io.err('no aliases; /alias add NAME "COMMANDS"\n');
      for (const [aliasName, commands] of all) {
        io.out(`${io.color.cyan(`/${aliasName}`)}  ${commands.join(" ; ")}\n`);
      }
      return;
    }
    if (!name) return void io.err('usage: /alias add NAME "COMMANDS" | /alias remove NAME\n');
    if (sub === "remove") {
      const { deleted } = await store.call("deleteAlias", { name });
      return void io.err(deleted ? `removed /${name}\n` : `no stored alias /${name}\n`);
    }
    if (sub !== "add") return void io.err(`unknown /alias command "${sub}"\n`);
    if (s.commandNames().has(name)) {
      return void io.err(`/${name} is a command; pick another name\n`);
    }
    const commands = (lines.length === 1 ? lines[0].split(";") : lines)
      .map((l) => l.trim()).filter(Boolean);
    if (commands.length === 0) return void io.err("an alias needs at least one command\n");
    await store.call("setAlias", { name, commands });
    io.err(`/${name} → ${commands.join(" ; ")}\n`);
  },
};
