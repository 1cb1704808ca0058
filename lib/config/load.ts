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

import type { core } from "zod";
import { parse as parseToml, TomlError } from "smol-toml";
import { dirnamePath as dirname } from "./pathutil.ts";
import {
  type ConfigErrorCode,
  type ConfigIssue,
  ConfigReadError,
  ConfigSyntaxError,
  ConfigValidationError,
  formatLocation,
} from "./errors.ts";
import { MCPCHAT_ENV_SETTINGS } from "./env_keys.ts";
import { MCPCHAT_NON_CONFIG_ENV, PROVIDER_SETTING_ENV } from "./env_names.ts";
import { knownKeys } from "./introspect.ts";
import {
  type DocPath,
  type KeyLocation,
  type KeyLocations,
  locateToml,
  parseJsonWithLocations,
} from "./locate.ts";
import { configDir, dataDir, defaultConfigPath, type Env, resolveUserPath } from "./paths.ts";
import { isSecretKey, looksLikeSecret } from "./redact.ts";
import { type Config, ConfigSchema, type ServerConfig } from "./schema.ts";
import { closest } from "./suggest.ts";

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
  /** File reader; defaults to `Deno.readTextFile`. */
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

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/** A parsed config source and, lazily, where its keys are. */
interface Source {
  file: string;
  format: "toml" | "json";
  locations(): KeyLocations;
}

type Origin =
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
    table = parseToml(text) as Table;
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

/** Keys other tools write into server entries that mcpchat ignores silently. */
const FOREIGN_SERVER_KEYS = new Set([
  "autoApprove",
  "alwaysAllow",
  "timeout",
  "description",
  "transportType",
  "envFile",
  "oauth",
  "trust",
  "includeTools",
  "excludeTools",
]);

/** Accumulates everything a load finds besides the config itself. */
class LoadState {
  readonly sources: string[] = [];
  readonly warnings: string[] = [];
  readonly issues: { issue: ConfigIssue; order: number }[] = [];
  readonly envOrigins = new Map<string, string>();
  readonly serverSources = new Map<string, { source: Source; docPrefix: DocPath }>();
  /** Backends a file mentions (an ollama entry counts as "configured"). */
  readonly declaredBackends = new Set<string>();
  main?: Source;
  #order = 0;

  /** `label` names the source in messages when there is no file (e.g. a new server). */
  constructor(readonly env: Env, readonly label = "(defaults)") {}

  addIssue(issue: ConfigIssue): void {
    this.issues.push({ issue, order: this.#order++ });
  }

  warn(
    file: string,
    at: { line?: number; column?: number } | undefined,
    keyPath: string,
    message: string,
  ): void {
    const location = formatLocation(file, at?.line, at?.column);
    this.warnings.push(`${location}: ${keyPath ? `${keyPath}: ` : ""}${message}`);
  }

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

type Position = { line: number; column: number };

function pick(location: KeyLocation | undefined, at: "key" | "value"): Position | undefined {
  if (!location) return undefined;
  return at === "value" ? location.value ?? location.key : location.key;
}

/** Where an issue at `path` is, in its own source. */
function place(
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

function typeName(expected: string, format: "toml" | "json" | "env"): string {
  switch (expected) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "int":
      return "an integer";
    case "boolean":
      return "true or false";
    case "array":
      return "an array";
    case "object":
    case "record":
      return format === "json" ? "an object" : "a table";
    default:
      return expected;
  }
}

function describeValue(value: unknown, format: "toml" | "json" | "env"): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (value instanceof Date) return "a date-time";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return format === "json" ? "an object" : "a table";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(", ");
}

function isSecretPath(path: readonly PropertyKey[], value: unknown): boolean {
  if (typeof value !== "string") return false;
  const last = path[path.length - 1];
  return (typeof last === "string" && isSecretKey(last)) || looksLikeSecret(value);
}

function tableName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "the top level" : `[${formatKeyPath(path)}]`;
}

/** Turns one zod issue into located config issues. */
function convertIssue(state: LoadState, issue: core.$ZodIssue): ConfigIssue[] {
  const path = issue.path;
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(path.filter((p): p is string | number => typeof p !== "symbol")) ??
      [];
    return issue.keys.map((key) => {
      const keyPath = [...path, key];
      const where = place(state, keyPath, "key");
      let hint: string | undefined;
      const suggestion = closest(key, known);
      if (suggestion) hint = `did you mean "${suggestion}"?`;
      if (path.length === 0 && key === "mcpServers") {
        hint = "in TOML servers go in [mcp.servers.NAME] tables; a Claude-style JSON file " +
          "with mcpServers can be named by mcp.servers_file or given to --config";
      }
      if (key === "disabled" && path[0] === "mcp") hint = "use enabled = false";
      return {
        code: "CONFIG_UNKNOWN_KEY" as const,
        file: where.file,
        line: where.line,
        column: where.column,
        keyPath: where.keyPath,
        expected: `a key of ${tableName(path)}: ${known.join(", ")}`,
        got: `unknown key ${JSON.stringify(key)}`,
        hint,
      };
    });
  }

