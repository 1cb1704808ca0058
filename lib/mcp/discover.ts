/**
 * `discover`: finds MCP servers declared by other clients on this machine —
 * Claude Desktop, Claude Code (`~/.claude.json`, `.mcp.json`), VS Code
 * (`.vscode/mcp.json`, user `mcp.json` and settings `mcp.servers`) and
 * Cursor (`~/.cursor/mcp.json`, `.cursor/mcp.json`) — so the user can import
 * them. A pure function over an injected file reader: no I/O of its own.
 *
 * @module
 */

import type { ParseError } from "jsonc-parser";
import type { ServerConfig } from "./config.ts";
import { ConfigValidationError } from "../config/errors.ts";

/** Where a candidate was found. */
export type DiscoverySource =
  | "claude-desktop"
  | "claude-code"
  | "claude-code-project"
  | "vscode-workspace"
  | "vscode-user"
  | "cursor"
  | "cursor-project";

/** A server found in another client's config. */
export interface DiscoveredServer {
  /** Server name as declared. */
  name: string;
  /** Which client's file declared it. */
  source: DiscoverySource;
  /** File it came from. */
  path: string;
  /** The entry converted to mcpchat's config shape and validated. */
  config: ServerConfig;
  /** The entry as mcpchat would write it (other clients' keys dropped, nothing defaulted). */
  definition: Record<string, unknown>;
  /** Things the user should know before importing (e.g. unresolved `${input:…}`). */
  warnings: string[];
  /** Other files declaring the same server with the same config. */
  alsoIn: string[];
}

/** A file or entry that could not be used. */
export interface DiscoveryProblem {
  /** The file. */
  path: string;
  /** The entry, when one entry was the problem. */
  name?: string;
  /** What is wrong. */
  message: string;
}

/** Inputs of {@linkcode discoverServers}. */
export interface DiscoverOptions {
  /** The user's home directory. */
  home: string;
  /** The current project directory (project-scoped files are looked up here). */
  cwd: string;
  /** `Deno.build.os`. */
  platform: "linux" | "darwin" | "windows" | string;
  /** `APPDATA` on Windows. */
  appData?: string;
  /** `XDG_CONFIG_HOME`, when set. */
  xdgConfigHome?: string;
  /** Returns the file's text, or `undefined` when it does not exist. */
  readFile: (path: string) => Promise<string | undefined>;
}

interface Location {
  source: DiscoverySource;
  path: string;
  /** Picks the `{name: entry}` maps out of the parsed file. */
  pick: (doc: Record<string, unknown>) => Record<string, unknown>[];
}

const mcpServers = (doc: Record<string, unknown>) => [asRecord(doc.mcpServers)];

/**
 * The files `discover` looks at, in priority order.
 *
 * @example
 * ```ts
 * import { discoveryLocations } from "./discover.ts";
 * discoveryLocations({ home: "/home/u", cwd: "/w", platform: "linux", readFile: () => Promise.resolve(undefined) })
 *   .map((l) => l.path)[0]; // "/home/u/.config/Claude/claude_desktop_config.json"
 * ```
 */
export function discoveryLocations(
  o: DiscoverOptions,
): { source: DiscoverySource; path: string }[] {
  return locations(o).map(({ source, path }) => ({ source, path }));
}

function locations(o: DiscoverOptions): Location[] {
  const join = (...parts: string[]) => parts.join("/").replace(/\/+/g, "/");
  const xdg = o.xdgConfigHome ?? join(o.home, ".config");
  const appSupport = join(o.home, "Library", "Application Support");
  const claudeDesktop = o.platform === "darwin"
    ? join(appSupport, "Claude", "claude_desktop_config.json")
    : o.platform === "windows"
    ? join(o.appData ?? join(o.home, "AppData", "Roaming"), "Claude", "claude_desktop_config.json")
    : join(xdg, "Claude", "claude_desktop_config.json");
  const codeUser = o.platform === "darwin"
    ? join(appSupport, "Code", "User")
    : o.platform === "windows"
    ? join(o.appData ?? join(o.home, "AppData", "Roaming"), "Code", "User")
    : join(xdg, "Code", "User");
  return [
    { source: "claude-desktop", path: claudeDesktop, pick: mcpServers },
    {
      source: "claude-code",
      path: join(o.home, ".claude.json"),
      pick: (doc) => {
        // User scope, then the local scope of the current project.
        const projects = asRecord(doc.projects);
        return [asRecord(doc.mcpServers), asRecord(asRecord(projects[o.cwd]).mcpServers)];
      },
    },
    { source: "claude-code-project", path: join(o.cwd, ".mcp.json"), pick: mcpServers },
    {
      source: "vscode-workspace",
      path: join(o.cwd, ".vscode", "mcp.json"),
      pick: (d) => [asRecord(d.servers)],
    },
    { source: "vscode-user", path: join(codeUser, "mcp.json"), pick: (d) => [asRecord(d.servers)] },
    {
      source: "vscode-user",
      path: join(codeUser, "settings.json"),
      pick: (d) => [asRecord(asRecord(d.mcp).servers), asRecord(d["mcp.servers"])],
    },
    { source: "cursor", path: join(o.home, ".cursor", "mcp.json"), pick: mcpServers },
    { source: "cursor-project", path: join(o.cwd, ".cursor", "mcp.json"), pick: mcpServers },
  ];
}

