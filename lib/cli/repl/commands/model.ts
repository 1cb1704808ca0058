/**
 * `/model [MODEL]` and `/models`: the model of the current backend.
 *
 * @module
 */

import type { ReplCommand, ReplState } from "../state.ts";

async function modelNames(s: ReplState, signal: AbortSignal): Promise<string[]> {
  const llm = await s.runtime.llm(s.config);
  const list = await llm.call("listModels", { backend: s.backend }, { signal, timeoutMs: 5000 });
  return list.models.map((m) => m.id);
}

/** `/model`. */
export const modelCommand: ReplCommand = {
  name: "model",
  summary: "show or switch the model",
  usage: "/model [MODEL]",
  group: "chat",
  complete: (s, words, _partial, signal) => words.length === 0 ? modelNames(s, signal) : [],
  run: (s, [name]) => {
    if (name) s.model = name;
    s.io.out(
      `${s.backend} · ${s.model ?? s.config.llm.backends[s.backend]?.model ?? "(default)"}\n`,
    );
  },
};

/** `/models`. */
export const modelsCommand: ReplCommand = {
  name: "models",
  summary: "list the models of the current backend",
  group: "chat",
  run: async (s, _args, signal) => {
    const llm = await s.runtime.llm(s.config);
    const list = await llm.call("listModels", { backend: s.backend }, { signal });
    for (const m of list.models) s.io.out(`${m.id}\n`);
    if (list.error) s.io.err(s.io.errColor.dim(`(built-in list: ${list.error})\n`));
  },
};
