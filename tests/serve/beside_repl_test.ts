import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, PtySession } from "../_helpers/cli.ts";
import { httpClient, serveConfig, structured } from "./_helpers.ts";

Deno.test("mcp_server.http_enabled: the REPL serves MCP beside the chat (real pty)", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = await serveConfig(
    fake,
    env,
    "[mcp_server]\nhttp_enabled = true\nport = 0\n",
  );
  const pty = await PtySession.start(["--config", config], { env });
  try {
    let mark = await pty.waitFor("› ");
    const at = await pty.waitFor(/serving MCP on http:\/\/127\.0\.0\.1:\d+\/mcp/);
    const url = /http:\/\/127\.0\.0\.1:\d+\/mcp/.exec(pty.output.slice(at))![0];
    // A client uses the same stores and model as the person at the prompt.
    const client = await httpClient(url);
    fake.reply({ chunks: openaiChunks({ text: ["served beside the REPL"] }) });
    const chat = await client.callTool({ name: "chat", arguments: { message: "hello" } });
    assert.equal(structured<{ answer: string }>(chat).answer, "served beside the REPL");
    await client.close();
    // and the chat still works
    fake.reply({ chunks: openaiChunks({ text: ["the REPL answers too"] }) });
    await pty.type("hi\r");
    mark = await pty.waitFor("the REPL answers too", mark);
    // It is a supervised service like the others.
    await pty.type("/health\r");
    mark = await pty.waitFor(/mcp-serve\s+running/, mark);
    await pty.type("/exit\r");
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  } finally {
    await pty.close(1_000).catch(() => {});
    await fake.close();
  }
});
