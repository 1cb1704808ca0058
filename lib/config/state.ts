/**
 * Internal to lib/config: the bookkeeping of one load — sources read, where
 * each setting came from (file and key path, or environment variable), issues
 * and warnings — and mapping a config path back to a file position.
 *
 * @module
 */

import { type ConfigIssue, ConfigValidationError, formatLocation } from "./errors.ts";
import type { DocPath, KeyLocation, KeyLocations } from "./locate.ts";
import { configDir, type Env } from "./paths.ts";
import { dirnamePath as dirname } from "../util/path.ts";
import { isRecord } from "../util/json.ts";

/** A parsed TOML or JSON table. */
export type Table = Record<string, unknown>;

/** Whether `value` is a table (not an array or a TOML date): the shared {@linkcode isRecord}. */
export const isTable: (value: unknown) => value is Table = isRecord;

/** A parsed config source and, lazily, where its keys are. */
export interface Source {
  /** Path of the file. */
  file: string;
  /** How it was parsed. */
  format: "toml" | "json";
  /** Key positions, computed on first use (only errors and warnings need them). */
  locations(): KeyLocations;
}

/** Where a setting came from. */
export type Origin =
  | { kind: "file"; source: Source; docPath: DocPath }
  | { kind: "env"; variable: string }
  | { kind: "none" };

/** Formats a config path for messages: `mcp.servers."my server".args[0]`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else {
      const text = String(part);
      const segment = /^[A-Za-z0-9_-]+$/.test(text) ? text : JSON.stringify(text);
      out += out ? `.${segment}` : segment;
    }
  }
  return out;
}

/** Accumulates everything a load finds besides the config itself. */
export class LoadState {
  /** Files read, then `$VARIABLES` applied, in order. */
  readonly sources: string[] = [];
  /** Formatted warnings. */
  readonly warnings: string[] = [];
  /** Problems found so far, with the order they were found in. */
  readonly issues: { issue: ConfigIssue; order: number }[] = [];
  /** JSON of a config path → the variable that set it. */
  readonly envOrigins = new Map<string, string>();
  /** Server name → the JSON file (and key path there) that defined it. */
  readonly serverSources = new Map<string, { source: Source; docPrefix: DocPath }>();
  /** Backends a file mentions (an ollama entry counts as "configured"). */
  readonly declaredBackends = new Set<string>();
  /** The main config file, once read. */
  main?: Source;
  #order = 0;

  /** `label` names the source in messages when there is no file (e.g. a new server). */
  constructor(readonly env: Env, readonly label = "(defaults)") {}

  /** Records a problem; all are thrown together at the end. */
  addIssue(issue: ConfigIssue): void {
    this.issues.push({ issue, order: this.#order++ });
  }

  /** Records a warning `file:line:column: key: message`. */
  warn(
    file: string,
    at: { line?: number; column?: number } | undefined,
    keyPath: string,
    message: string,
  ): void {
    const location = formatLocation(file, at?.line, at?.column);
    this.warnings.push(`${location}: ${keyPath ? `${keyPath}: ` : ""}${message}`);
  }

  /** Where the setting at `path` came from: a variable, a JSON servers file or the main file. */
  originOf(path: readonly PropertyKey[]): Origin {
    const docPath = path.filter((p): p is string | number =>
      typeof p === "string" || typeof p === "number"
    );
    for (let n = docPath.length; n > 0; n--) {
      const variable = this.envOrigins.get(JSON.stringify(docPath.slice(0, n)));
      if (variable) return { kind: "env", variable };
    }
    if (docPath[0] === "mcp" && docPath[1] === "servers" && typeof docPath[2] === "string") {
      const server = this.serverSources.get(docPath[2]);
      if (server) {
        return {
          kind: "file",
          source: server.source,
          docPath: [...server.docPrefix, ...docPath.slice(3)],
        };
      }
    }
    if (this.main && this.main.format === "toml") {
      return { kind: "file", source: this.main, docPath };
    }
    return { kind: "none" };
  }
}

/** A 1-based line and column. */
export type Position = { line: number; column: number };

function pick(location: KeyLocation | undefined, at: "key" | "value"): Position | undefined {
  if (!location) return undefined;
  return at === "value" ? location.value ?? location.key : location.key;
}

/** Where an issue at `path` is, in its own source. */
export function place(
  state: LoadState,
  path: readonly PropertyKey[],
  at: "key" | "value",
): {
  file: string;
  line?: number;
  column?: number;
  format: "toml" | "json" | "env";
  /** The key path as written in that source (`mcpServers.x.url` in a JSON file). */
  keyPath: string;
} {
  const origin = state.originOf(path);
  const keyPath = formatKeyPath(path);
  if (origin.kind === "env") return { file: `$${origin.variable}`, format: "env", keyPath };
  if (origin.kind === "none") {
    return {
      file: state.main?.file ?? state.label,
      format: state.main?.format ?? "toml",
      keyPath,
    };
  }
  const found = origin.source.locations().nearest(origin.docPath);
  const position = found
    ? pick(found.location, found.exact ? at : "key")
    : origin.docPath.length === 0
    ? { line: 1, column: 1 }
    : undefined;
  return {
    file: origin.source.file,
    line: position?.line,
    column: position?.column,
    format: origin.source.format,
    keyPath: formatKeyPath(origin.docPath),
  };
}

/** The directory a relative path at `path` is relative to. */
export function baseDirOf(state: LoadState, path: readonly PropertyKey[]): string {
  const origin = state.originOf(path);
  if (origin.kind === "file") return dirname(origin.source.file);
  return state.main ? dirname(state.main.file) : configDir(state.env);
}

/** Throws every collected issue as one error, in file and position order. */
export function throwIfIssues(state: LoadState): void {
  if (state.issues.length === 0) return;
  const fileOrder = (file: string) => {
    const i = state.sources.indexOf(file);
    return i === -1 ? state.sources.length : i;
  };
  const sorted = [...state.issues].sort((a, b) =>
    fileOrder(a.issue.file) - fileOrder(b.issue.file) ||
    (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
    (a.issue.column ?? Infinity) - (b.issue.column ?? Infinity) ||
    a.order - b.order
  );
  throw new ConfigValidationError(sorted.map((s) => s.issue));
}

/**
 * The first path in `value` nested deeper than `limit` tables or arrays, or
 * `undefined`. Iterative, so a 30,000-part dotted key is measured, not a
 * stack overflow (`JSON.stringify` and `structuredClone` recurse).
 *
 * @example
 * ```ts
 * import { tooDeep } from "./state.ts";
 * console.log(tooDeep({ a: { b: { c: 1 } } }, 2)); // ["a", "b", "c"]
 * ```
 */
export function tooDeep(value: unknown, limit: number): (string | number)[] | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: current, path } = stack.pop()!;
    if (typeof current !== "object" || current === null || current instanceof Date) continue;
    if (path.length >= limit) return path.concat(Object.keys(current).slice(0, 1));
    const entries = Array.isArray(current) ? current.entries() : Object.entries(current);
    for (const [key, child] of entries) stack.push({ value: child, path: [...path, key] });
  }
  return undefined;
}
