/**
 * Whether mcpchat exports telemetry, decided from the environment and the
 * `[telemetry] enabled` config key, without loading any OpenTelemetry code.
 *
 * Deno starts its exporter when the process starts, from the environment
 * alone: `OTEL_SDK_DISABLED=true` turns every signal off, otherwise
 * `OTEL_DENO=true` turns it on (both compared case-insensitively, and only
 * `true`/`false` count, as the OpenTelemetry specification says). A config
 * key is read too late for that, so `[telemetry] enabled = true` makes
 * mcpchat run itself again with `OTEL_DENO=true` ({@linkcode relaunchArgv}).
 *
 * Precedence, strongest first:
 * 1. `OTEL_SDK_DISABLED=true`: off, whatever else says on.
 * 2. `OTEL_DENO=true|false`: the environment of this run wins over the file.
 * 3. `[telemetry] enabled` (or `MCPCHAT_TELEMETRY_ENABLED`, which overrides it).
 *
 * @module
 */

/** The variables this module reads. */
export interface TelemetryEnv {
  OTEL_DENO?: string;
  OTEL_SDK_DISABLED?: string;
  MCPCHAT_TELEMETRY_ENABLED?: string;
}

/**
 * An OpenTelemetry boolean variable the way Deno reads it: `true`/`false`
 * in any case; anything else (or unset) is no answer.
 *
 * @example
 * ```ts
 * import { otelBoolean } from "./switch.ts";
 * console.log(otelBoolean("TRUE"), otelBoolean("false"), otelBoolean("1")); // true false undefined
 * ```
 */
export function otelBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  return undefined;
}

/**
 * Whether Deno's exporter runs in a process started with `env` (Deno's own rule).
 *
 * @example
 * ```ts
 * import { exporterRunning } from "./switch.ts";
 * console.log(exporterRunning({ OTEL_DENO: "true" })); // true
 * console.log(exporterRunning({ OTEL_DENO: "true", OTEL_SDK_DISABLED: "true" })); // false
 * console.log(exporterRunning({ OTEL_DENO: "1" })); // false: Deno accepts only true/false
 * ```
 */
export function exporterRunning(env: TelemetryEnv): boolean {
  if (otelBoolean(env.OTEL_SDK_DISABLED) === true) return false;
  return otelBoolean(env.OTEL_DENO) === true;
}

/**
 * What to do about telemetry in a process started with `env`, whose config
 * says `configEnabled`: `"on"` (Deno exports already), `"off"`, or
 * `"relaunch"` (the config asks for it but Deno's exporter is not running:
 * run again with `OTEL_DENO=true`).
 *
 * @example
 * ```ts
 * import { telemetryChoice } from "./switch.ts";
 * console.log(telemetryChoice({}, true)); // relaunch
 * console.log(telemetryChoice({ OTEL_DENO: "false" }, true)); // off: the environment wins
 * console.log(telemetryChoice({ OTEL_SDK_DISABLED: "true", OTEL_DENO: "true" }, true)); // off
 * console.log(telemetryChoice({ OTEL_DENO: "true" }, false)); // on
 * ```
 */
export function telemetryChoice(
  env: TelemetryEnv,
  configEnabled: boolean,
): "on" | "off" | "relaunch" {
  if (otelBoolean(env.OTEL_SDK_DISABLED) === true) return "off";
  const deno = otelBoolean(env.OTEL_DENO);
  if (deno !== undefined) return deno ? "on" : "off";
  return configEnabled ? "relaunch" : "off";
}

/**
 * A start-up hint read before the config is: whether the config may switch
 * telemetry on (the file mentions it, or `MCPCHAT_TELEMETRY_ENABLED` is
 * set) while the environment leaves it to the config. When it is false no
 * one waits for the config on telemetry's behalf.
 *
 * @example
 * ```ts
 * import { configMayEnableTelemetry } from "./switch.ts";
 * console.log(configMayEnableTelemetry({}, "[telemetry]\nenabled = true\n")); // true
 * console.log(configMayEnableTelemetry({}, "[ui]\ntheme = 'dark'\n")); // false
 * console.log(configMayEnableTelemetry({ OTEL_DENO: "false" }, "[telemetry]\nenabled = true\n")); // false
 * ```
 */
export function configMayEnableTelemetry(env: TelemetryEnv, configText: string): boolean {
  if (telemetryChoice(env, true) !== "relaunch") return false;
  return env.MCPCHAT_TELEMETRY_ENABLED !== undefined || /telemetry/i.test(configText);
}

/** What {@linkcode relaunchArgv} needs to know about the running process. */
export interface ProcessFacts {
  /** `Deno.execPath()`. */
  execPath: string;
  /** `Deno.mainModule`. */
  mainModule: string;
  /** `Deno.build.standalone`: a `deno compile` binary. */
  standalone: boolean;
  /** Every permission is granted (`-A`): running again with `-A` grants nothing new. */
  allPermissions: boolean;
  /** The command line after the script (`Deno.args`). */
  args: readonly string[];
}

/**
 * The command that runs this mcpchat again, the same way, or `undefined`
 * when that cannot be done without granting more than this run has.
 *
 * @example
 * ```ts
 * import { relaunchArgv } from "./switch.ts";
 * const facts = { execPath: "/bin/deno", mainModule: "file:///src/main.ts", standalone: false, allPermissions: true, args: ["-p", "hi"] };
 * console.log(relaunchArgv(facts));
 * // [ "/bin/deno", "run", "--no-prompt", "-A", "--config", "/src/deno.json", "/src/main.ts", "-p", "hi" ]
 * console.log(relaunchArgv({ ...facts, standalone: true, execPath: "/usr/bin/mcpchat" })); // [ "/usr/bin/mcpchat", "-p", "hi" ]
 * console.log(relaunchArgv({ ...facts, allPermissions: false })); // undefined
 * ```
 */
export function relaunchArgv(facts: ProcessFacts): string[] | undefined {
  if (facts.standalone) return [facts.execPath, ...facts.args];
  if (!facts.allPermissions || !facts.mainModule.startsWith("file:")) return undefined;
  const main = new URL(facts.mainModule);
  return [
    facts.execPath,
    "run",
    "--no-prompt",
    "-A",
    "--config",
    new URL("deno.json", main).pathname,
    main.pathname,
    ...facts.args,
  ];
}
