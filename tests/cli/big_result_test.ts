/**
 * A tool result larger than the context budget neither empties the prompt
 * nor makes the REPL forget the conversation: the model is sent it cut, with
 * a marker; the session keeps it whole; later turns carry the whole history.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, PtySession, runCli } from "../_helpers/cli.ts";

const FIXTURE = new URL("../fixtures/mcp/misbehaving.mjs", import.meta.url).pathname;

type Sent = { role: string; content: string | null; tool_calls?: unknown[] }[];

Deno.test("a 1 MB tool result, then three more turns: the history stays whole, the result is cut with a marker", async () => {
  const { fake, env, config } = await localChat(
    `[mcp.servers.big]\ncommand = "node"\nargs = ${JSON.stringify([FIXTURE, "big-result"])}\n`,
  );

  fake.reply(
    {
      chunks: openaiChunks({
        toolCalls: [{ id: "call_1", name: "big__dump", args: { size: 1_000_000 } }],
      }),
    },
    { chunks: openaiChunks({ text: ["Read it."] }) },
    { chunks: openaiChunks({ text: ["Answer two."] }) },
    { chunks: openaiChunks({ text: ["Answer three."] }) },
    { chunks: openaiChunks({ text: ["Answer four."] }) },
  );
  const pty = await PtySession.start(["--config", config, "--yes"], { env });
  await pty.waitFor("› ");
  let at = 0;
  for (
    const [question, answer] of [
      ["read the big file", "Read it."],
      ["second", "Answer two."],
      ["third", "Answer three."],
      ["fourth", "Answer four."],
    ]
  ) {
    await pty.type(`${question}\r`);
    at = await pty.waitFor(answer, at);
  }
  await pty.type("\x04");
  await pty.close();

  assert.equal(fake.requests.length, 5);
  const afterTool = (fake.requests[1].body as { messages: Sent }).messages;
  assert.deepEqual(afterTool.map((m) => m.role), ["user", "assistant", "tool"]);
  const cut = afterTool[2].content as string;
  assert.ok(cut.length < 200_000, `the model got ${cut.length} characters`);
  assert.match(cut, /\[mcpchat cut [\d,]+ of 1,000,000 characters of this tool result/);
  const last = (fake.requests[4].body as { messages: Sent }).messages;
  assert.deepEqual(last.map((m) => m.role), [
    "user",
    "assistant",
    "tool",
    "assistant",
    "user",
    "assistant",
    "user",
    "assistant",
    "user",
  ]);
  assert.equal(last[0].content, "read the big file");
  assert.equal(last.at(-1)!.content, "fourth");

  // The session keeps the whole result.
  const list = await runCli(["--config", config, "sessions", "list", "--json"], { env });
  const id = JSON.parse(list.stdout).sessions[0].id;
  const shown = await runCli(["--config", config, "sessions", "show", id, "--json"], { env });
  const tool = JSON.parse(shown.stdout).recent[2];
  assert.equal(tool.role, "tool");
  assert.equal(tool.content[0].content.result.length, 1_000_000);
  await fake.close();
});
