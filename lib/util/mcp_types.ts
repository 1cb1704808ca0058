/**
 * The MCP SDK's protocol types, resolved to their declarations.
 *
 * Why this module: the SDK's `package.json` maps every `./*` subpath's types
 * to `./dist/esm/*.d.ts`, so `@modelcontextprotocol/sdk/types.js` looks for
 * `types.js.d.ts`, which is not shipped, and every type imported from it
 * type-checks as `any` (so casts at call sites went unchecked). The subpath
 * without `.js` finds `types.d.ts`. It does not resolve at run time, which
 * is fine here: this module only re-exports types, so nothing of the SDK
 * loads when it is imported.
 *
 * @example
 * ```ts
 * import type { TextContent } from "./mcp_types.ts";
 * const text: TextContent = { type: "text", text: "hi" };
 * console.log(text.text); // hi
 * ```
 *
 * @module
 */

export type {
  CallToolResult,
  ContentBlock,
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitResult,
  SamplingContent,
  SamplingMessage,
  TextContent,
} from "@modelcontextprotocol/sdk/types";
