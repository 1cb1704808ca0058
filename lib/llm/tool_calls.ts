/**
 * Tools in and tool calls out of a provider: the MCP tools offered as the
 * provider interface's function tools, and the model's calls (JSON text)
 * parsed back, with an error text when a call cannot be used.
 *
 * @module
 */

import type { LanguageModelV4FunctionTool } from "@ai-sdk/provider";
import type { JsonValue, LlmToolSpec } from "./types.ts";
import { parseJson } from "../util/json.ts";

/**
 * The tools of a request as function tools of the provider interface; the
 * JSON Schema passes unchanged.
 *
 * @example
 * ```ts
 * import { providerTools } from "./tool_calls.ts";
 * const [t] = providerTools([{ name: "w__get", inputSchema: { type: "object" } }]);
 * console.log(t); // { type: "function", name: "w__get", inputSchema: { type: "object" } }
 * ```
 */
export function providerTools(tools: LlmToolSpec[]): LanguageModelV4FunctionTool[] {
  return tools.map((t) => ({
    type: "function",
    name: t.name,
    inputSchema: t.inputSchema,
    ...(t.description !== undefined ? { description: t.description } : {}),
  }));
}

/** A model's tool call, parsed: arguments, and why it cannot be used when so. */
export interface ParsedToolCall {
  /** The parsed arguments, or the raw text when it is not JSON. */
  arguments: JsonValue;
  /** Set when the call is unusable (unknown tool, arguments not JSON). */
  error?: string;
}

/**
 * Parses the JSON text of a tool call's input. Empty input means no
 * arguments (`{}`), as some providers send for tools without parameters. A
 * tool that was not offered, or input that is not JSON, gives an error text
 * to send back as the tool's result so the model can correct itself.
 *
 * @example
 * ```ts
 * import { parseToolCall } from "./tool_calls.ts";
 * console.log(parseToolCall("w__get", '{"city":"Paris"}', ["w__get"]));
 * // { arguments: { city: "Paris" } }
 * console.log(parseToolCall("nope", "{}", ["w__get"]).error);
 * // tool call "nope" could not be used: Model tried to call unavailable tool 'nope'. Available tools: w__get.
 * ```
 */
export function parseToolCall(name: string, input: string, offered: string[]): ParsedToolCall {
  let parsed: { ok: true; value: JsonValue } | { ok: false; error: string };
  if (input.trim() === "") parsed = { ok: true, value: {} };
  else {
    try {
      parsed = { ok: true, value: parseJson(input) };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      parsed = {
        ok: false,
        error: `JSON parsing failed: Text: ${input}.\nError message: ${detail}`,
      };
    }
  }
  const args = parsed.ok ? parsed.value : input;
  if (!offered.includes(name)) {
    const available = offered.length ? ` Available tools: ${offered.join(", ")}.` : "";
    return {
      arguments: args,
      error: invalidToolCallText(
        name,
        `Model tried to call unavailable tool '${name}'.${available}`,
      ),
    };
  }
  if (!parsed.ok) {
    return {
      arguments: args,
      error: invalidToolCallText(name, `Invalid input for tool ${name}: ${parsed.error}`),
    };
  }
  return { arguments: args };
}

function invalidToolCallText(name: string, detail: string): string {
  return `tool call "${name}" could not be used: ${detail.slice(0, 300)}`;
}