function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v)
    ? v as Record<string, unknown>
    : {};
}

/**
 * Parses JSON with comments and trailing commas (VS Code's settings format)
 * with Microsoft's `jsonc-parser`, the parser VS Code itself uses.
 *
 * @throws {SyntaxError} naming the first problem and its line and column.
 * @example
 * ```ts
 * import { parseJsonc } from "./discover.ts";
 * await parseJsonc('{ // c\n "a": [1, 2,], }'); // { a: [1, 2] }
 * ```
 */
export async function parseJsonc(text: string): Promise<unknown> {
  // Loaded on first use: discover is off the start-up path.
  const { parse, printParseErrorCode } = await import("jsonc-parser");
  const errors: ParseError[] = [];
  let value: unknown;
  try {
    value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  } catch (error) {
    // Its recursive descent runs out of stack on pathological nesting.
    if (error instanceof RangeError) throw new SyntaxError("nested too deeply");
    throw error;
  }
  const first = errors[0];
  if (first) {
    const before = text.slice(0, first.offset);
    const line = before.split("\n").length;
    const column = first.offset - before.lastIndexOf("\n");
    throw new SyntaxError(`${printParseErrorCode(first.error)} at line ${line}, column ${column}`);
  }
  return value;
}

function variableWarnings(config: unknown): string[] {
  const found = new Set<string>();
  JSON.stringify(config).replace(/\$\{([^}]+)\}/g, (_m, v: string) => {
    found.add(v);
    return "";
  });
  return [...found].map((v) =>
    v.startsWith("input:")
      ? `uses \${${v}} (a VS Code prompt input): replace it with a value or an env reference before use`
      : `uses \${${v}}: mcpchat does not expand it; put the value in env`
  );
}

/**
 * Finds servers declared in other clients' config files.
 *
 * @example
 * ```ts
 * import { discoverServers } from "./discover.ts";
 * const files: Record<string, string> = {
 *   "/home/u/.cursor/mcp.json": '{"mcpServers":{"mem":{"command":"npx","args":["-y","@modelcontextprotocol/server-memory"]}}}',
 * };
 * const { servers } = await discoverServers({
 *   home: "/home/u", cwd: "/w", platform: "linux",
 *   readFile: (p) => Promise.resolve(files[p]),
 * });
 * servers[0].name; // "mem"
 * ```
 */
export async function discoverServers(
  options: DiscoverOptions,
): Promise<{ servers: DiscoveredServer[]; problems: DiscoveryProblem[] }> {
  const servers: DiscoveredServer[] = [];
  const problems: DiscoveryProblem[] = [];
  const byKey = new Map<string, DiscoveredServer>();
  // The config loader's own normaliser and schema (zod: loaded when discover runs).
  const { normalizeForeignServer, validateServer } = await import("../config/server.ts");
  for (const loc of locations(options)) {
    let text: string | undefined;
    try {
      text = await options.readFile(loc.path);
    } catch (error) {
      problems.push({
        path: loc.path,
        message: `cannot read: ${error instanceof Error ? error.message : String(error)}`,
      });
      continue;
    }
    if (text === undefined) continue;
    let doc: Record<string, unknown>;
    try {
      doc = asRecord(await parseJsonc(text));
    } catch (error) {
      problems.push({
        path: loc.path,
        message: `not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      });
      continue;
    }
    for (const map of loc.pick(doc)) {
      for (const [name, raw] of Object.entries(map)) {
        const { server: definition, misspelt } = normalizeForeignServer(asRecord(raw));
        let config: ServerConfig;
        try {
          if (misspelt.length > 0) {
            const { key, suggestion } = misspelt[0];
            throw new Error(
              `mcp.servers.${name}: unknown key ${
                JSON.stringify(key)
              } (did you mean "${suggestion}"?)`,
            );
          }
          config = validateServer(name, definition, loc.path);
        } catch (error) {
          const message = error instanceof ConfigValidationError
            ? error.issues.map((i) =>
              `${i.keyPath}: expected ${i.expected}${i.got ? `, got ${i.got}` : ""}`
            )
              .join("; ")
            : error instanceof Error
            ? error.message
            : String(error);
          problems.push({ path: loc.path, name, message });
          continue;
        }
        const key = `${name}\u0000${JSON.stringify(config)}`;
        const seen = byKey.get(key);
        if (seen) {
          seen.alsoIn.push(loc.path);
          continue;
        }
        const found: DiscoveredServer = {
          name,
          source: loc.source,
          path: loc.path,
          config,
          definition,
          warnings: variableWarnings(config),
          alsoIn: [],
        };
        byKey.set(key, found);
        servers.push(found);
      }
    }
  }
  return { servers, problems };
}
