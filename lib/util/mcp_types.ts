/**
 * The MCP SDK's protocol types, for the areas that use them without loading
 * the SDK (chat, llm): type-only, so nothing of the SDK loads when this is
 * imported.
 *
 * Like every SDK import, this one names the `.js` file and, on the line
 * above, the declarations for it: the SDK's `package.json` maps the types of
 * `@modelcontextprotocol/sdk/types.js` to a `types.js.d.ts` it does not
 * ship, and Deno then types the import as `any` without a word (see
 * docs/architecture.md, "MCP SDK types").
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

// @ts-types="@modelcontextprotocol/sdk/types"
export type {
  CallToolResult,
  ContentBlock,
  CreateMessageRequestParams,
  CreateMessageResult,
  ElicitRequestParams,
  ElicitResult,
  SamplingContent,
  SamplingMessage,
  TextContent,
} from "@modelcontextprotocol/sdk/types.js";
