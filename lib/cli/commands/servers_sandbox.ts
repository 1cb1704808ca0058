/**
 * `mcpchat servers sandbox NAME [--json]`: the effective sandbox policy of a
 * stdio server, exactly as a spawn would apply it, with where each path
 * comes from and the config key that changes it.
 *
 * @module
 */

import { type CommandContext, CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { SandboxHost } from "../../mcp/sandbox/host.ts";
import { sandboxHostOptions } from "../sandbox_setup.ts";
import { DEFAULT_INHERITED_ENV } from "../../mcp/config.ts";
import { PASSTHROUGH_ENV } from "../../mcp/transport_spec.ts";
import { sanitizeLine } from "../../ui/sanitize.ts";

/**
 * Prints a server's policy; exit 2 for an unknown or remote server.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { serversSandboxCommand } from "./servers_sandbox.ts";
 * const home = await Deno.makeTempDir();
 * await Deno.writeTextFile(
 *   `${home}/config.toml`,
 *   `[session]\ndata_dir = "${home}/data"\n[mcp.servers.fs]\ncommand = "node"\nargs = ["fs.js"]\n`,
 * );
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "servers", "sandbox", "fs", "--json"]),
 *   io,
 *   env: { HOME: home, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * assert.equal(await serversSandboxCommand(ctx, "fs"), 0);
 * const policy = JSON.parse(io.stdout());
 * assert.equal(policy.server, "fs");
 * await assert.rejects(serversSandboxCommand(ctx, "nope"), /no server named "nope" \(configured: fs\)/);
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function serversSandboxCommand(
  ctx: CommandContext,
  name: string | undefined,
): Promise<number> {
  const config = await ctx.config();
  if (!name) {
    throw new CommandError("missing NAME: mcpchat servers sandbox NAME", ExitCode.Usage);
  }
  const server = config.mcp.servers[name];
  if (!server) {
    const known = Object.keys(config.mcp.servers);
    throw new CommandError(
      `no server named "${name}"` + (known.length ? ` (configured: ${known.join(", ")})` : ""),
      ExitCode.Usage,
    );
  }
  if (server.type !== "stdio") {
    throw new CommandError(
      `${name} is a remote (${server.type}) server: it runs elsewhere, so no local sandbox ` +
        `applies; mcpchat reaches only its host`,
      ExitCode.Usage,
    );
  }
  const host = new SandboxHost(sandboxHostOptions(config, { env: ctx.env, cwd: ctx.cwd }));
  const policy = host.policy(name, server);
  const availability = await host.availability();
  const running = !policy.enabled
    ? "off (sandbox = false): the server has your full rights"
    : availability.available
    ? `bubblewrap ${availability.features?.version}, ${policy.mode} policy`
    : policy.required
    ? `REQUIRED but not available (${availability.reason}): the server will not start`
    : `not available (${availability.reason}): the server runs unsandboxed`;
  if (ctx.args.options.json) {
    ctx.io.out(
      JSON.stringify(
        {
          ...policy,
          sandbox: running,
          available: availability.available,
          ...(availability.install ? { install: availability.install } : {}),
        },
        null,
        2,
      ) + "\n",
    );
    return ExitCode.Ok;
  }
  const c = ctx.io.color;
  const out = (line: string) => ctx.io.out(line + "\n");
  const key = `mcp.servers.${name}.sandbox`;
  out(`${c.bold(name)}  ${sanitizeLine([server.command, ...server.args].join(" "))}`);
  out(`sandbox:  ${running}`);
  if (!availability.available && availability.install) {
    out(c.dim(`  to fix: ${availability.install}`));
  }
  if (!policy.enabled) return ExitCode.Ok;
  const width = Math.max(20, ...[...policy.denyRead, ...policy.write].map((p) => p.path.length));
  out(`read:     everything except`);
  for (const d of policy.denyRead) out(`  ${c.red("✗")} ${d.path.padEnd(width)}  ${c.dim(d.why)}`);
  for (const a of policy.allowRead) {
    out(`  ${c.green("✓")} ${a.path.padEnd(width)}  ${c.dim(`${a.why} (re-opened)`)}`);
  }
  out(`write:    only`);
  for (const w of policy.write) out(`  ${c.green("✓")} ${w.path.padEnd(width)}  ${c.dim(w.why)}`);
  out(
    `network:  ${
      policy.network.open
        ? "open"
        : policy.network.domains.length
        ? `closed except ${policy.network.domains.join(", ")} (through a filtering HTTP proxy)`
        : "closed"
    }`,
  );
  out(
    `env:      ${DEFAULT_INHERITED_ENV.join(" ")}, the CA/proxy variables (${
      PASSTHROUGH_ENV.slice(0, 3).join(", ")
    }…), its config env` + (policy.env.length ? `, and ${policy.env.join(" ")}` : ""),
  );
  if (policy.presets.length) {
    out(
      `presets:  ${
        policy.presets.map((p) => p.detected ? `${p.name} (from the command)` : p.name).join(", ")
      }`,
    );
  }
  out(`required: ${policy.required ? "yes (no sandbox, no start)" : "no"}`);
  out(
    c.dim(
      `change it under [${key}]: read, deny_read, write, network, env, presets, required; ` +
        `or ${key} = "strict" | false (docs/sandbox.md)`,
    ),
  );
  return ExitCode.Ok;
}
