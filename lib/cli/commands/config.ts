/**
 * `mcpchat config path|show|validate`.
 *
 * @module
 */

import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { configServiceFailure } from "../runtime.ts";

/**
 * Runs a `config` subcommand.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { configCommand } from "./config.ts";
 * // `mcpchat --config FILE config validate`, for a file with a typo in it.
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.toml`, '[mcp]\nstartup_mode = "eagre"\n');
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${dir}/config.toml`, "config", "validate"]),
 *   io,
 *   env: { HOME: dir, XDG_CONFIG_HOME: `${dir}/config`, XDG_DATA_HOME: `${dir}/data` },
 *   cwd: dir,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * assert.equal(await configCommand(ctx, ["validate"]), 2);
 * assert.match(io.stderr(), /config.toml:2:\d+/); // names the file, line and column
 * await ctx.shutdown();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function configCommand(ctx: CommandContext, words: string[]): Promise<number> {
  const [sub] = words;
  const runtime = await ctx.runtime();
  const { json } = ctx.args.options;
  switch (sub) {
    case "path": {
      const { path, explicit } = await runtime.configRef.call("path", undefined);
      const exists = await Deno.stat(path).then(() => true, () => false);
      if (json) ctx.io.out(JSON.stringify({ path, explicit, exists }) + "\n");
      else {
        ctx.io.out(`${path}\n`);
        if (!exists) ctx.io.err(ctx.io.errColor.dim("(no file there yet: defaults apply)\n"));
      }
      return ExitCode.Ok;
    }
    case "show": {
      if (json) {
        const config = await ctx.config();
        const { redactSecrets } = await import("../../config/redact.ts");
        ctx.io.out(JSON.stringify(redactSecrets(config), null, 2) + "\n");
      } else {
        await ctx.config(); // reports a bad file with exit code 2
        ctx.io.out(await runtime.configRef.call("show", {}));
      }
      return ExitCode.Ok;
    }
    case "validate": {
      // main.ts made FILE the --config file, so the config worker may read it.
      const target = ctx.configPath ?? (await runtime.configRef.call("path", undefined)).path;
      const report = await runtime.configRef.call("validate", { path: target })
        .catch((error) => Promise.reject(configServiceFailure(error, target)));
      if (json) ctx.io.out(JSON.stringify({ file: target, ...report }) + "\n");
      for (const warning of report.warnings) {
        ctx.io.err(ctx.io.errColor.yellow(`warning: ${warning}\n`));
      }
      if (!report.ok) {
        if (!json) {
          for (const e of report.errors) {
            ctx.io.err(`${ctx.io.errColor.red("error")}: ${e.message}\n`);
          }
        }
        return ExitCode.Usage;
      }
      if (!json) ctx.io.out(`${target}: ok\n`);
      return ExitCode.Ok;
    }
    default:
      throw new CommandError(
        sub
          ? `unknown config command "${sub}" (path, show, validate)`
          : "config needs a command: path, show or validate",
        ExitCode.Usage,
      );
  }
}
