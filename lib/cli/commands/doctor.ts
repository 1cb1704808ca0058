/**
 * `mcpchat doctor`: checks the config, provider keys, every MCP server's
 * connection, the session store and the runtime, and prints what to fix.
 *
 * @module
 */

import { sanitizeLine } from "../../ui/sanitize.ts";
import type { CommandContext } from "../context.ts";
import { CommandError } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import type { Config } from "../../config/schema.ts";
import { doctorHealth } from "./health.ts";
import { detectSandbox, systemDetectDeps } from "../../mcp/sandbox/detect.ts";

/** The verdict of one check. */
export interface DoctorCheck {
  area: "config" | "llm" | "mcp" | "store" | "runtime";
  name: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  /** What to do about a warning or failure. */
  fix?: string;
}

/**
 * Runs every check; exits 1 when one fails (warnings alone exit 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "../args.ts";
 * import { CommandContext } from "../context.ts";
 * import { StartupProfiler } from "../profiler.ts";
 * import { memoryOutput } from "../../ui/output.ts";
 * import { doctorCommand } from "./doctor.ts";
 * const home = await Deno.makeTempDir();
 * // Defaults, with the data directory in the temp home.
 * await Deno.writeTextFile(`${home}/config.toml`, `[session]\ndata_dir = "${home}/data"\n`);
 * const io = memoryOutput();
 * const ctx = new CommandContext({
 *   args: parseCommandLine(["--config", `${home}/config.toml`, "doctor", "--json"]),
 *   io,
 *   env: { HOME: home, XDG_DATA_HOME: `${home}/data` },
 *   cwd: home,
 *   profiler: new StartupProfiler(false),
 *   signal: new AbortController().signal,
 * });
 * const code = await doctorCommand(ctx);
 * const { ok, checks } = JSON.parse(io.stdout());
 * assert.equal(code, ok ? 0 : 1);
 * const names = checks.map((c: { name: string }) => c.name);
 * assert.ok(names.includes("config file") && names.includes("health"));
 * await ctx.shutdown();
 * await Deno.remove(home, { recursive: true });
 * ```
 */
export async function doctorCommand(ctx: CommandContext): Promise<number> {
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => {
    checks.push(check);
    if (!ctx.args.options.json) printCheck(ctx, check);
  };
  add({
    area: "runtime",
    name: "deno",
    status: "ok",
    detail: `Deno ${Deno.version.deno} on ${Deno.build.os}/${Deno.build.arch}`,
  });
  // The main thread hands each worker a subset of its own permissions, so it needs them all.
  const missing = (["read", "write", "net", "env", "run", "sys", "ffi"] as const)
    .filter((name) => Deno.permissions.querySync({ name }).state !== "granted");
  add({
    area: "runtime",
    name: "permissions",
    status: missing.length ? "fail" : "ok",
    detail: missing.length
      ? `the main process lacks ${
        missing.join(", ")
      }; workers cannot be granted what it does not have`
      : "all granted to the main process; each service worker gets only its own (--no-prompt)",
    fix: missing.length
      ? "start mcpchat with -A (deno task chat does), or use the compiled binary"
      : undefined,
  });
  let config: Config | undefined;
  try {
    config = await ctx.config();
    const { path } = await (await ctx.runtime()).configRef.call("path", undefined);
    const exists = await Deno.stat(path).then(() => true, () => false);
    add({
      area: "config",
      name: "config file",
      status: "ok",
      detail: exists ? `${path} is valid` : `no file at ${path}: defaults apply`,
    });
  } catch (error) {
    add(
      failure(
        "config",
        "config file",
        error,
        "correct the file at the line and column shown (mcpchat config validate)",
      ),
    );
  }
  if (config) {
    await checkStore(ctx, config, add);
    await checkBackends(ctx, config, add);
    await checkSandbox(ctx, config, add);
    await checkServers(ctx, config, add);
    // Health last: it sees every service the checks above started.
    const health = await doctorHealth(await ctx.runtime(), config).catch((error) => ({
      status: "warn" as const,
      detail: `the health service did not answer: ${
        error instanceof Error ? error.message : error
      }`,
    }));
    add({
      area: "runtime",
      name: "health",
      status: health.status,
      detail: health.detail,
      fix: health.status === "warn" ? "see mcpchat health, or /health in the chat" : undefined,
    });
  }
  const failed = checks.filter((c) => c.status === "fail").length;
  const warned = checks.filter((c) => c.status === "warn").length;
  if (ctx.args.options.json) {
    ctx.io.out(JSON.stringify({ ok: failed === 0, checks }, null, 2) + "\n");
  } else {
    const c = ctx.io.color;
    ctx.io.out(
      failed
        ? c.red(`\n${failed} problem${failed > 1 ? "s" : ""} to fix`) +
          (warned ? `, ${warned} warning${warned > 1 ? "s" : ""}\n` : "\n")
        : c.green(`\nall good${warned ? ` (${warned} warning${warned > 1 ? "s" : ""})` : ""}\n`),
    );
  }
  return failed ? ExitCode.Runtime : ExitCode.Ok;
}