  const atKey = issue.code === "invalid_key";
  const where = place(state, path, atKey ? "key" : "value");
  const format = where.format;
  const input = issue.input;
  const secret = isSecretPath(path, input);
  const got = secret ? "a value (hidden: it looks like a secret)" : describeValue(input, format);
  const base = {
    code: (format === "env" ? "CONFIG_ENV" : "CONFIG_INVALID") as ConfigErrorCode,
    file: where.file,
    line: where.line,
    column: where.column,
    keyPath: where.keyPath,
  };
  switch (issue.code) {
    case "invalid_type": {
      const expected = typeName(issue.expected, format);
      if (input === undefined) return [{ ...base, expected: `${expected} (required)` }];
      const hint = issue.expected === "string" && format === "toml" &&
          (typeof input === "number" || typeof input === "boolean")
        ? `strings need quotes: "${String(input)}"`
        : issue.expected === "int" && typeof input === "number"
        ? "use a whole number"
        : undefined;
      return [{ ...base, expected, got, hint }];
    }
    case "invalid_value": {
      const suggestion = typeof input === "string"
        ? closest(input, issue.values.map(String))
        : undefined;
      return [{
        ...base,
        expected: issue.values.length === 1
          ? JSON.stringify(issue.values[0])
          : `one of ${quoteList(issue.values)}`,
        got,
        hint: suggestion ? `did you mean "${suggestion}"?` : undefined,
      }];
    }
    case "too_small": {
      const min = Number(issue.minimum);
      const expected = issue.origin === "string"
        ? "a non-empty string"
        : issue.origin === "array"
        ? `an array with at least ${min} item${min === 1 ? "" : "s"}`
        : `a number ${issue.inclusive ? ">=" : ">"} ${min}`;
      return [{ ...base, expected, got }];
    }
    case "too_big": {
      const max = Number(issue.maximum);
      const expected = issue.origin === "string"
        ? `a string of at most ${max} characters`
        : issue.origin === "array"
        ? `an array with at most ${max} items`
        : `a number ${issue.inclusive ? "<=" : "<"} ${max}`;
      return [{ ...base, expected, got }];
    }
    case "invalid_format": {
      const expected = issue.format === "url"
        ? 'an http:// or https:// URL such as "https://example.com/mcp"'
        : `a valid ${issue.format}`;
      return [{ ...base, expected, got }];
    }
    case "invalid_key": {
      const inner = issue.issues[0] as { params?: { expected?: unknown } } | undefined;
      const expected = typeof inner?.params?.expected === "string"
        ? inner.params.expected
        : "a valid name";
      const key = path[path.length - 1];
      return [{ ...base, expected, got: JSON.stringify(String(key)) }];
    }
    case "invalid_union":
      return [{ ...base, expected: "a string or an array of strings", got }];
    case "custom": {
      const params = (issue.params ?? {}) as {
        expected?: unknown;
        hint?: unknown;
        suggestFrom?: unknown;
      };
      const expected = typeof params.expected === "string" ? params.expected : issue.message;
      let hint = typeof params.hint === "string" ? params.hint : undefined;
      if (Array.isArray(params.suggestFrom) && typeof input === "string") {
        const suggestion = closest(input, params.suggestFrom.map(String));
        if (suggestion) hint = `did you mean "${suggestion}"?`;
      }
      return [{ ...base, expected, got: input === undefined ? undefined : got, hint }];
    }
    default:
      return [{ ...base, expected: issue.message, got }];
  }
}

// ------------------------------------------------------------ JSON import

const JSON_SERVER_KEYS = ["mcpServers", "servers"] as const;

