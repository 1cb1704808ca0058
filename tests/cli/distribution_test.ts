import assert from "node:assert/strict";
import { isolatedEnv, peersConfig, ROOT } from "../_helpers/cli.ts";
import { VERSION } from "../../lib/cli/version.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";

async function run(
  args: string[],
  cwd: string,
  env?: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  env ??= await isolatedEnv();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code, stdout: d.decode(stdout), stderr: d.decode(stderr) };
}

Deno.test("runs from a file:// URL outside the checkout (deno.json found beside main.ts)", async () => {
  const elsewhere = await Deno.makeTempDir();
  const url = new URL("../../main.ts", import.meta.url).href;
  const version = await run(["run", "--no-prompt", "-A", url, "--version"], elsewhere);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `mcpchat ${VERSION}\n`);
  // Workers (config, MCP manager, transport) resolve from the same URLs.
  const config = await peersConfig(["everything"]);
  const call = await run(
    [
      "run",
      "--no-prompt",
      "-A",
      url,
      "--config",
      config,
      "tools",
      "call",
      "everything",
      "echo",
      "message=far",
    ],
    elsewhere,
  );
  assert.equal(call.code, 0, call.stderr);
  assert.equal(call.stdout, "Echo: far\n");
});

/**
 * Serves the checkout the way a plain static file server does: the media type
 * from the extension, and for `.ts` one Deno does not know
 * (`python3 -m http.server` on Debian says `text/vnd.trolltech.linguist`).
 */
function staticServer(): Deno.HttpServer<Deno.NetAddr> {
  const types: Record<string, string> = {
    ".ts": "text/vnd.trolltech.linguist",
    ".json": "application/json",
    ".lock": "application/octet-stream",
  };
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const body = await Deno.readFile(ROOT + path.slice(1));
      const ext = path.slice(path.lastIndexOf("."));
      return new Response(body, {
        headers: { "content-type": types[ext] ?? "application/octet-stream" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

Deno.test("runs from an http:// URL with one short line, served by a plain static server", async () => {
  const server = staticServer();
  try {
    const main = `http://127.0.0.1:${server.addr.port}/main.ts`;
    const env = await isolatedEnv();
    const elsewhere = await Deno.makeTempDir();
    const version = await run(["run", "-A", main, "--version"], elsewhere, env);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `mcpchat ${VERSION}\n`);
    assert.match(version.stderr, /mcpchat: fetching http:\/\/127\.0\.0\.1:\d+\//);
    // Workers (config, MCP manager, transport) run from the same local copy.
    const config = await peersConfig(["everything"]);
    const call = await run(
      [
        "run",
        "-A",
        main,
        "--config",
        config,
        "tools",
        "call",
        "everything",
        "echo",
        "message=remote",
      ],
      elsewhere,
      env,
    );
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, "Echo: remote\n");
    assert.doesNotMatch(call.stderr, /fetching/, "the copy is made once per version");
    // The LLM worker imports its provider's module from the copy too (lib/llm/providers/).
    const fake = await FakeProvider.start("text/event-stream");
    try {
      const chatConfig = `${env.HOME}/chat.toml`;
      await Deno.writeTextFile(
        chatConfig,
        `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
          `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n`,
      );
      fake.reply({ chunks: openaiChunks({ text: ["hi from ", "the copy"] }) });
      const said = await run(
        ["run", "-A", main, "--config", chatConfig, "-p", "say hi", "--no-save"],
        elsewhere,
        env,
      );
      assert.equal(said.code, 0, said.stderr);
      assert.equal(said.stdout, "hi from the copy\n");
    } finally {
      await fake.close();
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("started without deno.json, even --version says what is missing and what to run", async () => {
  const main = new URL("../../main.ts", import.meta.url);
  const r = await run(
    ["run", "--no-config", "-A", main.href, "--version"],
    await Deno.makeTempDir(),
  );
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /started without the import map of deno.json and --unstable-kv/);
  assert.ok(
    r.stderr.includes(`deno run --no-prompt -A --config ${ROOT}deno.json ${main.pathname}`),
    r.stderr,
  );
});

Deno.test("started without --unstable-worker-options, --version names it instead of a later exit 70", async () => {
  const main = new URL("../../main.ts", import.meta.url);
  const elsewhere = await Deno.makeTempDir();
  // The import map and --unstable-kv spelled out, the worker flag forgotten.
  const base = ["run", "--no-prompt", "-A", "--no-config", "--import-map", `${ROOT}deno.json`];
  const r = await run([...base, "--unstable-kv", main.href, "--version"], elsewhere);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /started without --unstable-worker-options;/);
  assert.ok(r.stderr.includes(`--config ${ROOT}deno.json ${main.pathname}`), r.stderr);
  // A config without it is named too; with both flags it runs.
  const other = await Deno.makeTempFile({ suffix: ".json" });
  await Deno.writeTextFile(other, JSON.stringify({ unstable: ["kv"] }));
  const config = await run(
    [
      "run",
      "--no-prompt",
      "-A",
      "--config",
      other,
      "--import-map",
      `${ROOT}deno.json`,
      main.href,
      "-V",
    ],
    elsewhere,
  );
  assert.equal(config.code, 2, config.stderr);
  assert.match(config.stderr, /started without --unstable-worker-options;/);
  const both = await run(
    [...base, "--unstable-kv", "--unstable-worker-options", main.href, "--version"],
    elsewhere,
  );
  assert.equal(both.code, 0, both.stderr);
  assert.equal(both.stdout, `mcpchat ${VERSION}\n`);
});

Deno.test("the package is ready for JSR: deno publish --dry-run passes", async () => {
  const { code, stderr, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /Dry run complete/);
  assert.doesNotMatch(text, /tests\/fixtures/, "test files are not published");
});
