/**
 * Shared helpers of the config tests.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import type { ReadTextFile } from "../../lib/config/mod.ts";

/** Absolute path of a file under tests/fixtures/config. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));
}

/** A reader over in-memory files; anything else is `NotFound`, like the real one. */
export function memoryFiles(files: Record<string, string>): ReadTextFile {
  return (path: string) => {
    if (Object.hasOwn(files, path)) return Promise.resolve(files[path]);
    return Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`));
  };
}

/** A home directory for tests that no real file lives under. */
export const HOME = "/home/ada";

/** The default config path for {@linkcode HOME}. */
export const DEFAULT_PATH = "/home/ada/.config/mcpchat/config.toml";
