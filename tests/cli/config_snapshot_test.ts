/** The config snapshot: kept by one one-shot run, used by the next while its inputs hold. */
import assert from "node:assert/strict";
import {
  RACY_MS,
  readConfigSnapshot,
  snapshotKey,
  snapshotPath,
  writeConfigSnapshot,
} from "../../lib/cli/config_snapshot.ts";
import type { Config } from "../../lib/config/schema.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { everythingToml, type LocalChat, localChat, runCli } from "../_helpers/cli.ts";

/** A config as the config service returns it (only its shape matters here). */
const aConfig: Config = JSON.parse('{"llm": {"default": "local"}}');
const longAgo = () => Date.now() + RACY_MS * 10;

Deno.test("snapshot: read back while the files and variables hold, owner-only", async () => {
  const dir = await Deno.makeTempDir();
  const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache`, OPENAI_BASE_URL: "http://a" };
  const file = `${dir}/config.toml`;
  const servers = `${dir}/servers.json`;
  await Deno.writeTextFile(file, "# one\n");
  await Deno.writeTextFile(servers, "{}");
  const loaded = { config: aConfig, sources: [file, servers], warnings: ["w"] };
  assert.ok(await writeConfigSnapshot(env, file, file, loaded, longAgo()));
  const path = await snapshotPath(env, file);
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  assert.deepEqual(await readConfigSnapshot(env, file), loaded);
  // Another --config argument has its own snapshot.
  assert.equal(await readConfigSnapshot(env, ""), undefined);
  // A variable the loader reads, changed.
  assert.equal(await readConfigSnapshot({ ...env, OPENAI_BASE_URL: "http://b" }, file), undefined);
  assert.equal(await readConfigSnapshot({ ...env, MCPCHAT_LLM_MAX_TOKENS: "9" }, file), undefined);
  // A variable it does not read: same inputs.
  assert.deepEqual(await readConfigSnapshot({ ...env, UNRELATED: "x" }, file), loaded);
  // A second file it read, edited.
  await Deno.writeTextFile(servers, "{ }");
  assert.equal(await readConfigSnapshot(env, file), undefined);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("snapshot: the default config file counts even while it does not exist", async () => {
  const dir = await Deno.makeTempDir();
  const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache` };
  const candidate = `${dir}/.config/mcpchat/config.toml`;
  const loaded = { config: aConfig, sources: [], warnings: [] };
  assert.ok(await writeConfigSnapshot(env, "", candidate, loaded, longAgo()));
  assert.deepEqual(await readConfigSnapshot(env, ""), loaded);
  await Deno.mkdir(`${dir}/.config/mcpchat`, { recursive: true });
  await Deno.writeTextFile(candidate, "[llm]\n");
  assert.equal(await readConfigSnapshot(env, ""), undefined, "the new file is read instead");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("snapshot: not kept for a secret from the environment, nor for a racy file", async () => {
  const dir = await Deno.makeTempDir();
  const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache` };
  const file = `${dir}/config.toml`;
  await Deno.writeTextFile(file, "# one\n");
  const secret = { config: aConfig, sources: [file, "$MCPCHAT_MCP_SERVER_TOKEN"], warnings: [] };
  assert.equal(await writeConfigSnapshot(env, file, file, secret, longAgo()), false);
  const plain = { config: aConfig, sources: [file, "$MCPCHAT_LLM_MAX_TOKENS"], warnings: [] };
  assert.equal(
    await writeConfigSnapshot(env, file, file, plain, Date.now()),
    false,
    "modified just before the load began: the load may have read either version",
  );
  assert.equal(await readConfigSnapshot(env, file), undefined);
  assert.ok(await writeConfigSnapshot(env, file, file, plain, longAgo()));
  assert.deepEqual(await readConfigSnapshot(env, file), plain);
  // Whatever else is in its place reads as none.
  for (const junk of ["{", "[]", '{"key": "k", "files": [], "loaded": {}}']) {
    await Deno.writeTextFile(await snapshotPath(env, file), junk);
    assert.equal(await readConfigSnapshot(env, file), undefined, junk);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("snapshot key: holds digests, never values", async () => {
  const key = await snapshotKey([], { OPENAI_API_KEY: "sk-secret" }, "");
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.notEqual(await snapshotKey([], { OPENAI_API_KEY: "sk-other" }, ""), key);
});

/** Runs `-p` with the start-up profile on; returns the answer and the profile. */
async function oneShot(chat: LocalChat, extraEnv: Record<string, string> = {}) {
  chat.fake.reply({ chunks: openaiChunks({ text: ["hi ", "there"] }) });
  const r = await runCli(["--config", chat.config, "-p", "say hi", "--no-save"], {
    env: { ...chat.env, MCPCHAT_STARTUP_PROFILING: "1", ...extraEnv },
  });
  assert.equal(r.code, 0, r.stderr);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** The body of the provider's last request. */
function lastRequest(chat: LocalChat): { model?: string; max_tokens?: number } {
  const body = chat.fake.requests.at(-1)?.body;
  assert.ok(typeof body === "object" && body !== null, "a JSON request");
  return body;
}

/** Dates the config back, as a config written some time before the run is. */
async function age(file: string) {
  const then = new Date(Date.now() - 3_600_000);
  await Deno.utime(file, then, then);
}

Deno.test("one-shot: the next run takes its config from the snapshot, with no config worker", async () => {
  // A key stored in the file gives a warning, which every run must still print.
  const chat = await localChat('api_key = "sk-in-the-file"\n');
  try {
    await age(chat.config);
    const first = await oneShot(chat);
    assert.equal(first.stdout, "hi there\n");
    assert.match(first.stderr, /config worker ready/);
    assert.match(first.stderr, /warning: .*api_key/);
    assert.ok(await readConfigSnapshot(chat.env, chat.config), "the first run kept one");

    const second = await oneShot(chat);
    assert.equal(second.stdout, "hi there\n");
    assert.match(second.stderr, /config snapshot current/);
    assert.doesNotMatch(second.stderr, /config worker ready/);
    assert.match(second.stderr, /warning: .*api_key/, "the warning is shown again");
    assert.equal(lastRequest(chat).model, "gpt-4.1");

    // An edit is read by the config service at once, and kept once it is old enough.
    const edited = (await Deno.readTextFile(chat.config)).replace('"gpt-4.1"', '"gpt-edited"');
    await Deno.writeTextFile(chat.config, edited);
    const third = await oneShot(chat);
    assert.match(third.stderr, /config worker ready/);
    assert.equal(lastRequest(chat).model, "gpt-edited");
    assert.equal(await readConfigSnapshot(chat.env, chat.config), undefined, "racy: not kept");
    await age(chat.config);
    await oneShot(chat);
    const fifth = await oneShot(chat);
    assert.match(fifth.stderr, /config snapshot current/);
    assert.equal(lastRequest(chat).model, "gpt-edited");

    // A setting from the environment: the config service reads it.
    const sixth = await oneShot(chat, { MCPCHAT_LLM_MAX_TOKENS: "77" });
    assert.match(sixth.stderr, /config worker ready/);
    assert.equal(lastRequest(chat).max_tokens, 77);
  } finally {
    await chat.fake.close();
  }
});

Deno.test("one-shot: a token from the environment never reaches the snapshot", async () => {
  const chat = await localChat();
  try {
    await age(chat.config);
    await oneShot(chat, { MCPCHAT_MCP_SERVER_TOKEN: "tok-do-not-store" });
    assert.equal(
      await readConfigSnapshot(
        { ...chat.env, MCPCHAT_MCP_SERVER_TOKEN: "tok-do-not-store" },
        chat.config,
      ),
      undefined,
    );
    for await (const entry of Deno.readDir(`${chat.env.XDG_CACHE_HOME}/mcpchat`)) {
      if (!entry.isFile) continue;
      const text = await Deno.readTextFile(`${chat.env.XDG_CACHE_HOME}/mcpchat/${entry.name}`);
      assert.doesNotMatch(text, /tok-do-not-store/, entry.name);
    }
  } finally {
    await chat.fake.close();
  }
});

Deno.test("one-shot with a server: from a snapshot its process starts at once, and the tool runs", async () => {
  const chat = await localChat(`${await everythingToml()}`);
  const echo = { id: "call_1", name: "everything__echo", args: { message: "from the snapshot" } };
  const run = async (extraArgs: string[] = []) => {
    chat.fake.reply(
      { chunks: openaiChunks({ toolCalls: [echo] }) },
      { chunks: openaiChunks({ text: ["done"] }) },
    );
    return await runCli(
      ["--config", chat.config, "-p", "echo", "--yes", "--no-save", ...extraArgs],
      { env: { ...chat.env, MCPCHAT_STARTUP_PROFILING: "1" } },
    );
  };
  try {
    await age(chat.config);
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, "done\n");
    assert.match(second.stderr, /config snapshot current/);
    assert.match(second.stderr, /mcp servers spawned/);
    // The tool's answer went back to the model.
    assert.match(JSON.stringify(chat.fake.requests.at(-1)?.body), /Echo: from the snapshot/);
    // An unconfigured backend stops the run at once: no server is started for it.
    const unconfigured = await runCli(
      ["--config", chat.config, "-p", "echo", "--no-save", "--backend", "anthropic"],
      { env: { ...chat.env, MCPCHAT_STARTUP_PROFILING: "1" } },
    );
    assert.equal(unconfigured.code, 2, unconfigured.stderr);
    assert.match(unconfigured.stderr, /config snapshot current/);
    assert.doesNotMatch(unconfigured.stderr, /mcp servers spawned/);
  } finally {
    await chat.fake.close();
  }
});

Deno.test("one-shot: a key variable the config service cannot read is checked on every run", async () => {
  // MY_CUSTOM_KEY is not among the variables the config worker may read: the command
  // settles whether the backend is configured, in each run, snapshot or not.
  const chat = await localChat('api_key_env = "MY_CUSTOM_KEY"\n');
  try {
    await age(chat.config);
    const first = await oneShot(chat, { MY_CUSTOM_KEY: "set" });
    assert.equal(first.stdout, "hi there\n");
    assert.ok(await readConfigSnapshot(chat.env, chat.config));
    const second = await oneShot(chat, { MY_CUSTOM_KEY: "set" });
    assert.match(second.stderr, /config snapshot current/);
    const unset = await runCli(["--config", chat.config, "-p", "say hi", "--no-save"], {
      env: { ...chat.env, MCPCHAT_STARTUP_PROFILING: "1" },
    });
    assert.match(unset.stderr, /config snapshot current/);
    assert.equal(unset.code, 2, unset.stderr);
    assert.match(unset.stderr, /MY_CUSTOM_KEY/);
  } finally {
    await chat.fake.close();
  }
});
