/**
 * What every command gets: the parsed command line, output, environment,
 * and lazy access to the running services.
 *
 * @module
 */

import { isAbsolutePath as isAbsolute, resolvePath as resolve } from "../util/path.ts";
import type { Config } from "../config/schema.ts";
import type { Env } from "../config/paths.ts";
import type { SupervisorEvent } from "../supervisor/types.ts";
import { RemoteError } from "../rpc/errors.ts";
import type { Output } from "../ui/output.ts";
import type { ParsedArgs } from "./args.ts";
import { ExitCode } from "./exit_codes.ts";
import type { StartupProfiler } from "./profiler.ts";
import { Runtime } from "./runtime.ts";
import { OpenAnswers } from "../chat/checkpoint.ts";
import { alertLine } from "../health/render.ts";

/** A failure a command reports with an exit code (and no stack trace). */
export class CommandError extends Error {
  readonly code: string;
  constructor(message: string, readonly exitCode: number = ExitCode.Runtime, code = "COMMAND") {
    super(message);
    this.name = "CommandError";
    this.code = code;
  }
}

/**
 * The config service may read only the well-known key variables, so a
 * backend's custom `api_key_env` comes back "cannot be checked". This
 * process can read it: say configured when it is set, "set VAR" when not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConfigSchema } from "../config/schema.ts";
 * import { settleUncheckedKeys } from "./context.ts";
 * const config = ConfigSchema.parse({
 *   llm: {
 *     default: "corp",
 *     backends: { corp: { type: "anthropic", api_key_env: "CORP_KEY" } },
 *   },
 * });
 * // What the config service says of a variable it may not read:
 * config.llm.backends.corp.missing = "CORP_KEY cannot be checked by the config service";
 * settleUncheckedKeys(config, { CORP_KEY: "sk-corp" });
 * assert.equal(config.llm.backends.corp.configured, true);
 * assert.equal(config.llm.backends.corp.missing, undefined);
 * ```
 */
export function settleUncheckedKeys(config: Config, env: Env): void {
  for (const backend of Object.values(config.llm.backends)) {
    const variable = backend.api_key_env;
    if (!variable || !backend.missing?.startsWith(`${variable} cannot be checked`)) continue;
    if (env[variable]) {
      backend.configured = true;
      delete backend.missing;
    } else {
      backend.missing = `set ${variable}`;
    }
  }
}

/** Shared state of one mcpchat invocation. */
export class CommandContext {
  readonly args: ParsedArgs;
  readonly io: Output;
  readonly env: Env;
  readonly cwd: string;
  readonly profiler: StartupProfiler;
  /** Aborted by Ctrl-C in one-shot commands. */
  readonly signal: AbortSignal;
  /** Answers streaming now: SIGTERM/SIGHUP commit them as interrupted before exiting. */
  readonly answers: OpenAnswers = new OpenAnswers();
  #starting?: Promise<Runtime>;
  #runtime?: Promise<Runtime>;
  #config?: Promise<Config>;

  constructor(init: {
    args: ParsedArgs;
    io: Output;
    env: Env;
    cwd: string;
    profiler: StartupProfiler;
    signal: AbortSignal;
  }) {
    this.args = init.args;
    this.io = init.io;
    this.env = init.env;
    this.cwd = init.cwd;
    this.profiler = init.profiler;
    this.signal = init.signal;
  }

  /** `--config FILE` as an absolute path. */
  get configPath(): string | undefined {
    const path = this.args.options.config;
    if (!path) return undefined;
    return isAbsolute(path) ? path : resolve(this.cwd, path);
  }

  /**
   * The services as soon as the config worker is spawning, for commands that
   * start other services beside it (see `Runtime.create`).
   */
  runtimeStarting(): Promise<Runtime> {
    this.#starting ??= Runtime.create({
      env: this.env,
      cwd: this.cwd,
      configPath: this.configPath,
      profiler: this.profiler,
      onEvent: (event) => this.#reportSupervisorEvent(event),
      notify: (message) => this.io.err(message),
      onHealthAlert: (alert) => this.io.err(this.io.errColor.yellow(`\n${alertLine(alert)}\n`)),
      oneShot: this.args.options.print === undefined ? undefined : {
        // Not for a run that stops at once because its backend is not configured.
        startServers: (config) =>
          config.llm.backends[this.args.options.backend ?? config.llm.default]?.configured === true,
      },
    });
    return this.#starting;
  }

  /** The services, booted on first use (the config worker runs). */
  runtime(): Promise<Runtime> {
    this.#runtime ??= this.runtimeStarting().then(async (runtime) => {
      await runtime.configStarted;
      return runtime;
    });
    return this.#runtime;
  }

  /**
   * The validated configuration.
   * @throws {CommandError} with exit code 2 and the config error's file:line:column message
   */
  config(): Promise<Config> {
    this.#config ??= (async () => {
      const runtime = await this.runtime();
      try {
        const { config, warnings } = await runtime.loadConfig();
        for (const warning of warnings) {
          this.io.err(this.io.errColor.yellow(`warning: ${warning}\n`));
        }
        settleUncheckedKeys(config, this.env);
        return config;
      } catch (error) {
        if (error instanceof RemoteError && error.code.startsWith("CONFIG_")) {
          throw new CommandError(error.message, ExitCode.Usage, error.code);
        }
        throw error;
      }
    })();
    return this.#config;
  }

  /** Stops the services if they were started. */
  async shutdown(): Promise<void> {
    if (!this.#starting) return;
    const runtime = await this.#starting.catch(() => undefined);
    await runtime?.shutdown();
  }

  #reportSupervisorEvent(event: SupervisorEvent): void {
    const c = this.io.errColor;
    if (event.type === "crashed") {
      this.io.err(c.yellow(`! ${event.id} crashed: ${event.error}\n`));
    } else if (event.type === "restarted") {
      this.io.err(c.dim(`  ${event.id} restarted\n`));
    } else if (event.type === "gave-up") {
      this.io.err(c.red(`! ${event.error}\n`));
    }
  }
}