/**
 * Turns a Claude Desktop / Claude Code (`mcpServers`) or VS Code (`servers`)
 * JSON document into `mcp.servers` entries, recording where each came from.
 */
function importJsonServers(state: LoadState, source: Source, document: unknown): Table {
  const servers: Table = {};
  const locations = source.locations();
  if (!isTable(document)) {
    state.addIssue({
      code: "CONFIG_INVALID",
      file: source.file,
      line: 1,
      column: 1,
      keyPath: "",
      expected: 'a JSON object such as {"mcpServers": {"name": {"command": "..."}}}',
      got: describeValue(document, "json"),
    });
    return servers;
  }
  const key = JSON_SERVER_KEYS.find((k) => k in document);
  if (key === undefined) {
    const near = closest("mcpServers", Object.keys(document));
    const at = near ? locations.get([near])?.key : { line: 1, column: 1 };
    state.addIssue({
      code: near ? "CONFIG_UNKNOWN_KEY" : "CONFIG_INVALID",
      file: source.file,
      line: at?.line,
      column: at?.column,
      keyPath: near ?? "",
      expected: 'a top-level "mcpServers" object (Claude Desktop / Claude Code format)',
      got: near ? `unknown key ${JSON.stringify(near)}` : "no mcpServers key",
      hint: near ? 'did you mean "mcpServers"?' : undefined,
    });
    return servers;
  }
  const entries = document[key];
  if (!isTable(entries)) {
    const at = locations.get([key])?.value;
    state.addIssue({
      code: "CONFIG_INVALID",
      file: source.file,
      line: at?.line,
      column: at?.column,
      keyPath: key,
      expected: "an object mapping server names to server definitions",
      got: describeValue(entries, "json"),
    });
    return servers;
  }
  const known = new Set(knownKeys(["mcp", "servers", "_"]) ?? []);
  for (const [name, entry] of Object.entries(entries)) {
    state.serverSources.set(name, { source, docPrefix: [key, name] });
    if (!isTable(entry)) {
      servers[name] = entry;
      continue;
    }
    const server: Table = {};
    let broken = false;
    for (const [field, value] of Object.entries(entry)) {
      const location = locations.get([key, name, field]);
      const keyPath = `${key}.${formatKeyPath([name, field])}`;
      if (field === "disabled" && typeof value === "boolean") {
        if (entry.enabled === undefined) server.enabled = !value;
        continue;
      }
      if (known.has(field)) {
        server[field] = value;
        warnUnexpanded(state, source, location, keyPath, value);
        continue;
      }
      const suggestion = FOREIGN_SERVER_KEYS.has(field) ? undefined : closest(field, known);
      if (suggestion) {
        broken = true;
        state.addIssue({
          code: "CONFIG_UNKNOWN_KEY",
          file: source.file,
          line: location?.key.line,
          column: location?.key.column,
          keyPath,
          expected: `a server key: ${[...known].join(", ")}`,
          got: `unknown key ${JSON.stringify(field)}`,
          hint: `did you mean "${suggestion}"?`,
        });
      } else {
        state.warn(
          source.file,
          location?.key,
          keyPath,
          "ignored (not a setting mcpchat uses)",
        );
      }
    }
    // A misspelt key is already reported; validating the rest would only add
    // a confusing second error ("command missing") for the same typo.
    if (!broken) servers[name] = server;
  }
  return servers;
}

function warnUnexpanded(
  state: LoadState,
  source: Source,
  location: KeyLocation | undefined,
  keyPath: string,
  value: unknown,
): void {
  const texts = typeof value === "string"
    ? [value]
    : Array.isArray(value)
    ? value.filter((v): v is string => typeof v === "string")
    : isTable(value)
    ? Object.values(value).filter((v): v is string => typeof v === "string")
    : [];
  if (texts.some((t) => /\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}/.test(t))) {
    state.warn(
      source.file,
      location?.value,
      keyPath,
      "${VAR} is passed on literally: mcpchat does not expand variables in server definitions",
    );
  }
}

// ------------------------------------------------------------ env overrides

function setPath(table: Table, path: readonly string[], value: unknown): boolean {
  let current = table;
  for (const part of path.slice(0, -1)) {
    const next = current[part];
    if (next === undefined) current[part] = {};
    else if (!isTable(next)) return false; // the file's own type error wins
    current = current[part] as Table;
  }
  current[path[path.length - 1]] = value;
  return true;
}

