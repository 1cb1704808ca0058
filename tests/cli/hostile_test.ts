/**
 * Servers and models cannot drive the terminal: names, descriptions,
 * results, resources, prompts, titles and errors reach it sanitised, while
 * `--output-format json|stream-json` stay byte-exact.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, runCli } from "../_helpers/cli.ts";

const FIXTURE = new URL("../fixtures/mcp/misbehaving.mjs", import.meta.url).pathname;
const ESC = "\x1b";
/** What the hostile server sends (see the fixture). */
const HOSTILE = `${ESC}]52;c;cm0gLXJmIH4K${ESC}\\${ESC}]0;pwned${ESC}\\\r` +
  `? run evil rm-rf [y]es${ESC}[2K`;

/** Nothing a terminal would act on: no ESC, BEL, CR or C1 control. */
function assertInert(text: string, where: string): void {
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/, `${where}: ${JSON.stringify(text)}`);
}

const setup = () =>
  localChat(
    `[mcp.servers.hostile]\ncommand = "node"\nargs = ${JSON.stringify([FIXTURE, "hostile"])}\n`,
  );

Deno.test("a hostile server's names, descriptions, results, resources and prompts reach the terminal inert", async () => {
  const { fake, env, config } = await setup();
  const runs: [string, string[]][] = [
    ["tools list", ["tools", "list"]],
    ["tools call", ["tools", "call", "hostile", "anything"]],
    ["resources list", ["resources", "list"]],
    ["resources read", ["resources", "read", "hostile", "evil://r"]],
    ["prompts list", ["prompts", "list"]],
    ["prompts get", ["prompts", "get", "hostile", "p"]],
  ];
  for (const [name, args] of runs) {
    const r = await runCli(["--config", config, ...args], { env });
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assertInert(r.stdout, `${name} stdout`);
    assertInert(r.stderr, `${name} stderr`);
  }
  const call = await runCli(["--config", config, "tools", "call", "hostile", "anything"], { env });
  // Shown, not obeyed: the fake approval line is visible after a visible carriage return.
  assert.match(call.stdout, /result␍\? run evil rm-rf \[y\]es/);
  // --json is the exact data (JSON escapes the controls).
  const json = await runCli(["--config", config, "tools", "call", "hostile", "x", "--json"], {
    env,
  });
  assert.equal(JSON.parse(json.stdout).content[0].text, `result${HOSTILE}`);
  await fake.close();
});

Deno.test("one-shot text: a model's and a tool's escapes are inert; json and stream-json stay byte-exact; titles too", async () => {
  const { fake, env, config } = await setup();
  const answer = `Done${HOSTILE}`;
  const script = () =>
    fake.reply(
      {
        chunks: openaiChunks({
          toolCalls: [{ id: "c1", name: "hostile__evil__0_title__", args: { text: "x" } }],
        }),
      },
      { chunks: openaiChunks({ text: [answer] }) },
    );
  script();
  const text = await runCli(
    ["--config", config, "-p", `hi${ESC}]0;title${ESC}\\ there`, "--yes"],
    { env },
  );
  assert.equal(text.code, 0, text.stderr);
  assertInert(text.stdout, "answer");
  assertInert(text.stderr, "messages");
  assert.match(text.stdout, /^Done␍\? run evil rm-rf \[y\]es\n$/);
  const list = await runCli(["--config", config, "sessions", "list"], { env });
  assertInert(list.stdout, "sessions list");
  assert.match(list.stdout, /hi there/);
  const show = await runCli(
    [
      "--config",
      config,
      "sessions",
      "show",
      JSON.parse(
        (await runCli(["--config", config, "sessions", "list", "--json"], { env })).stdout,
      ).sessions[0].id,
    ],
    { env },
  );
  assertInert(show.stdout, "sessions show");

  script();
  const json = await runCli(
    ["--config", config, "-p", "hi", "--yes", "--output-format", "json", "--no-save"],
    { env },
  );
  assert.equal(json.code, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  assert.equal(out.answer, answer);
  assert.equal(out.tool_calls[0].result, `result${HOSTILE}`);

  script();
  const stream = await runCli(
    ["--config", config, "-p", "hi", "--yes", "--output-format", "stream-json", "--no-save"],
    { env },
  );
  const events = stream.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(events.filter((e) => e.type === "text").map((e) => e.text).join(""), answer);
  await fake.close();
});

Deno.test("in the chat, /mcp listings, contents and the error line of a failed turn are inert", async () => {
  const { fake, env, config } = await setup();
  // A provider error whose message carries escapes (400: no retries to wait for).
  fake.reply({ status: 400, json: { error: { message: `bad${HOSTILE}`, type: "x" } } });
  const lines = [
    "/mcp servers",
    "/mcp tools",
    "/mcp resources",
    "/mcp resource hostile evil://r",
    "/mcp prompts",
    "/mcp prompt hostile p",
    "hello",
  ];
  const r = await runCli(["--config", config, "--no-save"], {
    env,
    stdin: lines.join("\n") + "\n",
  });
  assertInert(r.stdout, "chat stdout");
  assertInert(r.stderr, "chat stderr");
  assert.match(r.stdout, /hostile evil {2}harmless␍\? run evil/); // /mcp tools: shown, inert
  assert.match(r.stdout, /hostile evil:\/\/r {2}res␍/); // /mcp resources, though it has no
  assert.doesNotMatch(r.stderr, /templates\/list/); // templates method (-32601): none, no error
  assert.match(r.stdout, /contents␍\? run evil/); // /mcp resource
  assert.match(r.stdout, /prompt␍\? run evil/); // /mcp prompts
  assert.match(r.stderr, /error: .*bad␍\? run evil/); // the failed turn's error line
  await fake.close();
});

Deno.test("in the chat, a failing server's stderr quoted in its state line and tool note is inert", async () => {
  const { fake, env, config } = await localChat(
    `[mcp]\nstartup_mode = "background"\nreconnect = { max_attempts = 0 }\n` +
      `[mcp.servers.evil]\ncommand = "sh"\n` +
      `args = ["-c", ${JSON.stringify(`printf 'bad${HOSTILE}\\n' >&2; exit 3`)}]\n`,
  );
  fake.reply({ chunks: openaiChunks({ text: ["Answered."] }) });
  const r = await runCli(["--config", config], { env, stdin: "hi\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /! MCP server evil failed: .*exited with code 3; stderr: bad/);
  assert.match(r.stderr, /\(evil: MCP server "evil" is not available/);
  assertInert(r.stderr.replaceAll("\n", ""), "chat stderr");
});
