/**
 * JSON and JSONC with positions: Microsoft's `jsonc-parser` (the parser VS
 * Code itself uses; see docs/architecture.md) in one visitor pass builds the
 * value, records where every key and element is written, notes duplicate
 * keys and reports syntax errors with an exact line, column and expectation.
 *
 * Its own module, imported only when a JSON file is read: jsonc-parser ships
 * as CommonJS, and the first CommonJS module costs a worker ~140 ms to load.
 *
 * @module
 */

import { visit } from "jsonc-parser";
import { ConfigSyntaxError } from "./errors.ts";
import { KeyLocations, LineIndex, type LocationNode, type Position } from "./locate.ts";

/** A JSON value as parsed (objects are plain `{}` objects). */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Deepest nesting accepted: far beyond any config, and short of the parser's stack. */
export const MAX_JSON_DEPTH = 256;

class JsonFailure {
  constructor(readonly position: Position, readonly reason: string, readonly expected: string) {}
}

/** A key written twice in one JSON object (`JSON.parse` silently keeps the last). */
export interface DuplicateKey {
  /** Path of the object holding the key. */
  parent: (string | number)[];
  /** The key. */
  key: string;
  /** Where it is written the second (or later) time. */
  at: Position;
  /** Where it was written first. */
  first: Position;
}

const VALUE_EXPECTED = 'a value (an object, array, "string", number, true, false or null)';

