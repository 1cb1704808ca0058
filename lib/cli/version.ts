/**
 * The program's version, kept equal to `deno.json` (a test checks it) and
 * importable without reading any file, so `--version` stays instant.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`mcpchat ${VERSION}`);
 * ```
 *
 * @module
 */

/** mcpchat's version. */
export const VERSION = "0.1.0";
