/**
 * `@path` attachments that cannot be attached stop the message: it is not
 * sent without them, and the error says why (through the real CLI, input
 * piped).
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, runCli } from "../_helpers/cli.ts";

Deno.test("chat: @/nonexistent says there is no such file and the message is not sent", async () => {
  const { fake, env, config } = await localChat();
  fake.reply({ chunks: openaiChunks({ text: ["Plain answer."] }) });
  const r = await runCli(["--config", config], {
    env,
    stdin: "explain @/nonexistent/notes.txt\nhello @someone\n",
  });
  assert.match(r.stderr, /@\/nonexistent\/notes\.txt: no such file/);
  assert.match(r.stderr, /not sent/);
  // Only the second message reached the model (a word like @someone is only text).
  assert.equal(fake.requests.length, 1);
  const sent = (fake.requests[0].body as { messages: { content: string }[] }).messages.at(-1);
  assert.equal(sent?.content, "hello @someone");
  assert.equal(r.code, 1, "a message was not answered");
});

Deno.test("chat: a file over 256 KiB is refused with the limit and the message is not sent", async () => {
  const { fake, env, config } = await localChat();
  const big = `${env.HOME}/big.txt`;
  await Deno.writeTextFile(big, "x".repeat(300 * 1024));
  const r = await runCli(["--config", config], { env, stdin: `summarise @${big}\n` });
  assert.match(r.stderr, /big\.txt: 300 KiB, over the 256 KiB limit/);
  assert.match(r.stderr, /not sent/);
  assert.equal(fake.requests.length, 0);
  assert.equal(r.code, 1);
});
