/**
 * The `conformance` fixture set: tools, resources and prompts named as the
 * server scenarios of `@modelcontextprotocol/conformance` expect them
 * (`test_simple_text`, `test://static-text`, `test_prompt_with_arguments`…),
 * for the protocol features mcpchat's own tools do not exercise (image and
 * audio content, embedded resources, sampling and elicitation from a tool,
 * logging and progress from a tool). Enabled only by
 * `mcpchat serve --conformance-fixtures`; never part of a normal server.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/completable"
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  type CallToolResult,
  CreateMessageResultSchema,
  type ElicitRequestFormParams,
  ElicitResultSchema,
  type GetPromptResult,
  ListToolsRequestSchema,
  type ServerNotification,
} from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { ToolExtra } from "./app.ts";

/** A 1×1 PNG. */
const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/** A WAV header with two bytes of silence. */
const WAV_SILENCE = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

const JSON_SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  $defs: {
    address: {
      type: "object",
      properties: { street: { type: "string" }, city: { type: "string" } },
    },
  },
  properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" } },
  additionalProperties: false,
};

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });

/** Tools that answer every call with the same result. */
const FIXED_TOOLS: Record<string, { description: string; result: CallToolResult }> = {
  test_simple_text: {
    description: "Fixture: one text block",
    result: { content: [{ type: "text", text: "This is a simple text response for testing." }] },
  },
  test_image_content: {
    description: "Fixture: one PNG image block",
    result: { content: [{ type: "image", data: PNG_1PX, mimeType: "image/png" }] },
  },
  test_audio_content: {
    description: "Fixture: one WAV audio block",
    result: { content: [{ type: "audio", data: WAV_SILENCE, mimeType: "audio/wav" }] },
  },
  test_embedded_resource: {
    description: "Fixture: an embedded text resource",
    result: {
      content: [{
        type: "resource",
        resource: {
          uri: "test://embedded-resource",
          mimeType: "text/plain",
          text: "This is an embedded resource content.",
        },
      }],
    },
  },
  test_multiple_content_types: {
    description: "Fixture: text, image and resource blocks together",
    result: {
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: PNG_1PX, mimeType: "image/png" },
        {
          type: "resource",
          resource: {
            uri: "test://mixed-content-resource",
            mimeType: "application/json",
            text: JSON.stringify({ test: "data", value: 123 }),
          },
        },
      ],
    },
  },
  test_error_handling: {
    description: "Fixture: always fails",
    result: {
      content: [{ type: "text", text: "This tool intentionally returns an error for testing" }],
      isError: true,
    },
  },
};

/** The fields of an elicitation form. */
type FormFields = ElicitRequestFormParams["requestedSchema"]["properties"];

/** Tools that ask the client's user a fixed form and report the answer. */
const FIXED_ELICITATIONS: Record<
  string,
  { description: string; message: string; properties: FormFields }
> = {
  test_elicitation_sep1034_defaults: {
    description: "Fixture: elicitation whose fields carry defaults (SEP-1034)",
    message: "Please review and update the form fields with defaults",
    properties: {
      name: { type: "string", description: "User name", default: "John Doe" },
      age: { type: "integer", description: "User age", default: 30 },
      score: { type: "number", description: "User score", default: 95.5 },
      status: {
        type: "string",
        description: "User status",
        enum: ["active", "inactive", "pending"],
        default: "active",
      },
      verified: { type: "boolean", description: "Verification status", default: true },
    },
  },
  test_elicitation_sep1330_enums: {
    description: "Fixture: elicitation with every enum form (SEP-1330)",
    message: "Please select options from the enum fields",
    properties: {
      untitledSingle: {
        type: "string",
        description: "Select one option",
        enum: ["option1", "option2", "option3"],
      },
      titledSingle: {
        type: "string",
        description: "Select one option with titles",
        oneOf: [
          { const: "value1", title: "First Option" },
          { const: "value2", title: "Second Option" },
          { const: "value3", title: "Third Option" },
        ],
      },
      legacyEnum: {
        type: "string",
        description: "Select one option (legacy)",
        enum: ["opt1", "opt2", "opt3"],
        enumNames: ["Option One", "Option Two", "Option Three"],
      },
      untitledMulti: {
        type: "array",
        description: "Select multiple options",
        minItems: 1,
        maxItems: 3,
        items: { type: "string", enum: ["option1", "option2", "option3"] },
      },
      titledMulti: {
        type: "array",
        description: "Select multiple options with titles",
        minItems: 1,
        maxItems: 3,
        items: {
          anyOf: [
            { const: "value1", title: "First Choice" },
            { const: "value2", title: "Second Choice" },
            { const: "value3", title: "Third Choice" },
          ],
        },
      },
    },
  },
};

