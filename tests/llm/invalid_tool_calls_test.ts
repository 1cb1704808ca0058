/** A model that sends broken tool arguments or calls an unknown tool: the call is passed on with an error text. */
import assert from "node:assert/strict";
import { LlmClient } from "../../lib/llm/client.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";

Deno.test("invalid tool calls reach the chat loop marked with an error, the turn still finishes", async () => {
  const server = await FakeProvider.start("text/event-stream");
  const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4.1" };
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${
      JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })
    }\n\n`;
  server.reply({
    chunks: [
      chunk({ role: "assistant", content: "" }),
      chunk({
        tool_calls: [{
          index: 0,
          id: "call_x",
          type: "function",
          function: { name: "get_weather", arguments: '{"city": ' },
        }],
      }),
      chunk({
        tool_calls: [{
          index: 1,
          id: "call_y",
          type: "function",
          function: { name: "nope", arguments: "{}" },
        }],
      }),
      chunk({}, "tool_calls"),
      `data: ${
        JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } })
      }\n\n`,
      "data: [DONE]\n\n",
    ],
  });
  const llm = new LlmClient({
    config: { backends: { openai: { base_url: `${server.url}/v1` } } },
    env: () => "sk-test",
  });
  try {
    const events: LlmEvent[] = [];
    for await (
      const e of llm.chat({
        backend: "openai",
        messages: [{ role: "user", content: "x" }],
        tools: [{ name: "get_weather", inputSchema: { type: "object" } }],
      })
    ) events.push(e);
    const calls = events.filter((e) => e.type === "tool-call");
    assert.equal(calls.length, 2);
    const [broken, unknown] = calls;
    assert.ok(broken.type === "tool-call" && unknown.type === "tool-call");
    assert.equal(broken.id, "call_x");
    assert.match(broken.error ?? "", /tool call "get_weather" could not be used: .*JSON/);
    assert.equal(unknown.name, "nope");
    assert.match(unknown.error ?? "", /unavailable tool 'nope'/);
    assert.deepEqual(events.at(-1), { type: "finish", reason: "tool-calls" });
  } finally {
    llm.close();
    await server.close();
  }
});
