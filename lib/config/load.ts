/**
 * Loading the configuration: the TOML file (or a Claude-style `mcpServers`
 * JSON file), a referenced `mcp.servers_file`, environment overrides, schema
 * validation with file:line:column errors, and the computed fields.
 *
 * Precedence, lowest first: schema defaults, the config file, the
 * `servers_file` (for servers the TOML does not define itself), provider
 * variables (`OPENAI_BASE_URL`, `OLLAMA_HOST`, `AWS_REGION`), `MCPCHAT_*`
 * variables.
 *
 * @module
 */

import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigReadError, ConfigSyntaxError, formatLocation } from "./errors.ts";
import { computeBackends, resolvePaths, warnStoredSecrets } from "./computed.ts";
import { applyEnvOverrides, getPath } from "./env_overrides.ts";
import { convertIssue } from "./issues.ts";
import { importJsonServers } from "./json_import.ts";
import { type KeyLocations, locateToml } from "./locate.ts";
import type { DuplicateKey } from "./json_locate.ts";
import { defaultConfigPath, type Env, explicitConfigPath, resolveUserPath } from "./paths.ts";
import { ConfigFileRefused, readConfigText } from "./read_file.ts";
import { type Config, ConfigSchema } from "./schema.ts";
import {
  baseDirOf,
  isTable,
  LoadState,
  place,
  type Source,
  type Table,
  throwIfIssues,
} from "./state.ts";

export { formatKeyPath } from "./state.ts";
export { validateServer } from "./server.ts";
export { parseEnvValue } from "./env_overrides.ts";

/** Reads a text file (inject for tests; defaults to `Deno.readTextFile`). */
export type ReadTextFile = (path: string) => Promise<string>;

/** Options of {@linkcode loadConfig}. */
export interface LoadConfigOptions {
  /**
   * An explicit config file (`--config FILE`): must exist. A path ending in
   * `.json` is read as a Claude Desktop / Claude Code `mcpServers` file.
   * Without it: `$MCPCHAT_CONFIG`, else the XDG default, which may be absent.
   * Give absolute paths: a narrowed worker cannot resolve the process cwd.
   */
  path?: string;
  /** Environment snapshot (only the names the caller may read). */
  env: Env;
  /** File reader; defaults to {@linkcode readConfigText} (regular files under a size cap). */
  readTextFile?: ReadTextFile;
  /**
   * Names the caller was able to read into `env` (a narrowed worker reads a
   * fixed list). An `api_key_env` outside it is reported as not checkable
   * rather than as unset. Default: every name counts as readable.
   */
  readableEnv?: ReadonlySet<string>;
}

/** What {@linkcode loadConfig} returns. */
export interface LoadConfigResult {
  /** The validated configuration with defaults and computed fields. */
  config: Config;
  /** Where values came from: files read, then `$VARIABLE`s that overrode settings. */
  sources: string[];
  /** Non-fatal findings, each `file:line:column: key: message`. */
  warnings: string[];
  /** For each MCP server, the file that defines it (for `servers add/remove`). */
  serverOrigins: Record<string, string>;
}

const TOML_EXPECTATIONS: Record<string, string> = {
  "invalid value": 'a value: a "quoted string", a number, true/false, [an array] or {a table}',
  "each key-value declaration must be followed by an end-of-line":
    "a new line after the value (one key = value per line)",
  "unfinished string": "a closing quote on the same line",
  "unfinished table": 'a closing "]" (table headers look like [section])',
  "unfinished array": 'a closing "]"',
  "incomplete key-value: cannot find end of key": "key = value",
  "expected comma or end of structure": 'a "," or the closing bracket',
  "expected end of table array declaration": 'a closing "]]"',
  "trying to redefine an already defined value": "each key and table to be defined only once",
  "trying to redefine an already defined table or value":
    "each key and table to be defined only once",
  "illegal leading zero": "a number without leading zeros (or a quoted string)",
  "illegal underscore": "underscores only between digits",
  "unfinished numeric value": "a complete number",
  "integer value cannot be represented losslessly":
    "an integer between -9007199254740991 and 9007199254740991",
  "invalid date": "a valid date such as 2025-01-31",
  "invalid unicode escape": "\\uXXXX or \\UXXXXXXXX with a valid code point",
  "unrecognised escape sequence":
    "one of \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX (or a literal 'string')",
  "illegal quoted key: multiline strings are not allowed": 'a key in "quotes" on one line',
  "illegal character in key": "a key of letters, digits, _ and - (or a quoted key)",
  "illegal empty bare key": "a key name",
  "unexpected end of key": "a key name",
};

