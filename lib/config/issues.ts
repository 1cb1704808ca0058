/**
 * Internal to lib/config: turns zod issues into located {@linkcode ConfigIssue}s
 * with "expected …, got …" wording and "did you mean" hints.
 *
 * @module
 */

import type { core } from "zod/mini";
import type { ConfigErrorCode, ConfigIssue } from "./errors.ts";
import { knownKeys } from "./introspect.ts";
import { isSecretKey, looksLikeSecret } from "./redact.ts";
import { formatKeyPath, type LoadState, place } from "./state.ts";
import { closest } from "./suggest.ts";

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

/** Describes a value found in a file for messages (secrets are the caller's concern). */
export function describeValue(value: unknown, format: "toml" | "json" | "env"): string {
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
export function convertIssue(state: LoadState, issue: core.$ZodIssue): ConfigIssue[] {
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
  const code: ConfigErrorCode = format === "env" ? "CONFIG_ENV" : "CONFIG_INVALID";
  const base = {
    code,
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
      // A key check's own wording travels in a custom issue's params (see schema.ts).
      const inner = issue.issues[0];
      const params: Record<string, unknown> = inner?.code === "custom" ? inner.params ?? {} : {};
      const expected = typeof params.expected === "string" ? params.expected : "a valid name";
      const key = path[path.length - 1];
      return [{ ...base, expected, got: JSON.stringify(String(key)) }];
    }
    case "invalid_union":
      return [{ ...base, expected: "a string or an array of strings", got }];
    case "custom": {
      const params: Record<string, unknown> = issue.params ?? {};
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
