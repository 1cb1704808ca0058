/**
 * The session commands: `/new`, `/save`, `/load`, `/clear`, `/history`,
 * `/export`, `/sessions`.
 *
 * @module
 */

import { interruptionMark, openSessionRecorder } from "../../sessions.ts";
import { sanitizeLine, sanitizeText } from "../../../ui/sanitize.ts";
import type { Candidates, ReplCommand, ReplState } from "../state.ts";
import { completePath } from "../complete.ts";

async function sessionRefs(s: ReplState): Promise<Candidates> {
  const store = await s.runtime.store(s.config);
  const { sessions } = await store.call("list", { limit: 50 });
  const notes = new Map<string, string>();
  const items = sessions.flatMap((x) => {
    // The menu says which session an id is: its title and when it was last used.
    const when = x.lastActive
      ? new Date(x.lastActive).toISOString().replace("T", " ").slice(0, 16)
      : "";
    const note = sanitizeLine([when, x.title].filter(Boolean).join("  "));
    notes.set(x.id, note);
    if (x.name) notes.set(x.name, note);
    return x.name ? [x.id, x.name] : [x.id];
  });
  return { items, notes };
}

/** `/new`. */
export const newCommand: ReplCommand = {
  name: "new",
  summary: "start a new session",
  group: "session",
  run: async (s) => {
    await s.recorder?.close();
    s.recorder = undefined;
    s.systemPrompt = s.ctx.args.options.system;
    s.historyCursor = undefined;
    s.history.length = 0;
    s.totals.input = s.totals.output = 0;
    s.totals.cost = 0;
    s.io.err("new session\n");
  },
};

/** `/save NAME`. */
export const saveCommand: ReplCommand = {
  name: "save",
  summary: "name this session so /load NAME finds it",
  usage: "/save NAME",
  group: "session",
  run: async (s, [name]) => {
    if (!name) return void s.io.err("usage: /save NAME\n");
    const recorder = await s.ensureRecorder();
    const store = await s.runtime.store(s.config);
    const saved = await store.call("save", { ref: recorder.sessionId, name });
    s.io.err(`saved session ${saved.id} as "${name}"\n`);
  },
};

/** `/load ID|NAME`. */
export const loadCommand: ReplCommand = {
  name: "load",
  summary: "switch to a stored session (id, unique prefix or saved name)",
  usage: "/load ID|NAME",
  group: "session",
  complete: (s, words) => words.length === 0 ? sessionRefs(s) : [],
  run: async (s, [ref]) => {
    if (!ref) return void s.io.err("usage: /load ID|NAME\n");
    const next = await openSessionRecorder(s.ctx, s.config, {
      backend: s.backend,
      model: s.model,
    }, { ref });
    await s.recorder?.close();
    s.recorder = next;
    s.systemPrompt = next.systemPrompt ?? s.ctx.args.options.system;
    s.history.length = 0;
    s.history.push(...await next.history());
    s.io.err(`loaded session ${next.sessionId} (${s.history.length} recent messages)\n`);
  },
};

/** `/clear`. */
export const clearCommand: ReplCommand = {
  name: "clear",
  summary: "forget this session's messages (the session, its cost and totals stay)",
  group: "session",
  run: async (s) => {
    s.history.length = 0;
    if (s.recorder) {
      await (await s.runtime.store(s.config)).call("clear", { ref: s.recorder.sessionId });
    }
    s.io.err("cleared\n");
  },
};

/** `/history [N]`. */
export const historyCommand: ReplCommand = {
  name: "history",
  summary: "show earlier messages, a page at a time",
  usage: "/history [N]  (again: the page before)",
  group: "session",
  run: async (s, [count]) => {
    const { io } = s;
    if (!s.recorder) return void io.err("nothing stored yet\n");
    const store = await s.runtime.store(s.config);
    const limit = Math.max(1, Math.min(200, Number(count ?? 20) || 20));
    const page = await store.call("history", {
      sessionId: s.recorder.sessionId,
      before: s.historyCursor ?? undefined,
      limit,
    });
    for (const m of page.messages) {
      const text = typeof m.content === "string"
        ? m.content
        : m.content.map((p) =>
          p.type === "text" ? p.text : p.type === "tool-call" ? `[call ${p.name}]` : "[tool result]"
        ).join(" ");
      io.out(
        `${io.color.dim(`#${m.seq}`)} ${io.color.bold(m.role)}: ${sanitizeText(text)}${
          io.color.yellow(interruptionMark(m))
        }\n`,
      );
    }
    s.historyCursor = page.nextBefore;
    if (s.historyCursor === null) io.err(io.errColor.dim("(start of session)\n"));
  },
};

/** `/export [markdown|json] [FILE]`. */
export const exportCommand: ReplCommand = {
  name: "export",
  summary: "write this session as markdown or JSON",
  usage: "/export [markdown|json] [FILE]",
  group: "session",
  complete: (s, words, partial) =>
    words.length === 0 ? ["markdown", "json"] : completePath(partial, s.ctx.cwd),
  run: async (s, [format = "markdown", file], signal) => {
    const { io } = s;
    if (!s.recorder) return void io.err("nothing stored yet\n");
    if (format !== "markdown" && format !== "json") {
      return void io.err("usage: /export [markdown|json] [FILE]\n");
    }
    const store = await s.runtime.store(s.config);
    const method = format === "json" ? "exportJson" : "exportMarkdown";
    let text = "";
    for await (const piece of store.stream(method, { ref: s.recorder.sessionId }, { signal })) {
      text += piece;
    }
    if (file) {
      await Deno.writeTextFile(file, text);
      io.err(`exported to ${file}\n`);
    } else io.out(text);
  },
};

/** `/sessions`. */
export const sessionsCommand: ReplCommand = {
  name: "sessions",
  summary: "list stored sessions",
  group: "session",
  run: async (s) => {
    const store = await s.runtime.store(s.config);
    const { sessions } = await store.call("list", { limit: 20 });
    for (const x of sessions) {
      s.io.out(`${x.id}  ${String(x.messageCount).padStart(4)} msgs  ${sanitizeLine(x.title)}\n`);
    }
  },
};
