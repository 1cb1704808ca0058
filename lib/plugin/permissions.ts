/**
 * Worker permissions: what a plugin declares, turned into the deny-by-default
 * object Deno's `Worker` takes.
 *
 * @module
 */

/** Permissions a plugin may declare. Anything not declared is denied. */
export interface PluginPermissions {
  read?: string[];
  write?: string[];
  /** `host` or `host:port`, matched literally (`localhost` ≠ `127.0.0.1`). */
  net?: string[];
  /** Names of environment variables. */
  env?: string[];
  /** Executables (name on PATH or absolute path). */
  run?: string[];
  /** System information a library reads, e.g. `["hostname"]`. */
  sys?: Extract<Deno.PermissionOptionsObject["sys"], unknown[]>;
}

/**
 * The `deno.permissions` object for a worker running `module`: every
 * permission denied except those declared. Module loading from a remote
 * origin (`deno run https://…`) needs `import` for that host.
 *
 * Every entry point runs with `--no-prompt`, so "not granted" means denied,
 * never a question on the terminal.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./permissions.ts";
 * const p = workerPermissions({ read: ["/tmp/data"] }, new URL("file:///app/plugins/store.ts"));
 * console.log(p.read, p.net); // ["/tmp/data"] false
 * ```
 */
export function workerPermissions(
  declared: PluginPermissions,
  module: URL,
): Deno.PermissionOptionsObject {
  const list = <T>(items: T[] | undefined): T[] | false => items?.length ? [...items] : false;
  const remote = module.protocol === "http:" || module.protocol === "https:";
  return {
    read: list(declared.read),
    write: list(declared.write),
    net: list(declared.net),
    env: list(declared.env),
    run: list(declared.run),
    sys: list(declared.sys),
    ffi: false,
    import: remote ? [module.host] : false,
  };
}
