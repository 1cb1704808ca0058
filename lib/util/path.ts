/**
 * The path operations mcpchat needs, without `node:path`: importing
 * `node:path` starts Node's compatibility layer, about 9 ms and 5 MB in a
 * fresh process or worker, and the main thread and the config worker are on
 * the way to the first prompt and the one-shot answer. Semantics follow
 * `node:path` for the platform (a property test compares them): POSIX
 * everywhere but Windows, where `\` and drive letters are understood too.
 *
 * @module
 */

const WINDOWS = Deno.build.os === "windows";
const SEPARATOR = WINDOWS ? "\\" : "/";
const SPLIT = WINDOWS ? /[\\/]+/ : /\/+/;
const WINDOWS_ROOT = /^(?:[A-Za-z]:)?[\\/]/;

/** The root prefix of an absolute path (`/`, `C:\`), or `""` for a relative one. */
function rootOf(path: string): string {
  if (WINDOWS) {
    const match = WINDOWS_ROOT.exec(path);
    return match ? match[0].replace("/", "\\") : "";
  }
  return path.startsWith("/") ? "/" : "";
}

/**
 * Whether `path` is absolute.
 *
 * @example
 * ```ts
 * import { isAbsolutePath } from "./path.ts";
 * console.log(isAbsolutePath("/etc"), isAbsolutePath("etc")); // true false
 * ```
 */
export function isAbsolutePath(path: string): boolean {
  return rootOf(path) !== "";
}

/**
 * Resolves `.` and `..` segments and repeated separators; keeps a leading
 * `..` of a relative path. Never consults the process working directory.
 *
 * @example
 * ```ts
 * import { normalizePath } from "./path.ts";
 * console.log(normalizePath("/a/./b/../c//d")); // /a/c/d
 * ```
 */
export function normalizePath(path: string): string {
  const root = rootOf(path);
  const out: string[] = [];
  for (const segment of path.slice(root.length).split(SPLIT)) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!root) out.push("..");
      continue;
    }
    out.push(segment);
  }
  const body = out.join(SEPARATOR);
  return root + body || (root ? root : ".");
}

/**
 * Joins path segments and normalizes the result.
 *
 * @example
 * ```ts
 * import { joinPath } from "./path.ts";
 * console.log(joinPath("/home/ada", ".config", "mcpchat")); // /home/ada/.config/mcpchat
 * ```
 */
export function joinPath(...parts: string[]): string {
  return normalizePath(parts.filter((p) => p !== "").join(SEPARATOR));
}

/**
 * The directory part of `path` (`.` for a bare file name).
 *
 * @example
 * ```ts
 * import { dirnamePath } from "./path.ts";
 * console.log(dirnamePath("/cfg/mcpchat/config.toml")); // /cfg/mcpchat
 * ```
 */
export function dirnamePath(path: string): string {
  const root = rootOf(path);
  const rest = path.slice(root.length).replace(WINDOWS ? /[\\/]+$/ : /\/+$/, "");
  const cut = Math.max(rest.lastIndexOf("/"), WINDOWS ? rest.lastIndexOf("\\") : -1);
  if (cut === -1) return root || ".";
  return root + rest.slice(0, cut);
}

/**
 * `path` made absolute against `base` (itself absolute), normalized; an
 * absolute `path` is only normalized. Never consults the process working
 * directory: pass it as `base`.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./path.ts";
 * console.log(resolvePath("/home/ada", "../bob/x")); // /home/bob/x
 * console.log(resolvePath("/home/ada", "/etc/x")); // /etc/x
 * ```
 */
export function resolvePath(base: string, path: string): string {
  return isAbsolutePath(path) ? normalizePath(path) : joinPath(base, path);
}

/**
 * The last segment of `path` (trailing separators ignored).
 *
 * @example
 * ```ts
 * import { basenamePath } from "./path.ts";
 * console.log(basenamePath("/usr/bin/npx"), basenamePath("npx")); // npx npx
 * ```
 */
export function basenamePath(path: string): string {
  const rest = path.slice(rootOf(path).length).replace(WINDOWS ? /[\\/]+$/ : /\/+$/, "");
  const cut = Math.max(rest.lastIndexOf("/"), WINDOWS ? rest.lastIndexOf("\\") : -1);
  return rest.slice(cut + 1);
}
