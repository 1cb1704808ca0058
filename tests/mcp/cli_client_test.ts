/**
 * The MCP subcommands as a client, through the real CLI process: servers
 * show every tool (sampling and elicitation advertised), every field they
 * sent is kept, blobs are saved, refusals are one clear message.
 */

import assert from "node:assert/strict";
import { everythingToml, isolatedEnv, localChat, runCli } from "../_helpers/cli.ts";

/** A local provider and the real server-everything. */
const setup = async () => localChat(await everythingToml());

Deno.test("tools list --json: sampling/elicitation tools are offered, every field is kept", async () => {
  const { fake, env, config } = await setup();
  try {
    const r = await runCli(["--config", config, "tools", "list", "--json"], { env });
    assert.equal(r.code, 0, r.stderr);
    const { tools } = JSON.parse(r.stdout) as { tools: Record<string, unknown>[] };
    const names = tools.map((t) => t.tool);
    assert.ok(names.includes("trigger-sampling-request"), names.join());
    assert.ok(names.includes("trigger-elicitation-request"), names.join());
    const research = tools.find((t) => t.tool === "simulate-research-query");
    assert.deepEqual(research?.execution, { taskSupport: "required" });
  } finally {
    await fake.close();
  }
});

Deno.test("resources read -o FILE saves a binary blob as its bytes", async () => {
  const { fake, env, config } = await setup();
  try {
    const file = `${env.HOME}/blob.bin`;
    const uri = "demo://resource/dynamic/blob/1";
    const r = await runCli(
      ["--config", config, "resources", "read", "everything", uri, "-o", file],
      {
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const bytes = await Deno.readFile(file);
    assert.match(r.stderr, new RegExp(`saved ${bytes.length} bytes \\(text/plain\\) to ${file}`));
    assert.match(new TextDecoder().decode(bytes), /^Resource 1: This is a base64 blob/);
    const shown = await runCli(["--config", config, "resources", "read", "everything", uri], {
      env,
    });
    assert.match(shown.stdout, new RegExp(`${bytes.length} bytes; save it with -o FILE`));
  } finally {
    await fake.close();
  }
});

Deno.test("an HTTP server answering 401 or 403: one clear message, no reconnect attempts", async () => {
  let posts = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    posts++;
    const status = new URL(req.url).pathname === "/deny/mcp" ? 403 : 401;
    return new Response("no", { status });
  });
  const env = await isolatedEnv();
  const config = `${env.HOME}/config.toml`;
  const base = `http://127.0.0.1:${server.addr.port}`;
  await Deno.writeTextFile(
    config,
    `[mcp.servers.locked]\nurl = "${base}/mcp"\n[mcp.servers.denied]\nurl = "${base}/deny/mcp"\n`,
  );
  try {
    const locked = await runCli(["--config", config, "tools", "list", "locked"], { env });
    assert.equal(locked.code, 1);
    assert.match(
      locked.stderr,
      /answered 401 Unauthorized: it needs credentials — set mcp\.servers\.locked\.headers/,
    );
    assert.match(locked.stderr, /\(failed: /);
    const before = posts;
    const denied = await runCli(["--config", config, "tools", "list", "denied"], { env });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /answered 403 Forbidden: the credentials were refused/);
    // One attempt, not five with backoff.
    assert.ok(posts - before <= 2, `${posts - before} requests`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("/mcp ping, log-level, complete, subscribe and unsubscribe in the REPL", async () => {
  const { fake, env, config } = await setup();
  try {
    const uri = "demo://resource/static/document/features.md";
    const r = await runCli(["--config", config], {
      env,
      stdin: [
        "/mcp ping everything",
        "/mcp log-level everything debug",
        "/mcp complete everything prompt completable-prompt department E",
        '/mcp complete everything prompt completable-prompt name "" department=Sales',
        `/mcp subscribe everything ${uri}`,
        `/mcp unsubscribe everything ${uri}`,
        "/mcp log-level loud",
        "/exit",
        "",
      ].join("\n"),
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /everything: pong in [\d.]+ ms/);
    assert.match(r.stdout, /log level debug: everything/);
    assert.match(r.stdout, /^Engineering\n/m); // no prompt on stdout when piped
    assert.match(r.stdout, /David\nEve\nFrank\n/);
    assert.match(r.stdout, new RegExp(`subscribed to ${uri}`));
    assert.match(r.stdout, new RegExp(`unsubscribed from ${uri}`));
    assert.match(r.stdout + r.stderr, /unknown level "loud": one of debug, info/);
  } finally {
    await fake.close();
  }
});
