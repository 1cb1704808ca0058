import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, localChat, PtySession, runCli } from "../_helpers/cli.ts";

/** A local provider and the real server-everything. */
const setup = async () => localChat(await everythingToml());

Deno.test("tools list: the CLI offers sampling and elicitation, so servers show the tools that need them", async () => {
  const { fake, env, config } = await setup();
  try {
    const r = await runCli(["--config", config, "tools", "list", "everything"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /trigger-sampling-request/);
    assert.match(r.stdout, /trigger-elicitation-request/);
  } finally {
    await fake.close();
  }
});

Deno.test("tools call: a sampling request is answered by the model under --yes, refused with a hint without", async () => {
  const { fake, env, config } = await setup();
  try {
    fake.reply({ chunks: openaiChunks({ text: ["Hi from the model"] }) });
    const args = ["--config", config, "tools", "call", "everything", "trigger-sampling-request"];
    const approved = await runCli([...args, "prompt=Say hi", "maxTokens=20", "--yes"], { env });
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Hi from the model/);
    assert.match(approved.stderr, /everything asks the model \(up to 20 tokens\)/);

    const refused = await runCli([...args, "prompt=Say hi", "maxTokens=20"], { env });
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /refused sampling request from everything \(allow it with --yes\)/,
    );
  } finally {
    await fake.close();
  }
});

Deno.test("tools call: with nobody at a terminal, an elicitation form is declined and the user told why", async () => {
  const { fake, env, config } = await setup();
  try {
    const r = await runCli(
      ["--config", config, "tools", "call", "everything", "trigger-elicitation-request"],
      { env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /declined everything's request for input \(nobody to ask: not a terminal\)/,
    );
    assert.match(r.stdout, /declined/i);
  } finally {
    await fake.close();
  }
});

Deno.test("tools call at a terminal: an elicitation form starts on a clean line, not after the running… status", async () => {
  const { fake, env, config } = await setup();
  const pty = await PtySession.start(
    ["--config", config, "tools", "call", "everything", "trigger-elicitation-request"],
    { env },
  );
  try {
    // The server starts in more than the status line's delay: "running …" is drawn first.
    await pty.waitFor("Your full, legal name");
    const asked = pty.output.indexOf("? everything asks for input");
    assert.ok(asked > 0, pty.output);
    assert.doesNotMatch(pty.output.slice(0, asked), /running everything[^\r\n]*$/);
    await pty.type("/cancel\r");
    assert.equal((await pty.exited).code, 0, pty.output);
  } finally {
    await pty.close().catch(() => {});
    await fake.close();
  }
});