/** A failed check that says what went wrong: the error's message. */
function failure(
  area: DoctorCheck["area"],
  name: string,
  error: unknown,
  fix?: string,
): DoctorCheck {
  const detail = error instanceof Error ? error.message : String(error);
  return { area, name, status: "fail", detail, fix };
}

async function checkStore(
  ctx: CommandContext,
  config: Config,
  add: (check: DoctorCheck) => void,
): Promise<void> {
  try {
    const store = await (await ctx.runtime()).store(config);
    const info = await store.call("info", undefined);
    add({
      area: "store",
      name: "sessions",
      status: info.warnings.length ? "warn" : "ok",
      detail: `${info.kind} store at ${info.location} (schema v${info.schemaVersion})` +
        (info.warnings.length ? `: ${info.warnings.join("; ")}` : ""),
      fix: info.warnings.length ? "see the warning; e.g. chmod 700 the data directory" : undefined,
    });
  } catch (error) {
    add(
      failure(
        "store",
        "sessions",
        error,
        "move the file aside or set MCPCHAT_DATA_DIR to another directory",
      ),
    );
  }
}

async function checkBackends(
  ctx: CommandContext,
  config: Config,
  add: (check: DoctorCheck) => void,
): Promise<void> {
  try {
    const llm = await (await ctx.runtime()).llm(config);
    const backends = await llm.call("status", undefined);
    const chosen = ctx.args.options.backend ?? config.llm.default;
    if (!backends.some((b) => b.name === chosen)) {
      throw new CommandError(`backend "${chosen}" is not defined`, ExitCode.Usage);
    }
    const unconfigured: string[] = [];
    for (const b of backends) {
      const isChosen = b.name === chosen;
      if (b.configured) {
        add({
          area: "llm",
          name: b.name,
          status: "ok",
          detail: `${b.kind}, model ${b.model}${isChosen ? " (default)" : ""}`,
        });
      } else if (isChosen) {
        add({
          area: "llm",
          name: b.name,
          status: "fail",
          detail: "the default backend has no credentials",
          fix: `${
            b.missing ?? "configure it"
          }, or choose a configured backend with -b or llm.default`,
        });
      } else {
        unconfigured.push(b.missing ? `${b.name} (${b.missing})` : b.name);
      }
    }
    if (unconfigured.length) {
      // Not a problem: just what else could be switched on.
      add({
        area: "llm",
        name: "other backends",
        status: "ok",
        detail: `not configured: ${unconfigured.join(", ")}`,
      });
    }
  } catch (error) {
    add(failure("llm", "llm service", error));
  }
}

/** Whether stdio servers can run in the OS sandbox, and which ones opt out. */
async function checkSandbox(
  ctx: CommandContext,
  config: Config,
  add: (check: DoctorCheck) => void,
): Promise<void> {
  const a = await detectSandbox(systemDetectDeps(ctx.env.PATH ?? ""));
  const stdio = Object.entries(config.mcp.servers).filter(([, s]) => s.type === "stdio");
  const settings = (s: (typeof stdio)[number][1]) => (s.type === "stdio" ? s.sandbox : undefined);
  const required = stdio.filter(([, s]) => {
    const x = settings(s);
    return x && x.required;
  });
  const domains = stdio.filter(([, s]) => {
    const x = settings(s);
    return x && x.network !== undefined && x.network.length > 0;
  });
  if (a.available) {
    add({
      area: "mcp",
      name: "sandbox",
      status: domains.length > 0 && !a.socat ? "warn" : "ok",
      detail: `bubblewrap ${a.features?.version}: stdio servers run sandboxed` +
        (a.socat ? "" : "; socat is missing, so strict servers get no network at all") +
        " (mcpchat servers sandbox NAME shows a policy)",
      fix: domains.length > 0 && !a.socat ? a.install : undefined,
    });
  } else {
    add({
      area: "mcp",
      name: "sandbox",
      status: required.length > 0 ? "fail" : "warn",
      detail: `not available: ${a.reason}; stdio servers run unsandboxed` +
        (required.length > 0
          ? ` except ${required.map(([n]) => n).join(", ")}, which require it and will not start`
          : ""),
      fix: a.install,
    });
  }
  for (const [name, s] of stdio) {
    if (settings(s) !== false) continue;
    add({
      area: "mcp",
      name: `${name} sandbox`,
      status: "warn",
      detail: "runs without a sandbox (sandbox = false): it can read your keys and write anywhere",
      fix: `remove mcp.servers.${name}.sandbox = false, and allow what it needs instead`,
    });
  }
}

