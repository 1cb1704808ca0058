/**
 * `/backend [NAME]`: lists the LLM backends, or switches to one.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/backend`. */
export const backendCommand: ReplCommand = {
  name: "backend",
  summary: "show or switch the LLM backend",
  usage: "/backend [NAME]",
  group: "chat",
  complete: (s, words) => words.length === 0 ? Object.keys(s.config.llm.backends) : [],
  run: async (s, [name]) => {
    const { io } = s;
    const llm = await s.runtime.llm(s.config);
    const status = await llm.call("status", undefined);
    if (!name) {
      for (const b of status) {
        const mark = b.name === s.backend ? io.color.green("●") : " ";
        io.out(
          `${mark} ${b.name}  ${b.kind}  ${b.model}${
            b.configured ? "" : io.color.dim(`  (${b.missing})`)
          }\n`,
        );
      }
      return;
    }
    if (!status.some((b) => b.name === name)) {
      return void io.err(`no backend "${name}"; /backend lists them\n`);
    }
    s.backend = name;
    s.model = undefined;
    io.err(`backend: ${name}\n`);
  },
};
