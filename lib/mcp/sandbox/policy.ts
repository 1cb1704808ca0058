/**
 * The effective sandbox policy of one stdio server: its `sandbox` settings
 * with paths expanded, the credential stores denied, and the writable places
 * a server and its launcher need (working directory, roots, the directories
 * server-filesystem is given, `npx`/`uvx`/`pipx` caches, a private temp
 * directory). Pure: the file system and environment come in as arguments, so
 * `mcpchat servers sandbox NAME` prints exactly what a spawn would apply.
 *
 * @module
 */

import {
  basenamePath as basename,
  isAbsolutePath as isAbsolute,
  joinPath as join,
  normalizePath as normalize,
  resolvePath as resolve,
} from "../../util/path.ts";
import type { SandboxPreset, SandboxSettings } from "../../config/sandbox_schema.ts";

/** One path of a policy, with why it is there (shown by `servers sandbox`). */
export interface PolicyPath {
  /** Absolute path. */
  path: string;
  /** Where it comes from: "credential store", "working directory", "npm cache"… */
  why: string;
}

/** What a server's process may do. */
export interface SandboxPolicy {
  /** Server name. */
  server: string;
  /** `false` when the config says `sandbox = false`. */
  enabled: boolean;
  /** `"default"` or `"strict"`. */
  mode: "default" | "strict";
  /** Refuse to run the server without a sandbox. */
  required: boolean;
  /** Paths that read as "permission denied". */
  denyRead: PolicyPath[];
  /** Paths inside a denied one that stay readable (`read`). */
  allowRead: PolicyPath[];
  /** The only places it may write (everything else is read-only). */
  write: PolicyPath[];
  /** Directories the host creates before spawning (launcher caches) so they can be bound. */
  ensureDirs: string[];
  /** `open`, or closed except `domains` (through a filtering proxy). */
  network: { open: true } | { open: false; domains: string[] };
  /** Environment names passed through from the user's environment (beyond the defaults). */
  env: string[];
  /** The private temp directory inside the sandbox (`TMPDIR`). */
  tmpDir: string;
  /** Presets applied (named, or detected from the command). */
  presets: { name: SandboxPreset; detected: boolean }[];
}

/** What the policy is computed from. */
export interface PolicyInput {
  /** Server name. */
  server: string;
  /** Its settings (`false`: `sandbox = false`). */
  settings: SandboxSettings | false;
  /** The server's command and arguments. */
  command: string;
  /** Its arguments. */
  args: readonly string[];
  /** Its working directory (absolute). */
  cwd: string;
  /** The user's declared roots (absolute paths). */
  roots: readonly string[];
  /** The user's environment (HOME, XDG_*, cache variables). */
  env: Readonly<Record<string, string | undefined>>;
  /** `Deno.build.os`. */
  os: string;
  /** mcpchat's own config and data directories (denied to every server). */
  ownDirs: readonly string[];
  /** Whether a path exists and is a directory / a file. */
  stat(path: string): "dir" | "file" | undefined;
  /** Lists a directory's entries (for `.env` files); empty when unreadable. */
  list(path: string): { name: string; dir: boolean }[];
  /** The private temp directory's path inside the sandbox. */
  tmpDir: string;
}

/** Credential stores under HOME denied by default (`why` shown to the user). */
const HOME_SECRETS: readonly [string, string][] = [
  [".ssh", "SSH keys"],
  [".gnupg", "GnuPG keys"],
  [".aws", "AWS credentials"],
  [".azure", "Azure credentials"],
  [".config/gcloud", "Google Cloud credentials"],
  [".kube", "Kubernetes credentials"],
  [".docker", "Docker credentials"],
  [".netrc", "netrc passwords"],
  [".git-credentials", "git credentials"],
  [".config/gh", "GitHub CLI token"],
  [".password-store", "pass passwords"],
  [".local/share/keyrings", "keyring"],
  [".pki", "NSS keys"],
  [".mozilla", "browser profile"],
  [".config/google-chrome", "browser profile"],
  [".config/chromium", "browser profile"],
  [".config/BraveSoftware", "browser profile"],
  [".config/microsoft-edge", "browser profile"],
  ["snap/firefox", "browser profile"],
  ["Library/Keychains", "keychain"],
  ["Library/Application Support/Google/Chrome", "browser profile"],
  ["Library/Application Support/Firefox", "browser profile"],
  ["Library/Application Support/BraveSoftware", "browser profile"],
  ["Library/Safari", "browser profile"],
  ["Library/Cookies", "browser cookies"],
];

/** System files that hold secrets. */
const SYSTEM_SECRETS: readonly [string, string][] = [
  ["/etc/shadow", "system passwords"],
  ["/etc/gshadow", "system passwords"],
];

const ENV_FILE_RE = /^\.env(\..+)?$/;
const ENV_FILE_OK_RE = /\.(example|sample|template|dist)$/;

