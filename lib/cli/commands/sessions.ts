/**
 * `mcpchat sessions list|show|export|delete` and `-l/--list-sessions`.
 *
 * @module
 */

import { dirname } from "node:path";
import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { storeFailure } from "../sessions.ts";
import { sanitizeLine, sanitizeText } from "../../ui/sanitize.ts";
import type { SessionRecord } from "../../store/types.ts";

/**
 * Runs a `sessions` subcommand.
 *
 * @example
 * ```ts ignore
 * await sessionsCommand(ctx, ["export", "k3v9", ]);
 * ```
 */
export async function sessionsCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [sub = "list", ref] = words;
  const config = await ctx.config();
  const store = await (await ctx.runtime()).store(config);
  const { json } = ctx.args.options;
  const c = ctx.io.color;
  try {
    switch (sub) {
      case "list": {
        const limit = Number(ctx.args.flags.limit ?? 50);
        if (!Number.isInteger(limit) || limit < 1) {
          throw new CommandError(`--limit must be a whole number ≥ 1`, ExitCode.Usage);
        }
        const sessions: SessionRecord[] = [];
        let cursor: string | null = null;
        do {
          const page: { sessions: SessionRecord[]; cursor: string | null } = await store.call(
            "list",
            { limit: Math.min(1000, limit - sessions.length), cursor },
          );
          sessions.push(...page.sessions);
          cursor = page.cursor;
        } while (cursor && sessions.length < limit);
        if (json) ctx.io.out(JSON.stringify({ sessions }, null, 2) + "\n");
        else if (sessions.length === 0) ctx.io.err("no sessions yet\n");
        else {
          for (const s of sessions) {
            const when = new Date(s.lastActive).toISOString().replace("T", " ").slice(0, 16);
            const cost = s.cost ? ` $${s.cost.toFixed(4)}` : "";
            ctx.io.out(
              `${c.cyan(s.id)}  ${when}  ${String(s.messageCount).padStart(5)} msgs${cost}  ${
                c.dim(sanitizeLine(s.model ?? s.backend ?? ""))
              }  ${s.name ? c.bold(s.name) + " " : ""}${sanitizeLine(s.title)}\n`,
            );
          }
        }
        return ExitCode.Ok;
      }
      case "show": {
        if (!ref) throw new CommandError("missing ID: mcpchat sessions show ID", ExitCode.Usage);
        const session = await store.call("get", { ref });
        if (json) {
          const history = await store.call("history", { sessionId: session.id, limit: 50 });
          ctx.io.out(JSON.stringify({ session, recent: history.messages }, null, 2) + "\n");
          return ExitCode.Ok;
        }
        // A transcript for reading: what models and servers wrote drives no terminal.
        for await (const piece of store.stream("exportMarkdown", { ref: session.id })) {
          ctx.io.out(sanitizeText(piece));
        }
        return ExitCode.Ok;
      }
      case "export": {
        if (!ref) {
          throw new CommandError(
            "missing ID: mcpchat sessions export ID --format markdown|json",
            ExitCode.Usage,
          );
        }
        const format = ctx.args.flags.format ?? "markdown";
        if (format !== "markdown" && format !== "json") {
          throw new CommandError(
            `--format must be markdown or json, not "${format}"`,
            ExitCode.Usage,
          );
        }
        const method = format === "json" ? "exportJson" : "exportMarkdown";
        const output = typeof ctx.args.flags.output === "string"
          ? ctx.args.flags.output
          : undefined;
        if (output) {
          await Deno.mkdir(dirname(output), { recursive: true });
          const file = await Deno.open(output, { write: true, create: true, truncate: true });
          const writer = file.writable.getWriter();
          const encoder = new TextEncoder();
          try {
            for await (const piece of store.stream(method, { ref }, { signal: ctx.signal })) {
              await writer.write(encoder.encode(piece));
            }
          } finally {
            await writer.close();
          }
          ctx.io.err(`exported ${ref} to ${output}\n`);
        } else {
          // Byte-exact into a pipe or file; sanitised only when a terminal would interpret it.
          const clean = Deno.stdout.isTerminal() ? sanitizeText : (text: string) => text;
          for await (const piece of store.stream(method, { ref }, { signal: ctx.signal })) {
            ctx.io.out(clean(piece));
          }
        }
        return ExitCode.Ok;
      }
      case "delete": {
        if (!ref) throw new CommandError("missing ID: mcpchat sessions delete ID", ExitCode.Usage);
        const result = await store.call("delete", { ref });
        if (json) ctx.io.out(JSON.stringify(result) + "\n");
        else ctx.io.err(`deleted session ${result.id} (${result.messages} messages)\n`);
        return ExitCode.Ok;
      }
      case "import": {
        if (!ref) {
          throw new CommandError("missing FILE: mcpchat sessions import FILE", ExitCode.Usage);
        }
        let data: unknown;
        try {
          data = JSON.parse(await Deno.readTextFile(ref));
        } catch (error) {
          throw new CommandError(`${ref}: ${(error as Error).message}`, ExitCode.Usage);
        }
        const session = await store.call("import", { data });
        if (json) ctx.io.out(JSON.stringify({ session }) + "\n");
        else ctx.io.err(`imported ${session.messageCount} messages as session ${session.id}\n`);
        return ExitCode.Ok;
      }
      default:
        throw new CommandError(
          `unknown sessions command "${sub}" (list, show, export, import, delete)`,
          ExitCode.Usage,
        );
    }
  } catch (error) {
    storeFailure(error);
  }
}
