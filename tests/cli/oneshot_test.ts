import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks, openaiError } from "../fixtures/llm/wire.ts";
import { isolatedEnv, peersConfig, runCli, spawnCli } from "../_helpers/cli.ts";

interface Setup {
  fake: FakeProvider;
  env: Record<string, string>;
  config: string;
}

/** A config with a local OpenAI-compatible provider and, optionally, server-everything. */
async function setup(withEverything = true, extraToml = ""): Promise<Setup> {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = `${env.HOME}/config.toml`;
  let servers = "";
  if (withEverything) {
    const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
    servers = `[mcp.servers.everything]\ncommand = "node"\nargs = ${
      JSON.stringify(peers.mcpServers.everything.args)
    }\n`;
  }
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "local"\n[llm.retry]\nmax_attempts = 2\nbase_ms = 10\nmax_ms = 20\n` +
      `[llm.backends.local]\ntype = "openai-compatible"\nbase_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n` +
      servers + extraToml,
  );
  return { fake, env, config };
}

const echoCall = { id: "call_1", name: "everything__echo", args: { message: "ping" } };

Deno.test("one-shot json: answer, tool calls with arguments and results, usage, cost", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ toolCalls: [echoCall], usage: { input: 100, output: 20 } }) },
    {
      chunks: openaiChunks({
        text: ["The tool ", "said ping."],
        usage: { input: 150, output: 10 },
      }),
    },
  );
  const r = await runCli(
    [
      "--config",
      config,
      "-p",
      "echo ping",
      "--output-format",
      "json",
      "--allow-tool",
      "everything__*",
      "--no-save",
    ],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.answer, "The tool said ping.");
  assert.equal(out.tool_calls.length, 1);
  assert.deepEqual(
    {
      name: out.tool_calls[0].name,
      args: out.tool_calls[0].arguments,
      result: out.tool_calls[0].result,
    },
    { name: "everything__echo", args: { message: "ping" }, result: "Echo: ping" },
  );
  assert.deepEqual(out.usage, { input_tokens: 250, output_tokens: 30, cached_input_tokens: 0 });
  assert.equal(typeof out.cost, "number");
  assert.ok(out.cost > 0);
  assert.equal(out.session_id, null);
  assert.equal(out.turns, 2);
  // The tool result went back to the model in the provider's own format.
  const second = fake.requests[1].body as {
    messages: { role: string; content: unknown; tool_call_id?: string }[];
  };
  const toolMessage = second.messages.find((m) => m.role === "tool");
  assert.deepEqual(toolMessage, { role: "tool", tool_call_id: "call_1", content: "Echo: ping" });
  const firstTools = (fake.requests[0].body as { tools: { function: { name: string } }[] }).tools;
  assert.ok(firstTools.some((t) => t.function.name === "everything__get-sum"));
  // The server's own instructions reach the model in the system prompt.
  const system =
    (fake.requests[0].body as { messages: { role: string; content: string }[] }).messages[0];
  assert.equal(system.role, "system");
  assert.match(
    system.content,
    /Instructions from the MCP server "everything":\n# Everything Server/,
  );
});

Deno.test("one-shot text: only the answer on stdout; a tool that is not allowed is refused and reported", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ toolCalls: [echoCall] }) },
    { chunks: openaiChunks({ text: ["I could not run it."] }) },
  );
  const r = await runCli(["--config", config, "-p", "echo ping", "--no-save"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "I could not run it.\n");
  assert.match(r.stderr, /refused tool call everything__echo: not allowed in one-shot mode/);
  assert.match(r.stderr, /--allow-tool 'everything__echo'/);
  const toolMessage = (fake.requests[1].body as { messages: { role: string; content: string }[] })
    .messages
    .find((m) => m.role === "tool");
  assert.match(toolMessage!.content, /did not approve/);
});

Deno.test("one-shot stream-json: NDJSON events as they happen, then the result", async () => {
  const { fake, env, config } = await setup();
  fake.reply(
    { chunks: openaiChunks({ toolCalls: [echoCall] }) },
    { chunks: openaiChunks({ text: ["done"] }) },
  );
  const r = await runCli(
    ["--config", config, "-p", "go", "--output-format", "stream-json", "--yes", "--no-save"],
    { env },
  );
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split("\n").map((line) => JSON.parse(line));
  const types = events.map((e) => e.type);
  assert.ok(types.indexOf("tool_call_started") < types.indexOf("tool_call_finished"));
  assert.ok(types.indexOf("tool_call_finished") < types.indexOf("text"));
  assert.equal(types.at(-1), "result");
  assert.equal(events.at(-1).answer, "done");
  assert.equal(events.find((e) => e.type === "tool_call_finished").result, "Echo: ping");
  assert.ok(types.includes("usage"));
});

Deno.test("one-shot reads the prompt from stdin with -p -", async () => {
  const { fake, env, config } = await setup(false);
  fake.reply({ chunks: openaiChunks({ text: ["4"] }) });
  const r = await runCli(["--config", config, "-p", "-", "--no-save"], {
    env,
    stdin: "what is 2+2?\n",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "4\n");
  const body = fake.requests[0].body as { messages: { content: string }[] };
  assert.equal(body.messages[0].content, "what is 2+2?");
});

Deno.test("one-shot --max-turns stops the loop and exits 1", async () => {
  const { fake, env, config } = await setup();
  fake.reply({ chunks: openaiChunks({ toolCalls: [echoCall] }) });
  const r = await runCli([
    "--config",
    config,
    "-p",
    "loop",
    "--yes",
    "--max-turns",
    "1",
    "--no-save",
  ], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /stopped after 1 model calls \(--max-turns\)/);
  assert.equal(fake.requests.length, 1);
});

Deno.test("one-shot: a provider error exits 1 with the provider and status named", async () => {
  const { fake, env, config } = await setup(false);
  fake.reply({ status: 401, json: openaiError("Incorrect API key provided") });
  const text = await runCli(["--config", config, "-p", "hi", "--no-save"], { env });
  assert.equal(text.code, 1);
  assert.match(text.stderr, /401/);
  fake.reply({ status: 401, json: openaiError("Incorrect API key provided") });
  const json = await runCli([
    "--config",
    config,
    "-p",
    "hi",
    "--output-format",
    "json",
    "--no-save",
  ], { env });
  assert.equal(json.code, 1);
  const error = JSON.parse(json.stderr.trim().split("\n").at(-1)!);
  assert.equal(error.error.exit_code, 1);
  assert.match(error.error.message, /401/);
});

Deno.test("one-shot: a provider that is down exits 1 after retries", async () => {
  const { env, config } = await setup(false);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const text = (await Deno.readTextFile(config)).replace(
    /base_url = ".*"/,
    `base_url = "http://127.0.0.1:${port}/v1"`,
  );
  await Deno.writeTextFile(config, text);
  const r = await runCli(["--config", config, "-p", "hi", "--no-save"], { env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /retrying/);
});

Deno.test("one-shot without a prompt is a usage error (exit 2)", async () => {
  const { env, config } = await setup(false);
  const r = await runCli(["--config", config, "-p", "", "--no-save"], { env, stdin: "" });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no prompt/);
});

Deno.test("one-shot: Ctrl-C (SIGINT) cancels the stream and exits 130", async () => {
  const { fake, env, config } = await setup(false);
  const chunks = openaiChunks({ text: ["partial ", "never"] });
  fake.reply({ chunks, hangAfter: 2 });
  const child = spawnCli(["--config", config, "-p", "hi", "--no-save"], env);
  const reader = child.stdout.getReader();
  let seen = "";
  while (!seen.includes("partial")) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += new TextDecoder().decode(value);
  }
  child.kill("SIGINT");
  reader.releaseLock();
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
    child.stdout.cancel(),
  ]);
  assert.equal(status.code, 130, stderr);
  assert.match(stderr, /interrupted/);
  await fake.requests[0].cancelled; // the HTTP stream was aborted, not left hanging
});

Deno.test("one-shot: a server's sampling request runs only with --yes", async () => {
  const sampling = {
    chunks: openaiChunks({
      toolCalls: [{
        id: "s1",
        name: "everything__trigger-sampling-request",
        args: { prompt: "Say hi", maxTokens: 20 },
      }],
    }),
  };
  const refused = await setup();
  refused.fake.reply(sampling, { chunks: openaiChunks({ text: ["No sample."] }) });
  const r1 = await runCli(
    ["--config", refused.config, "-p", "sample", "--allow-tool", "everything__*", "--no-save"],
    { env: refused.env },
  );
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stderr, /refused sampling request from everything \(allow it with --yes\)/);
  assert.equal(refused.fake.requests.length, 2, "the model was not called for the sample");

  const allowed = await setup();
  allowed.fake.reply(
    sampling,
    { chunks: openaiChunks({ text: ["sampled hello"] }) },
    { chunks: openaiChunks({ text: ["Done."] }) },
  );
  const r2 = await runCli(
    ["--config", allowed.config, "-p", "sample", "--yes", "--no-save", "--output-format", "json"],
    { env: allowed.env },
  );
  assert.equal(r2.code, 0, r2.stderr);
  const out = JSON.parse(r2.stdout);
  assert.match(out.tool_calls[0].result, /sampled hello/);
  assert.equal(out.answer, "Done.");
});

Deno.test("one-shot: a server that cannot list its tools is warned of once, not at every model call", async () => {
  const { fake, env, config } = await setup(
    true,
    `[mcp.servers.broken]\ncommand = "/nonexistent/mcp-server"\n`,
  );
  try {
    fake.reply(
      { chunks: openaiChunks({ toolCalls: [echoCall] }) },
      { chunks: openaiChunks({ text: ["done"] }) },
    );
    const r = await runCli(["--config", config, "-p", "echo ping", "--yes", "--no-save"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "done\n");
    assert.equal(fake.requests.length, 2, "two model calls, so two tool listings");
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning: broken:"));
    assert.equal(warnings.length, 1, r.stderr);
  } finally {
    await fake.close();
  }
});
