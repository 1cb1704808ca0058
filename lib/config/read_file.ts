/**
 * Reading a config file safely: only a regular file, only up to a size cap.
 * `config validate /dev/zero` would otherwise grow memory without bound, and
 * a FIFO (as the config or as `servers_file`) would block the reader forever,
 * because opening a FIFO for reading waits for a writer. So the path is
 * `stat`ed first (a FIFO or device is refused without being opened), and the
 * read stops one byte past the cap whatever the size said.
 *
 * Zod-free and dependency-free: the main thread uses it too (to find a
 * `servers_file` before the config worker starts).
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";

/** Largest config file read: 8 MiB (config files are a few KB; this is a wrong file). */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/** Why a path was refused before or while reading it. */
export class ConfigFileRefused extends Error {
  /** Creates the refusal; `reason` completes "cannot read config: …". */
  constructor(
    /** The refused path. */
    readonly path: string,
    /** What is wrong, e.g. `it is a FIFO (named pipe), not a regular file`. */
    readonly reason: string,
    /** What was expected instead, e.g. `a regular file`. */
    readonly expected: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = "ConfigFileRefused";
  }
}

function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
    : `${Math.ceil(bytes / 1024)} KiB`;
}

/**
 * Reads a UTF-8 config file: refuses anything but a regular file and files
 * over `maxBytes`, with a {@linkcode ConfigFileRefused} that says which.
 * Other errors (`NotFound`, `PermissionDenied`, `NotCapable`) pass through.
 *
 * @example
 * ```ts
 * import { ConfigFileRefused, readConfigText } from "./read_file.ts";
 * try {
 *   await readConfigText("/dev/zero");
 * } catch (e) {
 *   if (e instanceof ConfigFileRefused) console.log(e.reason); // it is a character device, …
 * }
 * ```
 */
export async function readConfigText(
  path: string,
  options: {
    /** The cap; default {@linkcode MAX_CONFIG_BYTES}. */
    maxBytes?: number;
    /** What the file is, for messages; default `config file`. */
    what?: string;
  } = {},
): Promise<string> {
  const max = options.maxBytes ?? MAX_CONFIG_BYTES;
  const what = options.what ?? "config file";
  const info = await Deno.stat(path);
  if (!info.isFile) {
    if (info.isDirectory) throw new Deno.errors.IsADirectory(`${path} is a directory`);
    throw new ConfigFileRefused(
      path,
      `it is ${kindOf(info)}, not a regular file`,
      "a regular file",
    );
  }
  const tooLarge = (size: number) =>
    new ConfigFileRefused(
      path,
      `it is ${sizeText(size)}, over the ${sizeText(max)} limit for a ${what}`,
      `a ${what} of at most ${sizeText(max)}; is this the right file?`,
    );
  if (info.size > max) throw tooLarge(info.size);
  using file = await Deno.open(path, { read: true });
  // The file may have grown since the stat (or lie about its size): read at most max + 1.
  const buffer = new Uint8Array(Math.min(max + 1, Math.max(info.size + 1, 64 * 1024)));
  const chunks: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const n = await file.read(buffer);
    if (n === null) break;
    total += n;
    if (total > max) throw tooLarge(total);
    chunks.push(buffer.slice(0, n));
  }
  return new TextDecoder().decode(concatBytes(chunks));
}
