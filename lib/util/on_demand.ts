/**
 * Imports that cost nothing until they are used.
 *
 * Deno prepares a module together with every dynamic import whose specifier
 * it can read in the source (`import("./x.ts")`), and the ones behind those:
 * it reads each file and resolves each npm package before the first line
 * runs. On the start-up path that is most of the app (every command, the
 * markdown renderer, the servers' OAuth…) for a run that needs one command.
 * An import through {@linkcode importOnDemand} names a URL Deno cannot read
 * ahead, so its module graph is read only when the call happens.
 *
 * `deno compile` cannot see these imports either: the compile task and the
 * release workflow include `lib/` and `plugins/` for them.
 *
 * @module
 */

/**
 * Imports the module at `url` when called (not prepared with the caller).
 * Name the module's type with `typeof import(…)`, which loads nothing.
 *
 * @example
 * ```ts
 * import { importOnDemand } from "./on_demand.ts";
 * const { systemClock } = await importOnDemand<typeof import("./clock.ts")>(
 *   new URL("./clock.ts", import.meta.url),
 * );
 * console.log(typeof systemClock.now()); // "number"
 * ```
 */
export function importOnDemand<M>(url: URL): Promise<M> {
  return import(url.href);
}
