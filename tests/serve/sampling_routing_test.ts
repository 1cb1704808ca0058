/**
 * Server mode with several MCP clients: a sampling request that one of
 * mcpchat's own MCP servers (server-everything) sends during a served chat
 * goes to the client that started that chat — each client answers its own,
 * and a client without the sampling capability gets server mode's policy,
 * never another client's answer. Real CLI (`mcpchat serve --http`), real SDK
 * clients, the fake model asking for the tool that samples.
 */
import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/streamableHttp"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml } from "../_helpers/cli.ts";
import { resultText, serveHttp } from "./_helpers.ts";

/** An SDK client that answers sampling requests with `answer` (and counts them). */
async function samplingClient(url: string, name: string, answer?: string) {
  const asked: string[] = [];
  const client = new Client({ name, version: "1.0.0" }, {
    capabilities: answer === undefined ? {} : { sampling: {} },
  });
  if (answer !== undefined) {
    client.setRequestHandler(
      CreateMessageRequestSchema,
      (request) => {
        const content = request.params.messages[0]?.content;
        asked.push(content && "type" in content && content.type === "text" ? content.text : "");
        return {
          role: "assistant",
          model: `${name}-model`,
          content: { type: "text", text: answer },
        };
      },
    );
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { client, asked };
}

const samplingTurn = (prompt: string) => ({
  chunks: openaiChunks({
    toolCalls: [{
      id: `call-${prompt}`,
      name: "everything__trigger-sampling-request",
      args: { prompt, maxTokens: 20 },
    }],
  }),
});

Deno.test("serve: each client's chat has its servers' sampling requests answered by that client", async () => {
  const served = await serveHttp(["--allow-tool", "everything__*"], {
    extraToml: await everythingToml(),
  });
  const a = await samplingClient(served.url, "client-a", "sampled by A");
  const b = await samplingClient(served.url, "client-b", "sampled by B");
  const c = await samplingClient(served.url, "client-c"); // cannot sample
  try {
    /** The tool result the model saw in its second call of this turn. */
    const toolResultSeen = () => JSON.stringify(served.fake.requests.at(-1)?.body);

    served.fake.reply(samplingTurn("from-b"), { chunks: openaiChunks({ text: ["B done."] }) });
    const chatB = await b.client.callTool({ name: "chat", arguments: { message: "sample it" } });
    assert.equal(resultText(chatB), "B done.");
    assert.match(toolResultSeen(), /sampled by B/);
    assert.equal(b.asked.length, 1);
    assert.match(b.asked[0], /from-b/);

    served.fake.reply(samplingTurn("from-a"), { chunks: openaiChunks({ text: ["A done."] }) });
    const chatA = await a.client.callTool({ name: "chat", arguments: { message: "sample it" } });
    assert.equal(resultText(chatA), "A done.");
    assert.match(toolResultSeen(), /sampled by A/);
    assert.deepEqual(a.asked.length, 1, "A answered its own chat's request only");
    assert.match(a.asked[0], /from-a/);
    assert.equal(b.asked.length, 1, "B was not asked for A's chat");

    // A client that cannot sample: server mode's policy (no --yes: refused), nobody else asked.
    served.fake.reply(samplingTurn("from-c"), { chunks: openaiChunks({ text: ["C done."] }) });
    const chatC = await c.client.callTool({ name: "chat", arguments: { message: "sample it" } });
    assert.equal(resultText(chatC), "C done.");
    assert.match(toolResultSeen(), /sampling needs the user's approval/);
    assert.equal(a.asked.length + b.asked.length, 2);
  } finally {
    await Promise.allSettled([a.client.close(), b.client.close(), c.client.close()]);
    await served.stop();
  }
});

Deno.test("serve: a served chat's elicitation form goes to the client that started the chat", async () => {
  const served = await serveHttp(["--allow-tool", "everything__*"], {
    extraToml: await everythingToml(),
  });
  const forms: string[] = [];
  const filler = new Client({ name: "filler", version: "1.0.0" }, {
    capabilities: { elicitation: {} },
  });
  filler.setRequestHandler(ElicitRequestSchema, (request) => {
    forms.push(request.params.message);
    return { action: "accept", content: { name: "Ada Lovelace", check: true } };
  });
  await filler.connect(new StreamableHTTPClientTransport(new URL(served.url)));
  const other = await samplingClient(served.url, "no-forms"); // declares no elicitation
  const elicitTurn = {
    chunks: openaiChunks({
      toolCalls: [{ id: "form", name: "everything__trigger-elicitation-request", args: {} }],
    }),
  };
  try {
    served.fake.reply(elicitTurn, { chunks: openaiChunks({ text: ["Thanks, Ada."] }) });
    const filled = await filler.callTool({ name: "chat", arguments: { message: "ask me" } });
    assert.equal(resultText(filled), "Thanks, Ada.");
    assert.equal(forms.length, 1);
    const seen = JSON.stringify(served.fake.requests.at(-1)?.body);
    assert.match(seen, /User provided the requested information/);
    assert.match(seen, /Ada Lovelace/);

    served.fake.reply(elicitTurn, { chunks: openaiChunks({ text: ["No form."] }) });
    const declined = await other.client.callTool({ name: "chat", arguments: { message: "ask" } });
    assert.equal(resultText(declined), "No form.");
    assert.match(JSON.stringify(served.fake.requests.at(-1)?.body), /declined/);
    assert.equal(forms.length, 1, "the other client's form was not shown to this one");
  } finally {
    await Promise.allSettled([filler.close(), other.client.close()]);
    await served.stop();
  }
});
