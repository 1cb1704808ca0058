/**
 * The JSON value type shared by every area (tool arguments, tool results,
 * stored messages).
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