function getPath(table: Table, path: readonly string[]): unknown {
  let current: unknown = table;
  for (const part of path) {
    if (!isTable(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Parses the text of an `MCPCHAT_*` variable as a TOML scalar of the given kind. */
export function parseEnvValue(
  text: string,
  kind: "string" | "number" | "boolean" | "array",
): unknown {
  const trimmed = text.trim();
  const asToml = (): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: (parseToml(`v = ${trimmed}`) as Table).v };
    } catch {
      return { ok: false };
    }
  };
  if (kind === "string") {
    if (/^(".*"|'.*')$/s.test(trimmed)) {
      const parsed = asToml();
      if (parsed.ok && typeof parsed.value === "string") return parsed.value;
    }
    return text;
  }
  const parsed = asToml();
  if (kind === "array") {
    if (parsed.ok && Array.isArray(parsed.value)) return parsed.value;
    return trimmed.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
  return parsed.ok ? parsed.value : trimmed;
}

/** `OLLAMA_HOST` may be `host`, `host:port` or a URL (as the ollama CLI accepts). */
function normalizeOllamaHost(value: string): string {
  const v = value.trim().replace(/\/+$/, "");
  const hasScheme = /^https?:\/\//i.test(v);
  try {
    const url = new URL(hasScheme ? v : `http://${v}`);
    if (!hasScheme && !/:\d+$/.test(v.split("/")[0])) url.port = "11434";
    // 0.0.0.0 is how a server listens on every interface, not an address to call.
    if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
    return url.toString().replace(/\/+$/, "").replace(/\/api$/, "");
  } catch {
    return v; // the schema reports it as a bad URL, naming $OLLAMA_HOST
  }
}

function applyEnvOverrides(state: LoadState, raw: Table): void {
  const env = state.env;
  const apply = (variable: string, path: readonly string[], value: unknown) => {
    if (setPath(raw, path, value)) {
      state.envOrigins.set(JSON.stringify(path), variable);
      if (!state.sources.includes(`$${variable}`)) state.sources.push(`$${variable}`);
    }
  };
  for (const [variable, path] of Object.entries(PROVIDER_SETTING_ENV)) {
    const value = env[variable]?.trim();
    if (!value) continue;
    if (variable === "AWS_DEFAULT_REGION" && env.AWS_REGION?.trim()) continue;
    apply(variable, path, variable === "OLLAMA_HOST" ? normalizeOllamaHost(value) : value);
  }
  for (const [variable, setting] of Object.entries(MCPCHAT_ENV_SETTINGS)) {
    const value = env[variable];
    if (value === undefined || value.trim() === "") continue;
    apply(variable, setting.path, parseEnvValue(value, setting.kind));
  }
  const ignored = new Set<string>(MCPCHAT_NON_CONFIG_ENV);
  const settingNames = Object.keys(MCPCHAT_ENV_SETTINGS);
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith("MCPCHAT_") || variable in MCPCHAT_ENV_SETTINGS) continue;
    if (ignored.has(variable)) continue;
    const suggestion = closest(variable, settingNames);
    state.warnings.push(
      `$${variable}: not a config setting, ignored` +
        (suggestion ? ` (did you mean $${suggestion}?)` : ""),
    );
  }
}

// ------------------------------------------------------------ computed fields

function isSet(env: Env, name: string): boolean {
  return (env[name] ?? "").trim() !== "";
}

function computeBackends(state: LoadState, config: Config, readable?: ReadonlySet<string>): void {
  const env = state.env;
  for (const [name, backend] of Object.entries(config.llm.backends)) {
    let missing: string | undefined;
    if (backend.type === "ollama") {
      if (!state.declaredBackends.has(name) && backend.base_url === undefined) {
        missing = `set OLLAMA_HOST or add a [llm.backends.${name}] table`;
      }
    } else if (backend.type === "bedrock") {
      const keys = (isSet(env, "AWS_ACCESS_KEY_ID") && isSet(env, "AWS_SECRET_ACCESS_KEY")) ||
        isSet(env, "AWS_BEARER_TOKEN_BEDROCK");
      if (!keys) {
        missing = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK)";
      } else if (!backend.region) {
        missing = `set AWS_REGION or llm.backends.${name}.region`;
      }
    } else if (backend.api_key === undefined && backend.api_key_env !== undefined) {
      if (
        backend.type === "gemini" && backend.api_key_env === "GEMINI_API_KEY" &&
        !isSet(env, "GEMINI_API_KEY") && isSet(env, "GOOGLE_GENERATIVE_AI_API_KEY")
      ) {
        backend.api_key_env = "GOOGLE_GENERATIVE_AI_API_KEY";
      }
      const variable = backend.api_key_env;
      if (readable && !readable.has(variable)) {
        missing = `${variable} cannot be checked by the config service ` +
          `(not one of the key variables it may read); the llm service reads it itself`;
      } else if (!isSet(env, variable)) {
        missing = `set ${variable}`;
      }
    } else if (
      backend.api_key === undefined && backend.api_key_env === undefined &&
      backend.type !== "openai-compatible"
    ) {
      missing = `set llm.backends.${name}.api_key_env to the variable holding the key`;
    }
    backend.configured = missing === undefined;
    if (missing !== undefined) backend.missing = missing;
  }
}