/** Which preset a launcher needs, from the command's base name. */
const LAUNCHER_PRESETS: Readonly<Record<string, SandboxPreset>> = {
  npx: "npm",
  npm: "npm",
  pnpm: "npm",
  pnpx: "npm",
  yarn: "npm",
  bunx: "npm",
  uv: "uv",
  uvx: "uv",
  pipx: "pipx",
  deno: "deno",
  cargo: "cargo",
  go: "go",
};

/**
 * The effective policy of a server.
 *
 * @example
 * ```ts
 * import { resolvePolicy } from "./policy.ts";
 * const policy = resolvePolicy({
 *   server: "fs", settings: { mode: "default", read: [], deny_read: [], write: [], env: [], presets: [], required: false },
 *   command: "npx", args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv/notes"],
 *   cwd: "/home/ada/project", roots: [], env: { HOME: "/home/ada" }, os: "linux", ownDirs: [],
 *   stat: (p) => p === "/srv/notes" || p === "/home/ada/.ssh" ? "dir" : undefined,
 *   list: () => [], tmpDir: "/tmp/mcpchat-sandbox/tmp",
 * });
 * console.log(policy.write.map((w) => w.path));
 * // ["/home/ada/project", "/srv/notes", "/home/ada/.npm", "/tmp/mcpchat-sandbox/tmp"]
 * console.log(policy.denyRead[0].path); // "/home/ada/.ssh"
 * ```
 */
export function resolvePolicy(input: PolicyInput): SandboxPolicy {
  const settings = input.settings;
  const home = input.env.HOME || input.env.USERPROFILE || "/";
  const expand = (p: string) => expandPath(p, home, input.cwd);
  const presets = presetsFor(input.command, input.args, settings ? settings.presets : []);
  const base = {
    server: input.server,
    presets,
    tmpDir: input.tmpDir,
  };
  if (!settings) {
    return {
      ...base,
      enabled: false,
      mode: "default",
      required: false,
      denyRead: [],
      allowRead: [],
      write: [],
      ensureDirs: [],
      network: { open: true },
      env: [],
    };
  }

  const write = new PathSet();
  write.add(input.cwd, "working directory");
  for (const root of input.roots) write.add(root, "declared root");
  for (const dir of filesystemServerDirs(input.args, expand, input.stat)) {
    write.add(dir, "directory given to server-filesystem");
  }
  const ensureDirs: string[] = [];
  for (const { name } of presets) {
    for (const dir of presetWriteDirs(name, input.env, home)) {
      write.add(dir, `${name} cache`);
      ensureDirs.push(dir);
    }
  }
  for (const p of settings.write) write.add(expand(p), "sandbox.write");
  write.add(input.tmpDir, "private temp directory");
  const writable = write.list().filter((w) =>
    input.stat(w.path) !== undefined || ensureDirs.includes(w.path) || w.path === input.tmpDir
  );

  const allowRead = new PathSet();
  for (const p of settings.read) allowRead.add(expand(p), "sandbox.read");
  const allowed = allowRead.list();

  const deny = new PathSet();
  for (const [rel, why] of HOME_SECRETS) deny.add(join(home, rel), why);
  for (const dir of input.ownDirs) deny.add(dir, "mcpchat's own config and data");
  if (input.os !== "windows") { for (const [path, why] of SYSTEM_SECRETS) deny.add(path, why); }
  for (const p of settings.deny_read) deny.add(expand(p), "sandbox.deny_read");
  // .env files where the server works (and one level down).
  const scanned = new Set<string>();
  for (const w of writable) {
    if (w.path === input.tmpDir || w.why.endsWith(" cache") || scanned.has(w.path)) continue;
    scanned.add(w.path);
    for (const file of envFiles(w.path, input.list)) deny.add(file, ".env file");
  }
  const denyRead = deny.list().filter((d) =>
    input.stat(d.path) !== undefined &&
    // `read = ["~/.ssh"]` lifts the whole denial; a deeper `read` re-opens a part.
    !allowed.some((a) => isWithin(d.path, a.path))
  );

  const networkOpen = settings.mode !== "strict" && settings.network === undefined;
  return {
    ...base,
    enabled: true,
    // A `network` list closes the rest of the network: that is the strict policy.
    mode: networkOpen ? settings.mode : "strict",
    required: settings.required,
    denyRead,
    allowRead: allowed.filter((a) => denyRead.some((d) => isWithin(a.path, d.path))),
    write: writable,
    ensureDirs,
    network: networkOpen ? { open: true } : { open: false, domains: settings.network ?? [] },
    env: [...settings.env],
  };
}

/** Presets from the config plus the one the launcher needs. */
function presetsFor(
  command: string,
  args: readonly string[],
  named: readonly SandboxPreset[],
): { name: SandboxPreset; detected: boolean }[] {
  const out = named.map((name) => ({ name, detected: false }));
  const launcher = LAUNCHER_PRESETS[basename(command)];
  // `uv run` / `npm exec` and friends, and a shell wrapper `sh -c "npx …"`.
  const detected = launcher ??
    args.map((a) => LAUNCHER_PRESETS[basename(a.split(/\s+/)[0] ?? "")]).find((p) => p);
  if (detected && !named.includes(detected)) out.push({ name: detected, detected: true });
  return out;
}