/** Resources whose content never changes. */
const FIXED_RESOURCES: {
  name: string;
  uri: string;
  title: string;
  description: string;
  mimeType: string;
  body: { text: string } | { blob: string };
}[] = [
  {
    name: "static-text",
    uri: "test://static-text",
    title: "Static text",
    description: "Fixture: a text resource",
    mimeType: "text/plain",
    body: { text: "This is the content of the static text resource." },
  },
  {
    name: "static-binary",
    uri: "test://static-binary",
    title: "Static binary",
    description: "Fixture: a binary (PNG) resource",
    mimeType: "image/png",
    body: { blob: PNG_1PX },
  },
  {
    name: "watched-resource",
    uri: "test://watched-resource",
    title: "Watched resource",
    description: "Fixture: a resource to subscribe to",
    mimeType: "text/plain",
    body: { text: "Watched resource content" },
  },
];

/** Prompts without arguments. */
const FIXED_PROMPTS: Record<string, { title: string; description: string } & GetPromptResult> = {
  test_simple_prompt: {
    title: "Simple prompt",
    description: "Fixture: a prompt without arguments",
    messages: [{
      role: "user",
      content: { type: "text", text: "This is a simple prompt for testing." },
    }],
  },
  test_prompt_with_image: {
    title: "Prompt with image",
    description: "Fixture: a prompt with an image",
    messages: [
      { role: "user", content: { type: "image", data: PNG_1PX, mimeType: "image/png" } },
      { role: "user", content: { type: "text", text: "Please analyze the image above." } },
    ],
  },
};

/** Sends `notifications` one after another, 20 ms apart, as a long-running tool would. */
async function notifyInSteps(extra: ToolExtra, notifications: ServerNotification[]) {
  for (const [i, notification] of notifications.entries()) {
    if (i > 0) await sleep(20, extra.signal);
    await extra.sendNotification(notification);
  }
}

/** Asks the client's user `message` with a form of `properties`; says what came back. */
async function elicitAndReport(
  extra: ToolExtra,
  prefix: string,
  message: string,
  properties: FormFields,
  required: string[] = [],
): Promise<CallToolResult> {
  const result = await extra.sendRequest({
    method: "elicitation/create",
    params: { message, requestedSchema: { type: "object", properties, required } },
  }, ElicitResultSchema);
  return {
    content: [{
      type: "text",
      text: `${prefix}: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`,
    }],
  };
}

/**
 * Registers the conformance fixtures on `server`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // @ts-types="@modelcontextprotocol/sdk/server/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
 * // @ts-types="@modelcontextprotocol/sdk/client/index"
 * import { Client } from "@modelcontextprotocol/sdk/client/index.js";
 * // @ts-types="@modelcontextprotocol/sdk/inMemory"
 * import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
 * import { addConformanceFixtures } from "./conformance_fixtures.ts";
 * const server = new McpServer({ name: "fixtures", version: "0" });
 * addConformanceFixtures(server);
 * const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
 * await server.connect(serverSide);
 * const client = new Client({ name: "example", version: "0" });
 * await client.connect(clientSide);
 * const result = await client.callTool({ name: "test_simple_text", arguments: {} });
 * assert.deepEqual(result.content, [
 *   { type: "text", text: "This is a simple text response for testing." },
 * ]);
 * await client.close();
 * ```
 */