// jsonc-parser's ParseErrorCode (a `const enum` in its typings, so not importable at runtime).
const JsoncError = {
  InvalidSymbol: 1,
  InvalidNumberFormat: 2,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  UnexpectedEndOfNumber: 13,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;

type Frame =
  | {
    kind: "object";
    value: { [key: string]: JsonValue };
    node: LocationNode;
    /** The property being read, and the offset of its name. */
    key?: string;
    keyAt?: number;
    /** After "{" or ",": a property name comes next. */
    expectKey: boolean;
  }
  | { kind: "array"; value: JsonValue[]; node: LocationNode };

/** What a jsonc-parser error code means to a person, given the text at the error. */
function explain(
  code: number,
  text: string,
  offset: number,
  inside: "object" | "array" | undefined,
): { reason: string; expected: string } {
  const c = text[offset];
  const found = offset >= text.length
    ? "end of file"
    : JSON.stringify(text.slice(offset, offset + 1));
  const unexpected = `unexpected ${found}`;
  switch (code) {
    case JsoncError.InvalidSymbol:
      return {
        reason: `${unexpected}${c === "'" ? "; JSON strings need double quotes" : ""}`,
        expected: VALUE_EXPECTED,
      };
    case JsoncError.InvalidNumberFormat:
    case JsoncError.UnexpectedEndOfNumber:
      return { reason: "incomplete number", expected: "a number such as 12, -3 or 1.5e3" };
    case JsoncError.PropertyNameExpected:
      return {
        reason: `${unexpected}${c === "}" ? " (JSON allows no trailing comma)" : ""}`,
        expected: "a double-quoted property name",
      };
    case JsoncError.ValueExpected:
      return c === "]"
        ? { reason: `${unexpected} (JSON allows no trailing comma)`, expected: "a value" }
        : { reason: unexpected, expected: VALUE_EXPECTED };
    case JsoncError.ColonExpected:
      return { reason: unexpected, expected: `":" after the name` };
    case JsoncError.CommaExpected:
      return { reason: unexpected, expected: inside === "array" ? `"," or "]"` : `"," or "}"` };
    case JsoncError.CloseBraceExpected:
      return { reason: unexpected, expected: `"," or "}"` };
    case JsoncError.CloseBracketExpected:
      return { reason: unexpected, expected: `"," or "]"` };
    case JsoncError.EndOfFileExpected:
      return { reason: unexpected, expected: "end of file" };
    case JsoncError.InvalidCommentToken:
      return { reason: "a comment", expected: "JSON without comments" };
    case JsoncError.UnexpectedEndOfComment:
      return { reason: "unterminated /* comment", expected: '"*/"' };
    case JsoncError.UnexpectedEndOfString:
      return { reason: "unterminated string", expected: 'a closing "' };
    case JsoncError.InvalidUnicode:
      return { reason: "invalid \\u escape", expected: "four hex digits after \\u" };
    case JsoncError.InvalidEscapeCharacter:
      return {
        reason: "invalid escape",
        expected: 'one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX',
      };
    case JsoncError.InvalidCharacter:
      return { reason: "control character in string", expected: "an escaped character" };
    default:
      return { reason: unexpected, expected: "valid JSON" };
  }
}

/**
 * One pass of jsonc-parser's visitor: builds the value, records where every
 * key and element is written (in the trie, O(1) per entry) and notes
 * duplicate keys. Stops at the first syntax error, or past
 * {@linkcode MAX_JSON_DEPTH} (before the recursive parser can overflow).
 */
function parseJsonText(
  text: string,
  comments: boolean,
): { value: JsonValue; locations: KeyLocations; duplicates: DuplicateKey[] } {
  // Positions from offsets, counting lines as the TOML side does (a lone "\r" is no line break).
  const lines = new LineIndex(text);
  const pos = (offset: number): Position => lines.position(offset);
  const locations = new KeyLocations(lines);
  const duplicates: DuplicateKey[] = [];
  const stack: Frame[] = [];
  let root: { value: JsonValue } | undefined;
  // Adds a value to the open container (or makes it the root) and records where it is.
  const place = (value: JsonValue, offset: number): LocationNode => {
    const top = stack.at(-1);
    if (!top) {
      root = { value };
      return locations.root;
    }
    if (top.kind === "array") {
      const node = top.node.child(top.value.length);
      locations.markOffsets(node, offset, offset);
      top.value.push(value);
      return node;
    }
    const key = top.key!;
    top.value[key] = value;
    const node = top.node.child(key);
    locations.markOffsets(node, top.keyAt!, offset);
    return node;
  };
  // The path of the innermost open container (only a duplicate key needs it).
  const currentPath = (): (string | number)[] =>
    stack.slice(0, -1).map((frame) => frame.kind === "array" ? frame.value.length - 1 : frame.key!);
  const open = (kind: "object" | "array", offset: number): void => {
    if (stack.length >= MAX_JSON_DEPTH) {
      throw new JsonFailure(pos(offset), "nesting too deep", `at most ${MAX_JSON_DEPTH} levels`);
    }
    if (kind === "object") {
      const value: { [key: string]: JsonValue } = {};
      stack.push({ kind, value, node: place(value, offset), expectKey: true });
    } else {
      const value: JsonValue[] = [];
      stack.push({ kind, value, node: place(value, offset) });
    }
  };
  visit(text, {
    onObjectBegin: (offset) => open("object", offset),
    onArrayBegin: (offset) => open("array", offset),
    onObjectEnd: () => void stack.pop(),
    onArrayEnd: () => void stack.pop(),
    onObjectProperty: (key, offset) => {
      const top = stack.at(-1);
      if (top?.kind !== "object") return;
      if (key === "__proto__") {
        throw new JsonFailure(pos(offset), 'unsafe property name "__proto__"', "another name");
      }
      if (Object.hasOwn(top.value, key)) {
        const first = locations.keyOffset(top.node.child(key)) ?? offset;
        duplicates.push({ parent: currentPath(), key, at: pos(offset), first: pos(first) });
      }
      top.key = key;
      top.keyAt = offset;
      top.expectKey = false;
    },
    onSeparator: (separator) => {
      const top = stack.at(-1);
      if (separator === "," && top?.kind === "object") top.expectKey = true;
    },
    onLiteralValue: (value: JsonValue, offset) => void place(value, offset),
    onError: (parseError, offset) => {
      const code: number = parseError;
      const top = stack.at(-1);
      const { reason, expected } = explain(code, text, offset, top?.kind);
      if (code === JsoncError.InvalidSymbol && top?.kind === "object" && top.expectKey) {
        throw new JsonFailure(
          pos(offset),
          reason.replace(/;.*/, ""),
          "a double-quoted property name",
        );
      }
      if (code === JsoncError.InvalidSymbol && top === undefined && root !== undefined) {
        throw new JsonFailure(pos(offset), reason.replace(/;.*/, ""), "end of file");
      }
      if (code === JsoncError.UnexpectedEndOfString) {
        // Point at the line break that ends the string, as editors do.
        const end = text.slice(offset).search(/[\r\n]/);
        if (end !== -1) {
          throw new JsonFailure(
            pos(offset + end),
            "control character in string",
            'a closing " on the same line (or \\n)',
          );
        }
      }
      if (code === JsoncError.ValueExpected && root === undefined && text.trim() === "") {
        throw new JsonFailure(
          pos(offset),
          "empty document",
          'a JSON object such as {"mcpServers": {}}',
        );
      }
      throw new JsonFailure(pos(offset), reason, expected);
    },
  }, { disallowComments: !comments, allowTrailingComma: false, allowEmptyContent: false });
  if (root === undefined) {
    throw new JsonFailure(
      { line: 1, column: 1 },
      "empty document",
      'a JSON object such as {"mcpServers": {}}',
    );
  }
  return { value: root.value, locations, duplicates };
}

/**
 * Parses JSON text, recording where each key and array element is written.
 * With `comments`, `//` and `/* *\/` comments count as whitespace (VS Code's
 * `mcp.json` is JSON with comments); trailing commas stay errors.
 *
 * @throws {ConfigSyntaxError} `CONFIG_JSON_SYNTAX` with the exact line, column
 *   and what was expected.
 * @example
 * ```ts
 * import { parseJsonWithLocations } from "./json_locate.ts";
 * const { value, locations } = parseJsonWithLocations('{"a": [1, 2]}', "x.json");
 * console.log(value, locations.get(["a", 1])); // { a: [1, 2] } { key: {line:1,column:11}, ... }
 * ```
 */
export function parseJsonWithLocations(
  text: string,
  file: string,
  options: { comments?: boolean } = {},
): { value: JsonValue; locations: KeyLocations; duplicates: DuplicateKey[] } {
  // A UTF-8 byte order mark is common in files saved by Windows editors; editors do not count it.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return parseJsonText(body, options.comments ?? false);
  } catch (error) {
    if (!(error instanceof JsonFailure)) throw error;
    const { line, column } = error.position;
    throw new ConfigSyntaxError(
      "CONFIG_JSON_SYNTAX",
      file,
      line,
      column,
      error.reason,
      error.expected,
    );
  }
}