function warnStoredSecrets(state: LoadState, config: Config): void {
  for (const [name, backend] of Object.entries(config.llm.backends)) {
    if (backend.api_key === undefined) continue;
    const path = ["llm", "backends", name, "api_key"];
    const where = place(state, path, "key");
    state.warn(
      where.file,
      where,
      formatKeyPath(path),
      "an API key stored in the config file; prefer api_key_env (the key then stays in your environment)",
    );
  }
}

function baseDirOf(state: LoadState, path: readonly PropertyKey[]): string {
  const origin = state.originOf(path);
  if (origin.kind === "file") return dirname(origin.source.file);
  return state.main ? dirname(state.main.file) : configDir(state.env);
}

function resolvePaths(state: LoadState, config: Config): void {
  const session = config.session;
  session.data_dir = session.data_dir === ""
    ? dataDir(state.env)
    : resolveUserPath(session.data_dir, baseDirOf(state, ["session", "data_dir"]), state.env);
  for (const [name, server] of Object.entries(config.mcp.servers)) {
    if (server.type === "stdio" && server.cwd !== undefined) {
      server.cwd = resolveUserPath(
        server.cwd,
        baseDirOf(state, ["mcp", "servers", name, "cwd"]),
        state.env,
      );
    }
  }
}

// ------------------------------------------------------------ the loader

function throwIfIssues(state: LoadState): void {
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

async function loadJsonSource(
  read: ReadTextFile,
  file: string,
  referencedBy?: string,
): Promise<{ source: Source; document: unknown }> {
  const text = await readSource(read, file, true, referencedBy);
  // Comments are accepted: VS Code's mcp.json is JSONC, and they harm nothing.
  const { value, locations } = parseJsonWithLocations(text ?? "", file, { comments: true });
  return { source: { file, format: "json", locations: () => locations }, document: value };
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
  const { source, document } = await loadJsonSource(read, file, referencedBy);
  state.sources.push(file);
  const before = new Map(state.serverSources);
  const merged = importJsonServers(state, source, document);
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
 * Validates one server definition (as written in TOML or `mcpServers` JSON)
 * before it is added to a file, e.g. by `mcpchat servers add`.
 *
 * @throws {ConfigValidationError} messages name `label` and the key path.
 * @example
 * ```ts
 * import { validateServer } from "./load.ts";
 * console.log(validateServer("fs", { command: "npx", args: ["-y", "x"] }).type); // stdio
 * ```
 */
export function validateServer(name: string, server: unknown, label = "server"): ServerConfig {
  const state = new LoadState({}, label);
  const result = ConfigSchema.safeParse({ mcp: { servers: { [name]: server } } }, {
    reportInput: true,
  });
  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const converted of convertIssue(state, issue)) state.addIssue(converted);
    }
  }
  throwIfIssues(state);
  if (!result.success) throw new Error("unreachable: schema failed without issues");
  return result.data.mcp.servers[name];
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
  const read = options.readTextFile ?? ((path: string) => Deno.readTextFile(path));
  const state = new LoadState(env);
  const explicit = options.path ?? (env.MCPCHAT_CONFIG?.trim() || undefined);
  const file = explicit ?? defaultConfigPath(env);
  let raw: Table = {};

  if (explicit !== undefined && isJsonPath(file)) {
    const { source, document } = await loadJsonSource(read, file);
    state.main = source;
    state.sources.push(file);
    raw = { mcp: { servers: importJsonServers(state, source, document) } };
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
