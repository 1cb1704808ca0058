/**
 * The chat with its input piped (`printf 'hi\n' | mcpchat`): stdout holds
 * the answers only (no prompts), and the exit code says whether every
 * message was answered.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, localChat, runCli } from "../_helpers/cli.ts";

Deno.test("piped chat: stdout has the answers and no prompt; exit 0 when every message was answered", async () => {
  const { fake, env, config } = await localChat();
  fake.reply(
    { chunks: openaiChunks({ text: ["First answer."] }) },
    { chunks: openaiChunks({ text: ["Second answer."] }) },
  );
  const r = await runCli(["--config", config], { env, stdin: "hi\nagain\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /›/);
  assert.match(r.stdout, /First answer\.[\s\S]*Second answer\./);
});

Deno.test("piped chat: exit 1 when a message failed (the provider answers 500)", async () => {
  const { fake, env, config } = await localChat();
  fake.reply(
    { status: 500, json: { error: { message: "the model is down" } } },
    { status: 500, json: { error: { message: "the model is down" } } },
    { status: 500, json: { error: { message: "the model is down" } } },
    { status: 500, json: { error: { message: "the model is down" } } },
  );
  const r = await runCli(["--config", config], { env, stdin: "hi\n" });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /error/);
  assert.doesNotMatch(r.stdout, /›/);
});

Deno.test("piped chat: exit 1 when there is no model to send to (no key)", async () => {
  const env = await isolatedEnv();
  const r = await runCli([], { env, stdin: "hi\n" });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /no model configured/);
  assert.equal(r.stdout, "");
});

Deno.test("a server that cannot list its tools is said once in the chat, not at every model call", async () => {
  const noisy = new URL("../fixtures/mcp/noisy_server.mjs", import.meta.url).pathname;
  const { fake, env, config } = await localChat(
    `[mcp.servers.bad]\ncommand = "mcpchat-no-such-command"\n` +
      `[mcp.servers.noisy]\ncommand = "node"\nargs = ["${noisy}"]\n` +
      `[tools]\nallow = ["noisy__*"]\n`,
  );
  fake.reply(
    {
      chunks: openaiChunks({
        toolCalls: [{ id: "c1", name: "noisy__shout", args: { text: "a" } }],
      }),
    },
    { chunks: openaiChunks({ text: ["Shouted."] }) },
    { chunks: openaiChunks({ text: ["Second answer."] }) },
  );
  const r = await runCli(["--config", config], { env, stdin: "shout\nagain\n" });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Shouted\.[\s\S]*Second answer\./);
  // Three model calls, each listing tools: the failure is told once.
  assert.equal(fake.requests.length, 3);
  const told = r.stderr.match(/\(bad: .*command not found: mcpchat-no-such-command/g) ?? [];
  assert.equal(told.length, 1, r.stderr);
});
