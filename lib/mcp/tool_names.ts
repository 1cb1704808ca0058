/**
 * Tool names towards the model: `server__tool`, sanitized to
 * `^[a-zA-Z0-9_-]{1,64}$` (the strictest rule among the providers),
 * collisions resolved deterministically, with a reverse map.
 *
 * @module
 */

/** The pattern every name given to a model matches. */
export const MODEL_TOOL_NAME_RE: RegExp = /^[a-zA-Z0-9_-]{1,64}$/;

/** Separator between server and tool. */
export const TOOL_NAME_SEPARATOR = "__";

const MAX = 64;

/** Where a namespaced name points. */
export interface ToolRef {
  /** Server name. */
  server: string;
  /** The tool's name on that server. */
  tool: string;
}

/**
 * Replaces every character outside `[a-zA-Z0-9_-]` with `_`.
 *
 * @example
 * ```ts
 * import { sanitizeNamePart } from "./tool_names.ts";
 * sanitizeNamePart("get.weather/now"); // "get_weather_now"
 * ```
 */
export function sanitizeNamePart(part: string): string {
  const s = part.replace(/[^a-zA-Z0-9_-]/g, "_");
  return s.length > 0 ? s : "_";
}

/** FNV-1a hash, base36, 6 characters: stable across runs and platforms. */
function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36).padStart(7, "0").slice(-6);
}

function fit(server: string, tool: string, suffix = ""): string {
  let s = sanitizeNamePart(server);
  let t = sanitizeNamePart(tool);
  const budget = MAX - TOOL_NAME_SEPARATOR.length - suffix.length;
  if (s.length + t.length > budget) {
    // Keep the tool name readable: cap the server part first, then the tool.
    s = s.slice(0, Math.max(8, budget - t.length));
    t = t.slice(0, budget - s.length);
  }
  return `${s}${TOOL_NAME_SEPARATOR}${t}${suffix}`;
}

/**
 * Assigns model-facing names to `(server, tool)` pairs. The result depends
 * only on the set of pairs (sorted), not on their order, so a name stays the
 * same across runs while the servers' tools stay the same.
 *
 * @example
 * ```ts
 * import { namespaceTools } from "./tool_names.ts";
 * const names = namespaceTools([{ server: "fs", tool: "read.file" }, { server: "fs", tool: "read_file" }]);
 * names.toModel.get("fs\u0000read.file"); // "fs__read_file_<hash>" (collision)
 * names.fromModel.get("fs__read_file"); // { server: "fs", tool: "read_file" }
 * ```
 */
export function namespaceTools(refs: readonly ToolRef[]): {
  toModel: Map<string, string>;
  fromModel: Map<string, ToolRef>;
} {
  const sorted = [...refs].sort((a, b) =>
    a.server === b.server ? cmp(a.tool, b.tool) : cmp(a.server, b.server)
  );
  // Names that need no change claim theirs first, so sanitizing another tool
  // can never steal an exact name.
  const exact = (r: ToolRef) => {
    const n = fit(r.server, r.tool);
    return n === `${r.server}${TOOL_NAME_SEPARATOR}${r.tool}`;
  };
  const ordered = [...sorted.filter(exact), ...sorted.filter((r) => !exact(r))];
  const toModel = new Map<string, string>();
  const fromModel = new Map<string, ToolRef>();
  for (const ref of ordered) {
    const key = `${ref.server}\u0000${ref.tool}`;
    if (toModel.has(key)) continue;
    let name = fit(ref.server, ref.tool);
    for (let i = 0; fromModel.has(name); i++) {
      name = fit(ref.server, ref.tool, `_${shortHash(key + (i === 0 ? "" : `#${i}`))}`);
    }
    toModel.set(key, name);
    fromModel.set(name, ref);
  }
  return { toModel, fromModel };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
