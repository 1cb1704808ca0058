import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/stdio"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { cliArgs, isolatedEnv, ROOT } from "../_helpers/cli.ts";
import { resultText, serveConfig, structured } from "./_helpers.ts";

Deno.test("serve --stdio: stdout carries only JSON-RPC; bad lines get errors and serving goes on; EOF ends it with 0", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = await serveConfig(fake, env);
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["serve", "--stdio", "--config", config]),
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "raw", version: "1" },
      },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
  ].map((m) => JSON.stringify(m));
  const writer = child.stdin.getWriter();
  const enc = new TextEncoder();
  await writer.write(enc.encode(lines.join("\n") + "\n"));
  await writer.write(enc.encode("this is not json\n"));
  await writer.write(enc.encode('{"not":"jsonrpc"}\n'));
  await writer.write(
    enc.encode(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }) + "\n"),
  );
  // Read until the answer to id 2 arrives, then hang up.
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.split("\n").some((l) => l.includes('"id":2'))) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await writer.close();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  const stderr = new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
  await fake.close();
  const messages = out.trim().split("\n").map((line) => JSON.parse(line));
  assert.ok(messages.every((m) => m.jsonrpc === "2.0"), out);
  const errors = messages.filter((m) => m.id === null).map((m) => m.error.code);
  assert.deepEqual(errors, [-32700, -32600]);
  const tools = messages.find((m) => m.id === 2).result.tools.map((t: { name: string }) => t.name);
  assert.ok(tools.includes("chat"));
  assert.equal(status.code, 0, stderr);
});

Deno.test("serve --stdio: the SDK client (as Claude Desktop starts it) chats with progress and reads history", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = await serveConfig(fake, env);
  const client = new Client({ name: "desktop-like", version: "1" });
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: cliArgs(["serve", "--stdio", "--config", config]),
    cwd: ROOT,
    env,
    stderr: "pipe",
  });
  try {
    await client.connect(transport);
    await client.callTool({ name: "new_session", arguments: {} });
    await client.subscribeResource({ uri: "chat://history" });
    const updated = new Promise<string>((resolve) =>
      client.setNotificationHandler(
        ResourceUpdatedNotificationSchema,
        (n: { params: { uri: string } }) => resolve(n.params.uri),
      )
    );
    fake.reply({ chunks: openaiChunks({ text: ["stdio ", "answer"] }) });
    const progress: number[] = [];
    const chat = await client.callTool(
      { name: "chat", arguments: { message: "over stdio" } },
      undefined,
      {
        onprogress: (p: { progress: number }) => progress.push(p.progress),
      },
    );
    assert.equal(resultText(chat), "stdio answer");
    assert.ok(progress.length > 0);
    const sessionId = structured<{ session_id: string }>(chat).session_id;
    const history = await client.readResource({ uri: "chat://history" });
    const text = (history.contents[0] as { text: string }).text;
    assert.match(text, new RegExp(sessionId));
    assert.match(text, /over stdio/);
    assert.equal(await updated, "chat://history");
    const done = await client.complete({
      ref: { type: "ref/prompt", name: "refactor" },
      argument: { name: "goal", value: "test" },
    });
    assert.deepEqual(done.completion.values, ["testability"]);
    const prompt = await client.getPrompt({
      name: "refactor",
      arguments: { code: "f()", goal: "testability" },
    });
    assert.match((prompt.messages[0].content as { text: string }).text, /testability/);
  } finally {
    await client.close();
    await fake.close();
  }
});

Deno.test("serve --stdio: the client hanging up mid-chat stops the model call and the server exits 0", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = await serveConfig(fake, env);
  fake.reply({ chunks: openaiChunks({ text: ["never", " done"] }), hangAfter: 1 });
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(["serve", "--stdio", "--config", config]),
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const send = (m: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(m) + "\n"));
  await send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "t", version: "1" },
    },
  });
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  await send({
    jsonrpc: "2.0",
    id: 2,
    method: "tools/call",
    params: { name: "chat", arguments: { message: "slow one" } },
  });
  while (fake.requests.length < 1) await new Promise((r) => setTimeout(r, 20));
  await writer.close(); // the client goes away
  await fake.requests[0].cancelled;
  const status = await child.status;
  await child.stdout.cancel();
  await child.stderr.cancel();
  await fake.close();
  assert.equal(status.code, 0);
});