function tomlSyntaxError(file: string, text: string, error: TomlError): ConfigSyntaxError {
  const firstLine = error.message.split("\n")[0];
  const reason = firstLine.replace(/^Invalid TOML document:\s*/, "");
  let expected = TOML_EXPECTATIONS[reason] ?? "valid TOML (https://toml.io)";
  const lineText = text.split(/\r?\n/)[error.line - 1] ?? "";
  if (
    reason.startsWith("control characters are not allowed in strings") &&
    error.column > lineText.length
  ) {
    expected = 'a closing quote before the end of the line (use """ for multi-line strings)';
  }
  if (reason === "invalid value") {
    // The usual cause: a bare word where a string belongs (`startup_mode = eager`).
    const word = /^[A-Za-z_][A-Za-z0-9_.:/-]*/.exec(lineText.slice(error.column - 1))?.[0];
    if (word) expected = `a value; strings need quotes, e.g. "${word}"`;
  }
  return new ConfigSyntaxError(
    "CONFIG_TOML_SYNTAX",
    file,
    error.line,
    error.column,
    reason,
    expected,
    error,
  );
}

async function readSource(
  read: ReadTextFile,
  file: string,
  required: boolean,
  referencedBy?: string,
): Promise<string | undefined> {
  const via = referencedBy ? `, named by ${referencedBy}` : "";
  try {
    return await read(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      if (!required) return undefined;
      throw new ConfigReadError(
        "CONFIG_NOT_FOUND",
        file,
        `an existing file${via}`,
        "no such file",
        error,
      );
    }
    if (error instanceof Deno.errors.NotCapable) {
      throw new ConfigReadError(
        "CONFIG_PERMISSION",
        file,
        `a file the config service may read${via}`,
        "not permitted in the config service (move it into the config directory or pass it with --config)",
        error,
      );
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new ConfigReadError(
        "CONFIG_PERMISSION",
        file,
        `a readable file${via}`,
        "permission denied",
        error,
      );
    }
    if (error instanceof ConfigFileRefused) {
      throw new ConfigReadError(
        "CONFIG_READ",
        file,
        `${error.expected}${via}`,
        error.reason,
        error,
      );
    }
    if (error instanceof Deno.errors.IsADirectory) {
      throw new ConfigReadError("CONFIG_READ", file, `a file${via}`, "it is a directory", error);
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigReadError("CONFIG_READ", file, `a readable file${via}`, reason, error);
  }
}

function parseTomlSource(file: string, text: string): { table: Table; source: Source } {
  let table: Table;
  try {
    table = parseToml(text);
  } catch (error) {
    if (error instanceof TomlError) throw tomlSyntaxError(file, text, error);
    // smol-toml only throws TomlError for bad input; anything else (e.g. a
    // stack overflow on pathological nesting) is still this file's fault.
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigSyntaxError("CONFIG_TOML_SYNTAX", file, 1, 1, reason, "valid TOML", error);
  }
  let located: KeyLocations | undefined;
  return {
    table,
    source: { file, format: "toml", locations: () => (located ??= locateToml(text)) },
  };
}

function isJsonPath(file: string): boolean {
  return /\.jsonc?$/i.test(file);
}

async function loadJsonSource(
  read: ReadTextFile,
  file: string,
  referencedBy?: string,
): Promise<{ source: Source; document: unknown; duplicates: DuplicateKey[] }> {
  const text = await readSource(read, file, true, referencedBy);
  // Comments are accepted: VS Code's mcp.json is JSONC, and they harm nothing.
  // Loaded here, not at start: jsonc-parser is CommonJS, costly to load in a worker.
  const { parseJsonWithLocations } = await import("./json_locate.ts");
  const { value, locations, duplicates } = parseJsonWithLocations(text ?? "", file, {
    comments: true,
  });
  return {
    source: { file, format: "json", locations: () => locations },
    document: value,
    duplicates,
  };
}

async function importServersFile(state: LoadState, raw: Table, read: ReadTextFile): Promise<void> {
  const mcp = raw.mcp;
  if (!isTable(mcp) || typeof mcp.servers_file !== "string" || mcp.servers_file === "") return;
  const own = mcp.servers;
  if (own !== undefined && !isTable(own)) return; // the schema reports the bad [mcp.servers]
  const keyPath = ["mcp", "servers_file"];
  const file = resolveUserPath(mcp.servers_file, baseDirOf(state, keyPath), state.env);
  const where = place(state, keyPath, "value");
  if (!isJsonPath(file)) {
    state.addIssue({
      code: "CONFIG_INVALID",
      file: where.file,
      line: where.line,
      column: where.column,
      keyPath: "mcp.servers_file",
      expected: 'a path to a .json file with {"mcpServers": {...}}',
      got: JSON.stringify(mcp.servers_file),
    });
    return;
  }
  const referencedBy = `mcp.servers_file at ${
    formatLocation(where.file, where.line, where.column)
  }`;
  const { source, document, duplicates } = await loadJsonSource(read, file, referencedBy);
  state.sources.push(file);
  const before = new Map(state.serverSources);
  const merged = importJsonServers(state, source, document, duplicates);
  for (const [name, server] of Object.entries(own ?? {})) {
    // An entry defined in the main file keeps its location there.
    const previous = before.get(name);
    if (previous) state.serverSources.set(name, previous);
    else state.serverSources.delete(name);
    if (name in merged) {
      const at = place(state, ["mcp", "servers", name], "key");
      state.warn(at.file, at, at.keyPath, `also defined in ${file}; using this definition`);
    }
    merged[name] = server;
  }
  mcp.servers = merged;
  mcp.servers_file = file;
}

/**
 * Loads, merges and validates the configuration.
 *
 * @throws {ConfigError} (`ConfigReadError`, `ConfigSyntaxError`,
 *   `ConfigValidationError`) naming the file, line, column and what was expected.
 * @example
 * ```ts
 * import { loadConfig } from "./load.ts";
 * const { config, sources, warnings } = await loadConfig({
 *   env: { HOME: "/home/ada", MCPCHAT_MCP_STARTUP_MODE: "eager" },
 *   readTextFile: () => Promise.reject(new Deno.errors.NotFound()),
 * });
 * console.log(config.mcp.startup_mode, sources, warnings); // eager ["$MCPCHAT_MCP_STARTUP_MODE"] []
 * ```
 */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadConfigResult> {
  const env = options.env;
  const read = options.readTextFile ?? ((path: string) => readConfigText(path));
  const state = new LoadState(env);
  const explicit = explicitConfigPath(env, options.path);
  const file = explicit ?? defaultConfigPath(env);
  let raw: Table = {};

  if (explicit !== undefined && isJsonPath(file)) {
    const { source, document, duplicates } = await loadJsonSource(read, file);
    state.main = source;
    state.sources.push(file);
    raw = { mcp: { servers: importJsonServers(state, source, document, duplicates) } };
  } else {
    const text = await readSource(read, file, explicit !== undefined);
    if (text !== undefined) {
      const parsed = parseTomlSource(file, text);
      raw = parsed.table;
      state.main = parsed.source;
      state.sources.push(file);
      const backends = getPath(raw, ["llm", "backends"]);
      if (isTable(backends)) Object.keys(backends).forEach((n) => state.declaredBackends.add(n));
    }
  }

  applyEnvOverrides(state, raw);
  await importServersFile(state, raw, read);

  const result = ConfigSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const converted of convertIssue(state, issue)) state.addIssue(converted);
    }
  }
  throwIfIssues(state);
  if (!result.success) throw new Error("unreachable: schema failed without issues");
  const config = result.data;

  computeBackends(state, config, options.readableEnv);
  resolvePaths(state, config);
  warnStoredSecrets(state, config);

  const serverOrigins: Record<string, string> = {};
  for (const name of Object.keys(config.mcp.servers)) {
    const origin = state.originOf(["mcp", "servers", name]);
    serverOrigins[name] = origin.kind === "file" ? origin.source.file : file;
  }
  // Files first, in the order read, then the variables that overrode settings.
  const sources = [
    ...state.sources.filter((s) => !s.startsWith("$")),
    ...state.sources.filter((s) => s.startsWith("$")),
  ];
  return { config, sources, warnings: state.warnings, serverOrigins };
}
