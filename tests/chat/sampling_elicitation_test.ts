import assert from "node:assert/strict";
import {
  describeSampling,
  type ElicitForm,
  fillForm,
  parseFieldAnswer,
  sample,
  samplingRequest,
} from "../../lib/chat/mod.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";

Deno.test("a sampling request becomes a tool-less model call and an MCP result", async () => {
  const params = {
    messages: [
      { role: "user" as const, content: { type: "text" as const, text: "Say hi" } },
      {
        role: "assistant" as const,
        content: { type: "image" as const, data: "AA==", mimeType: "image/png" },
      },
    ],
    systemPrompt: "be short",
    maxTokens: 20,
    temperature: 0.2,
  };
  assert.deepEqual(samplingRequest(params), {
    system: "be short",
    messages: [{ role: "user", content: "Say hi" }, {
      role: "assistant",
      content: "[image image/png]",
    }],
    maxTokens: 20,
    temperature: 0.2,
  });
  assert.match(describeSampling("ev", params), /ev asks the model \(up to 20 tokens\)/);
  const seen: unknown[] = [];
  const result = await sample(
    params,
    async function* (request): AsyncGenerator<LlmEvent> {
      seen.push(request);
      yield { type: "start", backend: "b", kind: "openai", model: "m-1" };
      yield { type: "text-delta", text: "Hi" };
      yield { type: "text-delta", text: "!" };
      yield { type: "finish", reason: "length" };
    },
    new AbortController().signal,
    { backend: "b" },
  );
  assert.deepEqual(result, {
    role: "assistant",
    content: { type: "text", text: "Hi!" },
    model: "m-1",
    stopReason: "maxTokens",
  });
  assert.equal((seen[0] as { backend: string }).backend, "b");
});

const form: ElicitForm = {
  message: "Tell us",
  requestedSchema: {
    type: "object",
    properties: {
      name: { type: "string", title: "Name" },
      agree: { type: "boolean" },
      count: { type: "integer", minimum: 1, maximum: 10, default: 3 },
      friend: { type: "string", enum: ["Monica", "Ross"] },
      hero: {
        type: "string",
        oneOf: [{ const: "h1", title: "Superman" }, { const: "h2", title: "Batman" }],
      },
      tools: {
        type: "array",
        items: { type: "string", enum: ["Guitar", "Piano", "Drums"] },
        maxItems: 2,
      },
      email: { type: "string", format: "email" },
    },
    required: ["name", "agree"],
  },
};

function answers(list: (string | null)[]) {
  const asked: string[] = [];
  return {
    asked,
    ask: (q: string) => {
      asked.push(q);
      return Promise.resolve(list.length ? list.shift()! : null);
    },
  };
}

Deno.test("a form is filled field by field: defaults, choices by number or name, retries", async () => {
  const { ask, asked } = answers([
    "", // name is required: asked again
    "Ada",
    "maybe", // not a boolean: asked again
    "y",
    "", // count takes its default
    "2", // friend by number
    "batman", // hero by title
    "1, Drums",
    "not-an-email",
    "ada@example.com",
  ]);
  const shown: string[] = [];
  const result = await fillForm(form, ask, (t) => shown.push(t));
  assert.deepEqual(result, {
    action: "accept",
    content: {
      name: "Ada",
      agree: true,
      count: 3,
      friend: "Ross",
      hero: "h2",
      tools: ["Guitar", "Drums"],
      email: "ada@example.com",
    },
  });
  assert.ok(shown.includes("  (required)\n"));
  assert.ok(shown.includes("  answer y or n\n"));
  assert.ok(shown.includes("  an email address, please\n"));
  assert.match(asked[0], /^Name \*: $/);
  assert.match(asked.find((q) => q.startsWith("count"))!, /\[3\]/);
});

Deno.test("a form can be declined or cancelled; end of input cancels", async () => {
  assert.deepEqual(await fillForm(form, answers(["/decline"]).ask, () => {}), {
    action: "decline",
  });
  assert.deepEqual(await fillForm(form, answers(["Ada", "/cancel"]).ask, () => {}), {
    action: "cancel",
  });
  assert.deepEqual(await fillForm(form, answers([null]).ask, () => {}), { action: "cancel" });
});

Deno.test("field answers are checked against the schema", () => {
  assert.deepEqual(parseFieldAnswer({ type: "integer", minimum: 1 }, "0"), { error: "at least 1" });
  assert.deepEqual(parseFieldAnswer({ type: "integer" }, "2.5"), {
    error: "a whole number, please",
  });
  assert.deepEqual(parseFieldAnswer({ type: "number", maximum: 5 }, "4.5"), { value: 4.5 });
  assert.deepEqual(parseFieldAnswer({ type: "string", format: "uri" }, "https://a.b/c"), {
    value: "https://a.b/c",
  });
  assert.deepEqual(parseFieldAnswer({ type: "string", format: "date" }, "1815-12-10"), {
    value: "1815-12-10",
  });
  assert.ok("error" in parseFieldAnswer({ type: "string", maxLength: 2 }, "abc"));
  assert.ok(
    "error" in parseFieldAnswer({ type: "array", items: { enum: ["a"] }, minItems: 2 }, "a"),
  );
});
