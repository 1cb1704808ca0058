/**
 * `/system ["PROMPT"]`: the system prompt of this session.
 *
 * @module
 */

import type { ReplCommand } from "../state.ts";

/** `/system`. */
export const systemCommand: ReplCommand = {
  name: "system",
  summary: "show or set the system prompt of this session",
  usage: '/system ["PROMPT"]',
  group: "chat",
  run: async (s, words) => {
    if (words.length === 0) return void s.io.out(`${s.systemPrompt ?? "(none)"}\n`);
    s.systemPrompt = words.join(" ");
    if (s.recorder) {
      await (await s.runtime.store(s.config)).call("update", {
        ref: s.recorder.sessionId,
        patch: { systemPrompt: s.systemPrompt },
      });
    }
    s.io.err("system prompt set\n");
  },
};
