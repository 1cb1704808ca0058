/**
 * The sandbox probe (is bubblewrap here, and can it make its namespaces?),
 * kept for a day: the probe is two process starts on the way to the first
 * server process of every run, and its answer changes only when the
 * machine does. The record, `$XDG_CACHE_HOME/mcpchat/sandbox-probe.json`
 * (0600), is keyed by what the answer depends on: the PATH (which
 * `bwrap` and `socat` are found), those programs' size and time, the
 * kernel release, the user, and the kernel settings that allow or forbid
 * unprivileged user namespaces. `mcpchat doctor` and `servers sandbox`
 * always probe afresh.
 *
 * @module
 */

import { cacheDir, type Env } from "../config/paths.ts";
import {
  type DetectDeps,
  detectSandbox,
  findOnPath,
  type SandboxAvailability,
  systemDetectDeps,
} from "../mcp/sandbox/detect.ts";
import { joinPath } from "../util/path.ts";
import { isRecord } from "../util/json.ts";
import { readCacheJson, sha256Hex, writePrivateJson } from "./cache_file.ts";

/** How long a probe's answer is trusted while its key holds. */
export const PROBE_TTL_MS = 24 * 3_600_000;

/** Bumped when the record's shape changes. */
const FORMAT = 1;

/** Kernel settings that decide whether unprivileged user namespaces may be made. */
const USERNS_SETTINGS = [
  "/proc/sys/kernel/unprivileged_userns_clone",
  "/proc/sys/user/max_user_namespaces",
  "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
];

/** The record's file. */
export function probeRecordPath(env: Env): string {
  return joinPath(cacheDir(env), "sandbox-probe.json");
}

/**
 * A digest of what the probe's answer depends on (see the module doc).
 *
 * @example
 * ```ts
 * import { probeKey } from "./sandbox_probe.ts";
 * import { systemDetectDeps } from "../mcp/sandbox/detect.ts";
 * const a = await probeKey(systemDetectDeps("/usr/bin:/bin"));
 * const b = await probeKey(systemDetectDeps("/bin"));
 * console.log(a === b); // false
 * ```
 */
export async function probeKey(deps: DetectDeps): Promise<string> {
  const programs = await Promise.all(["bwrap", "socat"].map(async (name) => {
    const found = findOnPath(deps, name);
    if (!found) return [name, null];
    const info = await Deno.stat(found);
    return [found, info.size, info.mtime?.getTime() ?? 0];
  }));
  const settings = await Promise.all(
    USERNS_SETTINGS.map((file) => Deno.readTextFile(file).catch(() => null)),
  );
  const release = (() => {
    try {
      return Deno.osRelease();
    } catch {
      return "unknown";
    }
  })();
  return await sha256Hex(
    JSON.stringify([FORMAT, deps.os, deps.path, deps.root, release, programs, settings]),
  );
}

/**
 * The sandbox's availability: the kept answer while its key holds and it
 * is under a day old, otherwise `detect`'s (then kept). A record that
 * cannot be read or written costs only the probe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeSandboxKept } from "./sandbox_probe.ts";
 * import { systemDetectDeps } from "../mcp/sandbox/detect.ts";
 * const dir = await Deno.makeTempDir();
 * const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache` };
 * let probes = 0;
 * const detect = () => (probes++, Promise.resolve({ available: false, reason: "test" }));
 * const deps = systemDetectDeps("/usr/bin:/bin");
 * assert.deepEqual(await probeSandboxKept(env, deps, detect), { available: false, reason: "test" });
 * assert.deepEqual(await probeSandboxKept(env, deps, detect), { available: false, reason: "test" });
 * assert.equal(probes, 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function probeSandboxKept(
  env: Env,
  deps: DetectDeps,
  detect: (deps: DetectDeps) => Promise<SandboxAvailability>,
  now: () => number = Date.now,
): Promise<SandboxAvailability> {
  let path: string;
  let key: string;
  try {
    path = probeRecordPath(env);
    key = await probeKey(deps);
  } catch {
    return await detect(deps); // no HOME, an unreadable program: probe every time
  }
  const kept = await readCacheJson(path);
  if (
    isRecord(kept) && kept.key === key && typeof kept.at === "number" &&
    now() - kept.at < PROBE_TTL_MS && kept.at <= now() && isAvailability(kept.result)
  ) {
    return kept.result;
  }
  const result = await detect(deps);
  await writePrivateJson(path, { key, at: now(), result }).catch(() => {});
  return result;
}

/**
 * Whether a parsed record holds an answer's shape. Only this module writes
 * the file, from a probe's answer; the key proves it belongs to this machine.
 */
function isAvailability(value: unknown): value is SandboxAvailability {
  return isRecord(value) && typeof value.available === "boolean" &&
    (value.available === false || (isRecord(value.features) && value.backend === "bubblewrap"));
}

/**
 * This machine's answer, as {@linkcode probeSandboxKept} gives it, for the
 * programs on `env.PATH`.
 */
export function probeThisMachine(env: Env): Promise<SandboxAvailability> {
  return probeSandboxKept(env, systemDetectDeps(env.PATH ?? ""), detectSandbox);
}
