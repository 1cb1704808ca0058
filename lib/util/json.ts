/**
 * The JSON value type shared by every area (tool arguments, tool results,
 * stored messages), and the two checks for reading foreign data without a
 * cast: {@linkcode isRecord} and {@linkcode parseJson}.
 *
 * @module
 */

/**
 * A JSON value.
 *
 * @example
 * ```ts
 * import type { JsonValue } from "./json.ts";
 * const args: JsonValue = { message: "hi", count: 2, tags: ["a"] };
 * console.log(args);
 * ```
 */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Whether `value` is an object with string keys: not `null`, an array or a
 * `Date` (TOML's dates parse to one). The check at every boundary where
 * foreign data (JSON, TOML, a provider's payload) is read field by field.
 *
 * @example
 * ```ts
 * import { isRecord } from "./json.ts";
 * console.log(isRecord({ a: 1 }), isRecord([1]), isRecord(null), isRecord(new Date())); // true false false false
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    !(value instanceof Date);
}

/**
 * Whether `value` is an array of strings (an empty one included).
 *
 * @example
 * ```ts
 * import { isStringArray } from "./json.ts";
 * console.log(isStringArray(["a"]), isStringArray([]), isStringArray(["a", 1])); // true true false
 * ```
 */
export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((s) => typeof s === "string");
}

/**
 * Parses JSON text as a {@linkcode JsonValue}. Throws `SyntaxError` on bad
 * text, like `JSON.parse`.
 *
 * @example
 * ```ts
 * import { parseJson } from "./json.ts";
 * console.log(parseJson('{"city":"Paris"}')); // { city: "Paris" }
 * ```
 */
export function parseJson(text: string): JsonValue {
  // Sound without a check: JSON.parse builds only strings, finite numbers,
  // booleans, null, arrays and plain objects, i.e. JSON values.
  const value: JsonValue = JSON.parse(text);
  return value;
}
