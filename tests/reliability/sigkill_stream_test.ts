/**
 * SIGKILL the whole mcpchat process in the middle of a streamed answer
 * (one-shot, real CLI): what the store acknowledged before the kill (the
 * user's message, the earlier turns) is there afterwards, the store opens
 * cleanly, and the session can be continued.
 */
import assert from "node:assert/strict";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { localChat, runCli, spawnCli } from "../_helpers/cli.ts";
import { recordFigure } from "./_figures.ts";

Deno.test("SIGKILL mid-stream: the acknowledged messages survive and the session continues", async () => {
  const { fake, env, config } = await localChat();

  try {
    // A first, complete turn: acknowledged for sure.
    fake.reply({ chunks: openaiChunks({ text: ["First answer."] }) });
    const first = await runCli(["--config", config, "-p", "first question"], { env });
    assert.equal(first.code, 0, first.stderr);
    // A second turn whose answer streams, then stalls: killed while it is on screen.
    fake.reply({
      chunks: openaiChunks({ text: ["Partial ", "answer ", "never ", "finished"] }),
      hangAfter: 3,
    });
    const child = spawnCli(["--config", config, "-c", "-p", "second question"], env);
    const decoder = new TextDecoder();
    let shown = "";
    for await (const chunk of child.stdout) {
      shown += decoder.decode(chunk, { stream: true });
      if (shown.includes("Partial")) break;
    }
    child.kill("SIGKILL");
    const status = await child.status;
    assert.equal(status.signal, "SIGKILL");
    await child.stderr.cancel();

    const list = await runCli(["--config", config, "sessions", "list", "--json"], { env });
    assert.equal(list.code, 0, list.stderr);
    const sessions = JSON.parse(list.stdout);
    const items = Array.isArray(sessions) ? sessions : sessions.sessions;
    assert.equal(items.length, 1, list.stdout);
    const show = await runCli(["--config", config, "sessions", "show", items[0].id, "--json"], {
      env,
    });
    assert.equal(show.code, 0, show.stderr);
    const contents = JSON.parse(show.stdout).recent.map((m: { content: unknown }) =>
      typeof m.content === "string" ? m.content : JSON.stringify(m.content)
    );
    assert.deepEqual(contents.slice(0, 3), ["first question", "First answer.", "second question"]);
    const partialKept = contents.some((c: string) => c.includes("Partial"));

    // The dead process's lease is taken over at once; the session carries on.
    fake.reply({ chunks: openaiChunks({ text: ["Third answer."] }) });
    const third = await runCli(["--config", config, "-c", "-p", "third question"], { env });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(third.stdout, "Third answer.\n");
    await recordFigure("sigkill_stream", {
      scenario: "SIGKILL of the CLI while an answer streams (one-shot, -c afterwards)",
      measure: "acknowledged messages checked",
      value: 3,
      lost: 0,
      note: partialKept
        ? "the partial answer shown before the kill was kept too"
        : "the partial answer shown before the kill is not stored (the store commits an answer when it ends)",
    });
  } finally {
    await fake.close();
  }
});
