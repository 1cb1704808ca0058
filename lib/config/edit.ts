/**
 * Text edits of config files for `mcpchat servers add|remove`: pure
 * functions from old text to new text (the caller reads and writes the file,
 * with its own permission). TOML edits touch only the server's own lines, so
 * comments and layout survive; every edit is verified by parsing the result
 * and comparing it with the original minus (or plus) that one server, and
 * refused rather than risk changing anything else.
 *
 * @module
 */

import { parse as parseToml, stringify } from "smol-toml";
import { ConfigError, formatLocation } from "./errors.ts";
import { locateToml } from "./locate.ts";
import { validateServer } from "./server.ts";
import { formatKeyPath, isTable, tooDeep } from "./state.ts";
import { closest } from "./suggest.ts";

type Table = Record<string, unknown>;

/** A server as written in a file: `{command, args, env, cwd}` or `{type, url, headers}`, plus `startup_mode`, `enabled`. */
export type ServerDefinition = Record<string, unknown>;

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: unknown): string {
  if (isTable(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    return `{ ${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join(", ")} }`;
  }
  return stringify({ v: value }).trim().replace(/^v = /, "");
}

export function editError(
  file: string,
  message: string,
  expected: string,
  at?: number,
): ConfigError {
  return new ConfigError("CONFIG_EDIT", `${formatLocation(file, at)}: ${message}`, {
    file,
    line: at,
    expected,
  });
}

function serversOf(document: unknown): Table {
  const mcp = isTable(document) ? document.mcp : undefined;
  return isTable(mcp) && isTable(mcp.servers) ? mcp.servers : {};
}

/** `document` without server `name`, and without the `mcp.servers` / `mcp` tables it leaves empty. */
function withoutServer(document: Table, name: string): Table {
  return pruneEmpty(structuredClone(document), name);
}

function pruneEmpty(document: Table, name?: string): Table {
  const mcp = document.mcp;
  if (!isTable(mcp)) return document;
  if (isTable(mcp.servers)) {
    if (name !== undefined) delete mcp.servers[name];
    if (Object.keys(mcp.servers).length === 0) delete mcp.servers;
  }
  if (Object.keys(mcp).length === 0) delete document.mcp;
  return document;
}

function sameData(a: unknown, b: unknown): boolean {
  return JSON.stringify(a, sortedKeys) === JSON.stringify(b, sortedKeys);
}

function sortedKeys(_key: string, value: unknown): unknown {
  if (!isTable(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, value[k]]));
}

/** Deeper than any setting: comparing and copying such a document would overflow the stack. */
const MAX_EDIT_DEPTH = 32;

function parseTomlOrThrow(text: string, file: string): Table {
  let document: Table;
  try {
    document = parseToml(text);
  } catch {
    throw editError(
      file,
      "the file does not parse; fix it first (mcpchat config validate)",
      "valid TOML",
    );
  }
  const deep = tooDeep(document, MAX_EDIT_DEPTH);
  if (deep) {
    const shown = formatKeyPath(deep.slice(0, 4)) + (deep.length > 4 ? "…" : "");
    throw editError(
      file,
      `keys are nested more than ${MAX_EDIT_DEPTH} levels deep (${shown}); ` +
        `fix the file first (mcpchat config validate ${file})`,
      `keys nested at most ${MAX_EDIT_DEPTH} levels deep`,
      locateToml(text).nearest(deep)?.location.key.line,
    );
  }
  return document;
}

/**
 * Renders one server as a `[mcp.servers.NAME]` table, small tables inline.
 *
 * @example
 * ```ts
 * import { renderServerToml } from "./edit.ts";
 * console.log(renderServerToml("fs", { command: "npx", args: ["-y", "x"], env: { A: "1" } }));
 * // [mcp.servers.fs]
 * // command = "npx"
 * // args = [ "-y", "x" ]
 * // env = { A = "1" }
 * ```
 */
