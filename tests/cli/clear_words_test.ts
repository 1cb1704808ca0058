/** Errors that say what is wrong and what to do: HTML endpoints, custom key variables, no backend. */
import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, PtySession, runCli } from "../_helpers/cli.ts";

Deno.test("a model endpoint that answers with an HTML page says so and names base_url", async () => {
  const fake = await FakeProvider.start("text/html");
  const env = await isolatedEnv();
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "local"\n[llm.retry]\nmax_attempts = 1\n[llm.backends.local]\n` +
      `type = "openai-compatible"\nbase_url = "${fake.url}/v1"\nmodel = "m"\n`,
  );
  for (const status of [200, 404]) {
    fake.reply({
      status,
      headers: { "content-type": "text/html; charset=utf-8" },
      chunks: ["<!DOCTYPE html><html><body>Welcome to nginx!</body></html>"],
    });
    const r = await runCli(["--config", config, "-p", "hi", "--no-save"], { env });
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: local returned an HTML page, not an API response: check base_url \\(${fake.url}/v1, HTTP ${status}\\)\\n$`,
      ),
    );
  }
  await fake.close();
});

Deno.test("a custom api_key_env that is set is not reported missing; one that is unset says which variable", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv({ CORP_LLM_KEY: "k-123" });
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "corp"\n[llm.backends.corp]\ntype = "openai-compatible"\n` +
      `base_url = "${fake.url}/v1"\nmodel = "m"\napi_key_env = "CORP_LLM_KEY"\n`,
  );
  const pty = await PtySession.start(["--config", config], { env });
  await pty.waitFor("Type /help");
  await pty.type("\x04");
  await pty.close();
  assert.doesNotMatch(pty.output, /no model yet|cannot be checked/);
  fake.reply({ chunks: openaiChunks({ text: ["ok"] }) });
  const r = await runCli(["--config", config, "-p", "hi", "--no-save"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fake.requests[0].headers.authorization, "Bearer k-123");

  const { CORP_LLM_KEY: _, ...without } = env;
  const unset = await runCli(["--config", config, "-p", "hi", "--no-save"], { env: without });
  assert.equal(unset.code, 2);
  assert.match(unset.stderr, /backend "corp" has no API key: set CORP_LLM_KEY/);
  await fake.close();
});

Deno.test("-p with no configured backend exits 2 (configuration) with what to set", async () => {
  const env = await isolatedEnv();
  const r = await runCli(["-p", "hi", "--no-save"], { env });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /backend "anthropic" has no API key: set ANTHROPIC_API_KEY/);
  const unknown = await runCli(["-b", "nope", "-p", "hi", "--no-save"], { env });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /there is no backend "nope"/);
});
