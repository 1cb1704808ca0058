/**
 * `mcpchat sessions list|show|export|delete` and `-l/--list-sessions`.
 *
 * @module
 */

import { dirnamePath as dirname } from "../../util/path.ts";
import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { storeFailure } from "../sessions.ts";
import { RemoteError } from "../../rpc/errors.ts";
import { sanitizeLine, sanitizeText } from "../../ui/sanitize.ts";
import type { SessionRecord } from "../../store/types.ts";
import { checkImportNesting, MAX_IMPORT_BYTES } from "../../store/export.ts";
import { StoreValidationError } from "../../store/errors.ts";
import { ConfigFileRefused, readConfigText } from "../../config/read_file.ts";

/**
 * Runs a `sessions` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { sessionsCommand } from "./sessions.ts";
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "sessions", "list", "--json"]),
 *   io,
 *   env: { HOME: home, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * assert.equal(await sessionsCommand(ctx, ["list"]), 0);
 * assert.deepEqual(JSON.parse(io.stdout()), { sessions: [] }); // a new data directory
 * // An id that is not there: exit code 1 and a message that says so.
 * await assert.rejects(sessionsCommand(ctx, ["export", "k3v9"]), /k3v9/);
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
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
          await Deno.mkdir(dirname(output), { recursive: true, mode: 0o700 });
          // A transcript is as private as the store it came from (0700/0600).
          const file = await Deno.open(output, {
            write: true,
            create: true,
            truncate: true,
            mode: 0o600,
          });
          // `mode` applies to a new file only: an existing one is narrowed too.
          if (Deno.build.os !== "windows") await Deno.chmod(output, 0o600);
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
        const data = await readImportFile(ref);
        const session = await store.call("import", { data }).catch((error) => {
          // The store's check of the export's shape: the file is wrong, not the store.
          if (error instanceof RemoteError && error.code === "STORE_INVALID") {
            throw new CommandError(
              `${ref}: ${error.message.replace(/^import: /, "")}`,
              ExitCode.Usage,
            );
          }
          throw error;
        });
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

/**
 * Reads and parses a session export for `sessions import`: a regular file
 * under {@linkcode MAX_IMPORT_BYTES}, nested at most
 * {@linkcode MAX_IMPORT_DEPTH} levels (checked on the text, before parsing),
 * so what is sent to the store worker can always be copied there.
 */
async function readImportFile(file: string): Promise<unknown> {
  try {
    const text = await readConfigText(file, {
      maxBytes: MAX_IMPORT_BYTES,
      what: "session export",
    });
    checkImportNesting(text);
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof ConfigFileRefused
      ? `${error.reason} (expected ${error.expected})`
      : error instanceof StoreValidationError
      ? error.message.replace(/^import: /, "")
      : error instanceof Deno.errors.NotFound
      ? "no such file (expected a JSON export: mcpchat sessions export ID --format json -o FILE)"
      : error instanceof SyntaxError
      ? `not valid JSON (${error.message}); export a session with ` +
        "`mcpchat sessions export ID --format json`"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new CommandError(`${file}: ${message}`, ExitCode.Usage);
  }
}
