/**
 * Keys typed while the REPL is busy (an answer streams, a tool waits for
 * approval) on a real terminal emulator (tmux): they are kept for the next
 * prompt, whatever else happens meanwhile (Ctrl-C, an approval key in the
 * same read).
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, localChat } from "../_helpers/cli.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

/** What the model received last in each request. */
const lastMessages = (requests: { body: unknown }[]) =>
  requests.map((r) => (r.body as { messages?: { content: string }[] }).messages?.at(-1)?.content);

Deno.test("REPL type-ahead: Ctrl-C cancels the answer only; what was typed meanwhile is at the next prompt (tmux)", async () => {
  const { fake, env, config } = await localChat();
  fake.reply(
    { chunks: openaiChunks({ text: ["streaming ", "forever"] }), hangAfter: 2 },
    { chunks: openaiChunks({ text: ["Got it."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config], env, 80, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("talk", "Enter");
    await tmux.waitFor(/streaming/);
    await tmux.type("typed during");
    await tmux.type("C-c");
    await tmux.waitFor(/cancelled[\s\S]*^› typed during$/m);
    await tmux.type(" and after", "Enter");
    await tmux.waitFor(/Got it\./);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
  assert.equal(lastMessages(fake.requests).at(-1), "typed during and after");
});

Deno.test("REPL type-ahead: keys in the same read as the approval key are kept for the next prompt (tmux, real server)", async () => {
  const { fake, env, config } = await localChat(
    `[mcp]\nstartup_mode = "background"\n${await everythingToml()}`,
  );
  fake.reply(
    {
      chunks: openaiChunks({
        toolCalls: [{ id: "c1", name: "everything__echo", args: { message: "hi" } }],
      }),
    },
    { chunks: openaiChunks({ text: ["Echoed."] }) },
    { chunks: openaiChunks({ text: ["Low noted."] }) },
  );
  const tmux = await TmuxSession.start(["--config", config], env, 100, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("echo hi", "Enter");
    await tmux.waitFor(/\[y\]es/);
    // One write: "y" answers the menu, "low⏎" is the next message.
    await tmux.type("ylow\r");
    await tmux.waitFor(/Low noted\./);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
  const sent = lastMessages(fake.requests);
  assert.equal(sent[1], "Echo: hi");
  assert.equal(sent[2], "low");
});