async function checkServers(
  ctx: CommandContext,
  config: Config,
  add: (check: DoctorCheck) => void,
): Promise<void> {
  const servers = Object.entries(config.mcp.servers);
  if (servers.length === 0) {
    add({
      area: "mcp",
      name: "servers",
      status: "warn",
      detail: "no MCP servers configured",
      fix: "mcpchat servers add NAME -- COMMAND [ARGS…]",
    });
    return;
  }
  for (const [name, server] of servers) {
    if (server.type !== "stdio") continue;
    // The server's own PATH (nvm/asdf setups set one in env) decides where its command is.
    const found = await which(server.command, server.env.PATH ?? ctx.env.PATH ?? "");
    if (!found) {
      add({
        area: "mcp",
        name,
        status: "fail",
        detail: `command not found: ${server.command}`,
        fix: `install it, or correct mcp.servers.${name}.command`,
      });
    }
  }
  const runtime = await ctx.runtime();
  const mcp = await runtime.mcp(config);
  await Promise.all(servers.map(async ([name, server]) => {
    if (!server.enabled) {
      add({ area: "mcp", name, status: "ok", detail: "disabled" });
      return;
    }
    const started = performance.now();
    try {
      const info = await mcp.call("connect", { name }, { signal: ctx.signal, timeoutMs: 60_000 });
      const ms = Math.round(performance.now() - started);
      // Listing the tools screens them: a server with tools set aside is degraded.
      const degraded = info.state.status === "ready"
        ? (await mcp.call("listTools", { server: name }, { signal: ctx.signal }).catch(() => ({
          errors: [],
        }))).errors.find((e) => e.code === "MCP_TOOLS_SET_ASIDE")
        : undefined;
      if (degraded) {
        add({
          area: "mcp",
          name,
          status: "warn",
          detail: `degraded: ${sanitizeLine(degraded.message)}`,
          fix:
            `the server's other tools work; tell its authors, or disable it (mcp.servers.${name}.enabled = false)`,
        });
        return;
      }
      add(
        info.state.status === "ready"
          ? {
            area: "mcp",
            name,
            status: "ok",
            detail: `${info.serverInfo?.name ?? "server"} ${
              info.serverInfo?.version ?? ""
            } ready in ${ms} ms`,
          }
          : { area: "mcp", name, status: "fail", detail: info.status },
      );
    } catch (error) {
      add(failure("mcp", name, error, `check mcp.servers.${name} (mcpchat servers test ${name})`));
    }
  }));
}

async function which(command: string, path: string): Promise<string | undefined> {
  if (command.includes("/")) {
    return await Deno.stat(command).then(() => command, () => undefined);
  }
  for (const dir of path.split(":").filter(Boolean)) {
    const candidate = `${dir}/${command}`;
    const ok = await Deno.stat(candidate).then((s) => s.isFile, () => false);
    if (ok) return candidate;
  }
  return undefined;
}

function printCheck(ctx: CommandContext, check: DoctorCheck): void {
  const c = ctx.io.color;
  const mark = check.status === "ok"
    ? c.green("✓")
    : check.status === "warn"
    ? c.yellow("!")
    : c.red("✗");
  // Details quote servers (their stderr, their errors): sanitised on the way to the terminal.
  ctx.io.out(
    `${mark} ${c.bold(`${check.area}: ${sanitizeLine(check.name)}`)}  ${
      sanitizeLine(check.detail)
    }\n`,
  );
  if (check.fix) ctx.io.out(`    ${c.dim(`fix: ${sanitizeLine(check.fix)}`)}\n`);
}
