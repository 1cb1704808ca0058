import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { PEERS } from "../mcp/helpers.ts";
import { cliArgs, isolatedEnv } from "../_helpers/cli.ts";
import { serveConfig, serveHttp } from "./_helpers.ts";

const INSPECTOR_DIR = `${PEERS}@modelcontextprotocol/inspector-cli/build`;
const INSPECTOR = `${INSPECTOR_DIR}/index.js`;

/** Runs `mcp-inspector-cli TARGET… ARGS…` and parses its JSON output. */
async function inspect(
  target: string[],
  args: string[],
  env: Record<string, string>,
): Promise<Record<string, unknown>> {
  const out = await new Deno.Command("node", {
    args: [INSPECTOR, ...target, ...args],
    // It finds its own package.json relative to the working directory.
    cwd: INSPECTOR_DIR,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(
    out.code,
    0,
    `${args.join(" ")}\n${stdout}\n${new TextDecoder().decode(out.stderr)}`,
  );
  return JSON.parse(stdout);
}

/** The same walk through every tool, resource and prompt, over one transport. */
async function walk(
  target: string[],
  fake: FakeProvider,
  env: Record<string, string>,
): Promise<void> {
  const tools = await inspect(target, ["--method", "tools/list"], env);
  const names = (tools.tools as { name: string }[]).map((t) => t.name).sort();
  assert.deepEqual(names, [
    "chat",
    "clear_history",
    "get_history",
    "list_servers",
    "list_sessions",
    "new_session",
    "switch_backend",
  ]);
  fake.reply({ chunks: openaiChunks({ text: ["inspected"] }) });
  const chat = await inspect(target, [
    "--method",
    "tools/call",
    "--tool-name",
    "chat",
    "--tool-arg",
    "message=hello inspector",
  ], env);
  const answer = chat.structuredContent as { answer: string; session_id: string };
  assert.equal(answer.answer, "inspected");
  const id = answer.session_id;
  for (
    const [tool, args] of [
      ["list_sessions", []],
      ["get_history", [`session_id=${id}`]],
      ["new_session", ["title=from inspector"]],
      ["switch_backend", ["backend=other"]],
      ["list_servers", []],
      ["clear_history", [`session_id=${id}`]],
    ] as const
  ) {
    const result = await inspect(target, [
      "--method",
      "tools/call",
      "--tool-name",
      tool,
      ...(args.length ? ["--tool-arg", ...args] : []),
    ], env);
    assert.notEqual(result.isError, true, `${tool}: ${JSON.stringify(result)}`);
  }
  const resources = await inspect(target, ["--method", "resources/list"], env);
  assert.ok(
    (resources.resources as { uri: string }[]).some((r) => r.uri === `chat://session/${id}`),
  );
  const templates = await inspect(target, ["--method", "resources/templates/list"], env);
  assert.equal(
    (templates.resourceTemplates as { uriTemplate: string }[])[0].uriTemplate,
    "chat://session/{id}",
  );
  const read = await inspect(target, [
    "--method",
    "resources/read",
    "--uri",
    `chat://session/${id}`,
  ], env);
  assert.match(JSON.stringify(read.contents), new RegExp(id));
  const prompts = await inspect(target, ["--method", "prompts/list"], env);
  assert.equal((prompts.prompts as unknown[]).length, 3);
  const prompt = await inspect(target, [
    "--method",
    "prompts/get",
    "--prompt-name",
    "explain",
    "--prompt-args",
    "topic=closures",
    "level=beginner",
  ], env);
  assert.match(JSON.stringify(prompt.messages), /closures/);
  await inspect(target, ["--method", "logging/setLevel", "--log-level", "debug"], env);
}

Deno.test("inspector-cli against serve --http: every tool, resource and prompt", async () => {
  const served = await serveHttp();
  try {
    await walk([served.url], served.fake, served.env);
  } finally {
    await served.stop();
  }
});

Deno.test("inspector-cli against serve's legacy SSE endpoint: every tool, resource and prompt", async () => {
  const served = await serveHttp();
  try {
    await walk([served.url.replace(/\/mcp$/, "/sse")], served.fake, served.env);
  } finally {
    await served.stop();
  }
});

Deno.test("inspector-cli against serve --stdio: every tool, resource and prompt", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv();
  const config = await serveConfig(fake, env);
  try {
    await walk(
      [Deno.execPath(), ...cliArgs(["serve", "--stdio", "--config", config])],
      fake,
      env,
    );
  } finally {
    await fake.close();
  }
});
