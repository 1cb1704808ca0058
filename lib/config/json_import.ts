/**
 * Internal to lib/config: importing Claude Desktop / Claude Code
 * (`mcpServers`) and VS Code (`servers`) JSON files as `mcp.servers` entries.
 *
 * @module
 */

import { knownKeys } from "./introspect.ts";
import { normalizeForeignServer } from "./server.ts";
import type { KeyLocation } from "./locate.ts";
import type { DuplicateKey } from "./json_locate.ts";
import { describeValue } from "./issues.ts";
import { formatKeyPath, isTable, type LoadState, type Source, type Table } from "./state.ts";
import { closest } from "./suggest.ts";

function knownServerKeys(): string[] {
  return knownKeys(["mcp", "servers", "_"]) ?? [];
}

const JSON_SERVER_KEYS = ["mcpServers", "servers"] as const;

/**
 * Turns a Claude Desktop / Claude Code (`mcpServers`) or VS Code (`servers`)
 * JSON document into `mcp.servers` entries, recording where each came from.
 */
export function importJsonServers(
  state: LoadState,
  source: Source,
  document: unknown,
  duplicates: readonly DuplicateKey[] = [],
): Table {
  const servers: Table = {};
  const locations = source.locations();
  reportDuplicates(state, source, duplicates);
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
  for (const [name, entry] of Object.entries(entries)) {
    state.serverSources.set(name, { source, docPrefix: [key, name] });
    if (!isTable(entry)) {
      servers[name] = entry;
      continue;
    }
    // The same normaliser as `discover`: serverUrl, a type-less /sse URL, disabled.
    const { server, from, ignored, misspelt } = normalizeForeignServer(entry);
    const at = (field: string) => locations.get([key, name, field]);
    const keyPathOf = (field: string) => `${key}.${formatKeyPath([name, field])}`;
    for (const field of ignored) {
      state.warn(
        source.file,
        at(field)?.key,
        keyPathOf(field),
        "ignored (not a setting mcpchat uses)",
      );
    }
    for (const { key: field, suggestion } of misspelt) {
      state.addIssue({
        code: "CONFIG_UNKNOWN_KEY",
        file: source.file,
        line: at(field)?.key.line,
        column: at(field)?.key.column,
        keyPath: keyPathOf(field),
        expected: `a server key: ${knownServerKeys().join(", ")}`,
        got: `unknown key ${JSON.stringify(field)}`,
        hint: `did you mean "${suggestion}"?`,
      });
    }
    for (const [field, value] of Object.entries(server)) {
      const written = from[field] ?? field;
      warnUnexpanded(state, source, at(written), keyPathOf(written), value);
    }
    // Errors about a renamed key point where it is written (`serverUrl`, not `url`).
    for (const [field, written] of Object.entries(from)) {
      const location = at(written);
      if (location) locations.set([key, name, field], location);
    }
    // A misspelt key is already reported; validating the rest would only add
    // a confusing second error ("command missing") for the same typo.
    if (misspelt.length === 0) servers[name] = server;
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

/**
 * A key written twice in one object of the servers section: `JSON.parse`
 * keeps the last silently, smol-toml refuses it in TOML; here it is refused
 * too, at the second one.
 */
function reportDuplicates(
  state: LoadState,
  source: Source,
  duplicates: readonly DuplicateKey[],
): void {
  for (const { parent, key, at, first } of duplicates) {
    // Only what mcpchat reads: a duplicate in another client's own settings is theirs.
    if (!JSON_SERVER_KEYS.some((k) => k === parent[0])) continue;
    const server = parent.length === 1;
    state.addIssue({
      code: "CONFIG_INVALID",
      file: source.file,
      line: at.line,
      column: at.column,
      keyPath: formatKeyPath([...parent, key]),
      expected: server ? "each server name once" : "each key once in an object",
      got: `${JSON.stringify(key)} again (first at line ${first.line}, column ${first.column})`,
      hint: server ? "rename or remove one of the two servers" : "remove one of the two",
    });
  }
}
