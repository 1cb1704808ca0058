/**
 * Whether an OS sandbox can run here, and what to install when it cannot.
 * On Linux: `bwrap` on PATH that can make its namespaces (tried once), and
 * `socat` for strict servers that reach a few domains. macOS's Seatbelt is
 * not wired yet: reported as unavailable, so servers run unsandboxed with a
 * warning (or refuse, with `required = true`).
 *
 * @module
 */

import { joinPath as join } from "../../util/path.ts";
import type { BwrapFeatures } from "./bwrap.ts";

/** The outcome of {@linkcode detectSandbox}. */
export interface SandboxAvailability {
  /** Whether stdio servers can be sandboxed. */
  available: boolean;
  /** `"bubblewrap"` on Linux. */
  backend?: "bubblewrap";
  /** bubblewrap's version and features (when available). */
  features?: BwrapFeatures & { version: string };
  /** `socat` (needed for strict servers with `network` domains), when found. */
  socat?: string;
  /** Why not (when unavailable). */
  reason?: string;
  /** What to run to make it available (or to enable strict network filtering). */
  install?: string;
}

/** What detection may touch (injected for tests). */
export interface DetectDeps {
  /** `Deno.build.os`. */
  os: string;
  /** The user's PATH. */
  path: string;
  /** Whether a file exists and is executable. */
  isExecutable(path: string): boolean;
  /** Runs a program; resolves with its exit code and output. */
  run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Whether this process runs as root. */
  root: boolean;
}

/**
 * Installs the packages named (Debian/Ubuntu, Fedora, Arch), said once.
 *
 * @example
 * ```ts
 * import { installHint } from "./detect.ts";
 * installHint(["bubblewrap", "socat"]); // "sudo apt-get install -y bubblewrap socat (Debian/Ubuntu), sudo dnf install -y bubblewrap socat (Fedora), sudo pacman -S bubblewrap socat (Arch)"
 * ```
 */
export function installHint(packages: string[]): string {
  const p = packages.join(" ");
  return `sudo apt-get install -y ${p} (Debian/Ubuntu), sudo dnf install -y ${p} (Fedora), ` +
    `sudo pacman -S ${p} (Arch)`;
}

/**
 * The first executable `name` on the PATH detection sees, if any: the
 * program detection would use.
 *
 * @example
 * ```ts
 * import { findOnPath, systemDetectDeps } from "./detect.ts";
 * console.log(findOnPath(systemDetectDeps("/usr/bin:/bin"), "sh")?.endsWith("/sh")); // true
 * ```
 */
export function findOnPath(
  deps: Pick<DetectDeps, "path" | "isExecutable">,
  name: string,
): string | undefined {
  return deps.path.split(":").filter((d) => d !== "").map((d) => join(d, name)).find((p) =>
    deps.isExecutable(p)
  );
}

/**
 * Looks for bubblewrap and tries it once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectSandbox } from "./detect.ts";
 * // A Linux machine with bubblewrap 0.9.0 and no socat (the machine is injected;
 * // `systemDetectDeps()` is the real one).
 * const availability = await detectSandbox({
 *   os: "linux",
 *   path: "/usr/local/bin:/usr/bin",
 *   root: false,
 *   isExecutable: (path) => path === "/usr/bin/bwrap",
 *   run: (_command, args) =>
 *     Promise.resolve({ code: 0, stdout: args[0] === "--version" ? "bubblewrap 0.9.0\n" : "", stderr: "" }),
 * });
 * assert.equal(availability.available, true);
 * assert.equal(availability.features?.version, "0.9.0");
 * assert.equal(availability.features?.bwrap, "/usr/bin/bwrap");
 * assert.match(availability.install ?? "", /apt-get install -y socat/);
 * ```
 */
export async function detectSandbox(deps: DetectDeps): Promise<SandboxAvailability> {
  if (deps.os === "darwin") {
    return {
      available: false,
      reason: "the macOS (Seatbelt) sandbox is not supported by this version of mcpchat yet",
      install: "none yet; set sandbox = false on servers you trust to silence this warning",
    };
  }
  if (deps.os !== "linux") {
    return { available: false, reason: `no OS sandbox for ${deps.os}` };
  }
  const find = (name: string) => findOnPath(deps, name);
  const bwrap = find("bwrap");
  const socat = find("socat");
  if (!bwrap) {
    return {
      available: false,
      reason: "bubblewrap (bwrap) is not installed",
      install: installHint(socat ? ["bubblewrap"] : ["bubblewrap", "socat"]),
      socat,
    };
  }
  // Both at once: each is a process start, and detection is on the way to the first server.
  const versionRun = deps.run(bwrap, ["--version"]).catch(() => undefined);
  const probeRun = deps.run(bwrap, [
    "--unshare-user",
    "--unshare-pid",
    "--die-with-parent",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "true",
  ]).catch((e: Error) => ({ code: -1, stdout: "", stderr: e.message }));
  const [versionOut, probe] = await Promise.all([versionRun, probeRun]);
  const version = versionOut?.stdout.trim().replace(/^bubblewrap\s+/, "") ?? "unknown";
  if (probe.code !== 0) {
    return {
      available: false,
      reason: `bubblewrap cannot create its namespaces here: ${probe.stderr.trim().split("\n")[0]}`,
      install: "allow unprivileged user namespaces (e.g. Ubuntu 24.04: " +
        "sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0), " +
        "or run inside a container that permits them",
      socat,
    };
  }
  const [major = 0, minor = 0] = version.split(".").map((n) => Number.parseInt(n, 10) || 0);
  return {
    available: true,
    backend: "bubblewrap",
    features: {
      bwrap,
      version,
      disableUserns: major > 0 || minor >= 8,
      root: deps.root,
    },
    socat,
    ...(socat ? {} : { install: installHint(["socat"]) + " (for strict servers with domains)" }),
  };
}

/**
 * Detection against this machine (the host has the permissions; a worker does not).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { systemDetectDeps } from "./detect.ts";
 * const deps = systemDetectDeps("/bin:/usr/bin");
 * assert.equal(deps.os, Deno.build.os);
 * assert.equal(deps.isExecutable("/no/such/program"), false);
 * if (Deno.build.os !== "windows") {
 *   assert.deepEqual(await deps.run("sh", ["-c", "echo hi"]), { code: 0, stdout: "hi\n", stderr: "" });
 * }
 * ```
 */
export function systemDetectDeps(path = Deno.env.get("PATH") ?? ""): DetectDeps {
  return {
    os: Deno.build.os,
    path,
    root: safe(() => Deno.uid() === 0, false),
    isExecutable: (p) =>
      safe(() => {
        const s = Deno.statSync(p);
        return s.isFile && ((s.mode ?? 0o111) & 0o111) !== 0;
      }, false),
    run: async (command, args) => {
      const out = await new Deno.Command(command, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder();
      return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
    },
  };
}

function safe<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}