export function addConformanceFixtures(server: McpServer): void {
  const noArgs = {};
  for (const [name, { description, result }] of Object.entries(FIXED_TOOLS)) {
    server.registerTool(name, { description, inputSchema: noArgs }, () => structuredClone(result));
  }

  server.registerTool("test_tool_with_logging", {
    description: "Fixture: logs three messages while it runs",
    inputSchema: noArgs,
  }, async (_args: unknown, extra: ToolExtra) => {
    await notifyInSteps(
      extra,
      ["Tool execution started", "Tool processing data", "Tool execution completed"].map((
        data,
      ) => ({
        method: "notifications/message",
        params: { level: "info", logger: "conformance", data },
      })),
    );
    return { content: [{ type: "text", text: "Tool with logging executed successfully" }] };
  });

  server.registerTool("test_tool_with_progress", {
    description: "Fixture: reports progress 0, 50, 100 of 100",
    inputSchema: noArgs,
  }, async (_args: unknown, extra: ToolExtra) => {
    const progressToken = extra._meta?.progressToken ?? 0;
    await notifyInSteps(
      extra,
      [0, 50, 100].map((progress) => ({
        method: "notifications/progress",
        params: { progressToken, progress, total: 100, message: `step ${progress} of 100` },
      })),
    );
    return { content: [{ type: "text", text: String(progressToken) }] };
  });

  server.registerTool("test_sampling", {
    description: "Fixture: asks the client's model to complete a prompt",
    inputSchema: { prompt: z.string().describe("The prompt to send to the LLM") },
  }, async (args: { prompt: string }, extra: ToolExtra) => {
    const result = await extra.sendRequest({
      method: "sampling/createMessage",
      params: {
        messages: [{ role: "user", content: { type: "text", text: args.prompt } }],
        maxTokens: 100,
      },
    }, CreateMessageResultSchema);
    const text = result.content.type === "text" ? result.content.text : "(no text)";
    return {
      content: [{ type: "text", text: `LLM response: ${text}` }],
    };
  });

  server.registerTool(
    "test_elicitation",
    {
      description: "Fixture: asks the client's user for input",
      inputSchema: { message: z.string().describe("The message to show the user") },
    },
    (args: { message: string }, extra: ToolExtra) =>
      elicitAndReport(extra, "User response", args.message, {
        response: { type: "string", description: "User's response" },
      }, ["response"]),
  );

  for (const [name, { description, message, properties }] of Object.entries(FIXED_ELICITATIONS)) {
    server.registerTool(
      name,
      { description, inputSchema: noArgs },
      (_args: unknown, extra: ToolExtra) =>
        elicitAndReport(extra, "Elicitation completed", message, properties),
    );
  }

  server.registerTool("test_reconnection", {
    description:
      "Fixture: drops its SSE stream mid-call; the answer arrives after the client resumes",
    inputSchema: noArgs,
  }, async (_args: unknown, extra: ToolExtra) => {
    extra.closeSSEStream?.();
    await sleep(100, extra.signal);
    return {
      content: [{ type: "text", text: "Reconnection test completed successfully." }],
    };
  });

  server.registerTool("json_schema_2020_12_tool", {
    description: "Fixture: a tool whose input schema uses JSON Schema 2020-12 features",
    inputSchema: {
      name: z.string().optional(),
      address: z.object({ street: z.string().optional(), city: z.string().optional() })
        .optional(),
    },
  }, (args: unknown) => ({
    content: [{
      type: "text",
      text: `JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`,
    }],
  }));
  // tools/list shows that tool's schema as written, with $schema, $defs and additionalProperties
  // (the SDK derives schemas from zod, which drops them).
  const handlers = (server.server as unknown as {
    _requestHandlers: Map<string, (request: unknown, extra: unknown) => Promise<unknown>>;
  })._requestHandlers;
  const listTools = handlers.get("tools/list");
  if (listTools) {
    server.server.setRequestHandler(
      ListToolsRequestSchema,
      async (request: unknown, extra: unknown) => {
        const result = await listTools(request, extra) as {
          tools: { name: string; inputSchema: unknown }[];
        };
        for (const tool of result.tools) {
          if (tool.name === "json_schema_2020_12_tool") tool.inputSchema = JSON_SCHEMA_2020_12;
        }
        return result;
      },
    );
  }

  // ── resources ─────────────────────────────────────────────────────────
  for (const { name, uri, title, description, mimeType, body } of FIXED_RESOURCES) {
    server.registerResource(name, uri, { title, description, mimeType }, (href: URL) => ({
      contents: [{ uri: href.href, mimeType, ...body }],
    }));
  }

  server.registerResource(
    "template",
    new ResourceTemplate("test://template/{id}/data", { list: undefined }),
    {
      title: "Template",
      description: "Fixture: a resource template",
      mimeType: "application/json",
    },
    (uri: URL, variables: Record<string, string | string[]>) => ({
      contents: [{
        uri: uri.href,
        mimeType: "application/json",
        text: JSON.stringify({
          id: variables.id,
          templateTest: true,
          data: `Data for ID: ${variables.id}`,
        }),
      }],
    }),
  );

  // ── prompts ───────────────────────────────────────────────────────────
  for (const [name, { title, description, messages }] of Object.entries(FIXED_PROMPTS)) {
    server.registerPrompt(
      name,
      { title, description },
      () => ({ messages: structuredClone(messages) }),
    );
  }

  server.registerPrompt("test_prompt_with_arguments", {
    title: "Prompt with arguments",
    description: "Fixture: a prompt with two arguments",
    argsSchema: {
      arg1: completable(
        z.string().describe("First test argument"),
        (v: string) => ["alpha", "beta"].filter((o) => o.startsWith(v ?? "")),
      ),
      arg2: z.string().describe("Second test argument"),
    },
  }, (args: { arg1: string; arg2: string }) => ({
    messages: [{
      role: "user",
      content: {
        type: "text",
        text: `Prompt with arguments: arg1='${args.arg1}', arg2='${args.arg2}'`,
      },
    }],
  }));

  server.registerPrompt("test_prompt_with_embedded_resource", {
    title: "Prompt with embedded resource",
    description: "Fixture: a prompt that embeds a resource",
    argsSchema: { resourceUri: z.string().describe("URI of the resource to embed") },
  }, (args: { resourceUri: string }) => ({
    messages: [
      {
        role: "user",
        content: {
          type: "resource",
          resource: {
            uri: args.resourceUri,
            mimeType: "text/plain",
            text: "Embedded resource content for testing.",
          },
        },
      },
      {
        role: "user",
        content: { type: "text", text: "Please process the embedded resource above." },
      },
    ],
  }));
}