export function renderServerToml(name: string, server: ServerDefinition): string {
  const lines = [`[mcp.servers.${tomlKey(name)}]`];
  for (const [key, value] of Object.entries(server)) {
    if (value !== undefined) lines.push(`${tomlKey(key)} = ${tomlValue(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Adds server `name` to a TOML config as a new `[mcp.servers.NAME]` table at
 * the end, leaving every other byte as it was.
 *
 * @throws {ConfigError} `CONFIG_INVALID` for a bad definition (with the key
 *   and what was expected), `CONFIG_EDIT` when the name exists or the file
 *   keeps its servers in a form a table cannot be appended to.
 * @example
 * ```ts
 * import { addServerToToml } from "./edit.ts";
 * const next = addServerToToml('[ui]\ncolor = "never"\n', "fs", { command: "npx" }, "config.toml");
 * console.log(next); // [ui] … then [mcp.servers.fs] command = "npx"
 * ```
 */
export function addServerToToml(
  text: string,
  name: string,
  server: ServerDefinition,
  file: string,
): string {
  validateServer(name, server, `new server ${JSON.stringify(name)}`);
  const before = parseTomlOrThrow(text, file);
  const existing = serversOf(before);
  if (name in existing) {
    const at = locateToml(text).get(["mcp", "servers", name])?.key.line;
    throw editError(
      file,
      `a server named ${JSON.stringify(name)} already exists; give this one another name, ` +
        `or remove that one first (mcpchat servers remove ${name})`,
      "a new name",
      at,
    );
  }
  const body = text === "" || text.endsWith("\n") ? text : `${text}\n`;
  const next = `${body}${body.trim() === "" ? "" : "\n"}${renderServerToml(name, server)}`;
  let after: Table;
  try {
    after = parseToml(next);
  } catch {
    const at = locateToml(text).get(["mcp", "servers"])?.key.line;
    throw editError(
      file,
      "mcp.servers is written as an inline table or dotted keys, so a [mcp.servers." +
        `${tomlKey(name)}] table cannot be added; add the server there by hand`,
      "[mcp.servers.NAME] tables",
      at,
    );
  }
  const added = serversOf(after)[name];
  if (!sameData(added, server) || !sameData(withoutServer(after, name), pruneEmpty(before))) {
    throw editError(
      file,
      "adding the server would change other settings; add it by hand",
      "a file with [mcp.servers.NAME] tables",
    );
  }
  return next;
}

/**
 * Removes server `name` from a TOML config: its `[mcp.servers.NAME]` table
 * and sub-tables, keeping comments that belong to what follows.
 *
 * @throws {ConfigError} `CONFIG_EDIT` when there is no such server (with a
 *   suggestion) or it is not written as a table of its own.
 * @example
 * ```ts
 * import { removeServerFromToml } from "./edit.ts";
 * const next = removeServerFromToml('[mcp.servers.fs]\ncommand = "npx"\n\n[ui]\ncolor = "auto"\n', "fs", "c.toml");
 * console.log(next); // [ui]\ncolor = "auto"\n
 * ```
 */
export function removeServerFromToml(text: string, name: string, file: string): string {
  const before = parseTomlOrThrow(text, file);
  const servers = serversOf(before);
  if (!(name in servers)) throw noSuchServer(file, name, Object.keys(servers));
  const where = locateToml(text);
  const own = (path: readonly (string | number)[]) =>
    path.length >= 3 && path[0] === "mcp" && path[1] === "servers" && path[2] === name;
  const header = where.headers.find((h) => h.path.length === 3 && own(h.path));
  const definedAt = where.get(["mcp", "servers", name])?.key.line;
  if (!header) {
    throw editError(
      file,
      `server ${JSON.stringify(name)} is not written as a [mcp.servers.${
        tomlKey(name)
      }] table; remove it by hand`,
      "a [mcp.servers.NAME] table",
      definedAt,
    );
  }
  const lines = text.split("\n");
  // Comment lines right above the header describe this server: they go too.
  let start = header.line - 1; // 0-based
  while (start > 0 && /^\s*#/.test(lines[start - 1])) start--;
  const next = where.headers.find((h) => h.line > header.line && !own(h.path));
  let end = (next ? next.line - 1 : lines.length) - 1; // 0-based, inclusive
  // Comments and blank lines right before the next table belong to it.
  while (end > header.line - 1 && /^\s*(#.*)?$/.test(lines[end])) end--;
  const kept = [...lines.slice(0, start), ...lines.slice(end + 1)];
  // Do not leave two blank lines where the table was.
  const at = start;
  if (at > 0 && at < kept.length && kept[at - 1].trim() === "" && kept[at].trim() === "") {
    kept.splice(at, 1);
  }
  const result = kept.join("\n");
  let after: Table;
  try {
    after = parseToml(result);
  } catch {
    throw editError(
      file,
      `removing ${JSON.stringify(name)} would break the file; remove it by hand`,
      "a [mcp.servers.NAME] table",
      definedAt,
    );
  }
  if (!sameData(pruneEmpty(after), withoutServer(before, name))) {
    throw editError(
      file,
      `server ${JSON.stringify(name)} is also set outside its table; remove it by hand`,
      "a server defined in its own table only",
      definedAt,
    );
  }
  return result;
}

export function noSuchServer(file: string, name: string, names: string[]): ConfigError {
  const near = closest(name, names);
  const hint = near ? ` (did you mean ${JSON.stringify(near)}?)` : "";
  const list = names.length ? names.map((n) => JSON.stringify(n)).join(", ") : "none";
  return editError(
    file,
    `no server named ${JSON.stringify(name)} in this file${hint}; servers here: ${list}`,
    "the name of a server in this file",
  );
}

/** A server edit to plan: add a definition, or remove one by name. */
export type ServerEdit =
  | { op: "add"; name: string; server: ServerDefinition; file?: string }
  | { op: "remove"; name: string; file?: string };

/** The new text of one file; the caller writes it (the config worker may not). */
export interface PlannedEdit {
  /** The file to write. */
  file: string;
  /** Its complete new content. */
  text: string;
}

/**
 * Works out the new content of the file an edit belongs in: for `add`, the
 * given file or the main config file (created if absent); for `remove`, the
 * file that defines the server (`serverOrigins` of a load), which may be a
 * `servers_file` JSON. Reads, never writes.
 *
 * @example
 * ```ts
 * import { planServerEdit } from "./edit.ts";
 * const plan = await planServerEdit(
 *   { op: "add", name: "fs", server: { command: "npx" } },
 *   { configPath: "/cfg/config.toml", serverOrigins: {}, readTextFile: () => Promise.resolve("") },
 * );
 * console.log(plan); // { file: "/cfg/config.toml", text: '[mcp.servers.fs]\ncommand = "npx"\n' }
 * ```
 */
export async function planServerEdit(
  edit: ServerEdit,
  context: {
    configPath: string;
    serverOrigins: Record<string, string>;
    readTextFile: (path: string) => Promise<string>;
  },
): Promise<PlannedEdit> {
  const file = edit.file ??
    (edit.op === "remove" ? context.serverOrigins[edit.name] : undefined) ??
    context.configPath;
  let text = "";
  try {
    text = await context.readTextFile(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound) || edit.op === "remove") {
      const reason = error instanceof Error ? error.message : String(error);
      throw editError(file, `cannot read: ${reason}`, "a readable config file");
    }
  }
  const json = /\.jsonc?$/i.test(file);
  // JSON files only: jsonc-parser is CommonJS, costly to load on every start.
  const { addServerToJson, removeServerFromJson } = json
    ? await import("./edit_json.ts")
    : { addServerToJson: undefined, removeServerFromJson: undefined };
  if (edit.op === "add") {
    return {
      file,
      text: addServerToJson
        ? addServerToJson(text, edit.name, edit.server, file)
        : addServerToToml(text, edit.name, edit.server, file),
    };
  }
  return {
    file,
    text: removeServerFromJson
      ? removeServerFromJson(text, edit.name, file)
      : removeServerFromToml(text, edit.name, file),
  };
}