/** Where each preset's tools write (caches, installed tools). */
function presetWriteDirs(
  preset: SandboxPreset,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string[] {
  const cache = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)
    ? env.XDG_CACHE_HOME
    : join(home, ".cache");
  const data = env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME)
    ? env.XDG_DATA_HOME
    : join(home, ".local", "share");
  const abs = (v: string | undefined) => (v && isAbsolute(v) ? v : undefined);
  switch (preset) {
    case "npm":
      return [abs(env.npm_config_cache) ?? abs(env.NPM_CONFIG_CACHE) ?? join(home, ".npm")];
    case "uv":
      return [abs(env.UV_CACHE_DIR) ?? join(cache, "uv"), join(data, "uv")];
    case "pipx":
      return [
        abs(env.PIPX_HOME) ?? join(data, "pipx"),
        join(cache, "pipx"),
        join(home, ".local", "pipx"),
      ];
    case "deno":
      return [abs(env.DENO_DIR) ?? join(cache, "deno")];
    case "cargo":
      return [abs(env.CARGO_HOME) ?? join(home, ".cargo")];
    case "go":
      return [abs(env.GOPATH) ?? join(home, "go"), abs(env.GOCACHE) ?? join(cache, "go-build")];
  }
}

/** The allowed directories server-filesystem takes as arguments (they must stay writable). */
function filesystemServerDirs(
  args: readonly string[],
  expand: (p: string) => string,
  stat: PolicyInput["stat"],
): string[] {
  const at = args.findIndex((a) => /(^|\/)server-filesystem(@[^/]*)?$/.test(a));
  if (at < 0) return [];
  return args.slice(at + 1)
    .filter((a) => !a.startsWith("-"))
    .map(expand)
    .filter((p) => p !== "/" && stat(p) === "dir");
}

/**
 * `.env` files in `dir` and its direct subdirectories (not `.env.example`).
 * Bounded: a spawn must stay cheap when the working directory is, say, HOME
 * with thousands of entries (then only its top level is looked at).
 */
function envFiles(dir: string, list: PolicyInput["list"]): string[] {
  const out: string[] = [];
  const top = list(dir);
  const subdirs = top.filter((e) => e.dir && e.name !== "node_modules" && e.name !== ".git");
  const check = (d: string, entries: { name: string; dir: boolean }[]) => {
    for (const entry of entries) {
      if (!entry.dir && ENV_FILE_RE.test(entry.name) && !ENV_FILE_OK_RE.test(entry.name)) {
        out.push(join(d, entry.name));
      }
    }
  };
  check(dir, top);
  if (subdirs.length <= MAX_SCANNED_SUBDIRS) {
    for (const sub of subdirs) check(join(dir, sub.name), list(join(dir, sub.name)));
  }
  return out;
}

/** Above this many subdirectories, only the top level is scanned for `.env` files. */
const MAX_SCANNED_SUBDIRS = 64;

/**
 * `~`, `~/x` and relative paths made absolute.
 *
 * @example
 * ```ts
 * import { expandPath } from "./policy.ts";
 * expandPath("~/notes", "/home/ada", "/work"); // "/home/ada/notes"
 * expandPath("data", "/home/ada", "/work"); // "/work/data"
 * ```
 */
export function expandPath(path: string, home: string, cwd: string): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return normalize(join(home, path.slice(2)));
  return isAbsolute(path) ? normalize(path) : resolve(cwd, path);
}

/**
 * Whether `path` is `dir` or inside it.
 *
 * @example
 * ```ts
 * import { isWithin } from "./policy.ts";
 * isWithin("/a/b/c", "/a/b"); // true
 * isWithin("/a/bc", "/a/b"); // false
 * ```
 */
export function isWithin(path: string, dir: string): boolean {
  if (dir === "/") return true;
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/** Ordered, de-duplicated paths (first reason wins). */
class PathSet {
  readonly #entries = new Map<string, string>();
  add(path: string, why: string): void {
    const p = path.length > 1 ? path.replace(/\/+$/, "") : path;
    if (!this.#entries.has(p)) this.#entries.set(p, why);
  }
  list(): PolicyPath[] {
    return [...this.#entries].map(([path, why]) => ({ path, why }));
  }
}

/**
 * The settings of a server without a `sandbox` key.
 *
 * @example
 * ```ts
 * import { defaultSandboxSettings } from "./policy.ts";
 * console.log(defaultSandboxSettings().mode); // "default"
 * ```
 */
export function defaultSandboxSettings(): SandboxSettings {
  return {
    mode: "default",
    read: [],
    deny_read: [],
    write: [],
    env: [],
    presets: [],
    required: false,
  };
}
