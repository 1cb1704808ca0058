/**
 * One bad MCP server is that server's problem only: its pathological tools
 * are set aside with one message naming it, it shows as degraded, and the
 * other servers (and chat turns) keep working. An oversized reply fails its
 * request at once.
 */
import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { isolatedEnv, PtySession, runCli } from "../_helpers/cli.ts";
import { startFloodServer } from "../fixtures/mcp/flood_http.ts";

const FIXTURE = new URL("../fixtures/mcp/misbehaving.mjs", import.meta.url).pathname;

function server(name: string, mode: string): string {
  return `[mcp.servers.${name}]\ncommand = "node"\nargs = ${JSON.stringify([FIXTURE, mode])}\n`;
}

async function configWith(servers: string, llm?: FakeProvider) {
  const env = await isolatedEnv();
  const config = `${env.HOME}/config.toml`;
  // A long request timeout: an oversized reply must fail at once, not after it.
  let text = `[mcp]\nrequest_timeout_seconds = 600\n` + servers;
  if (llm) {
    text = `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
      `base_url = "${llm.url}/v1"\nmodel = "gpt-4.1"\n` + text;
  }
  await Deno.writeTextFile(config, text);
  return { env, config };
}

Deno.test("a tool schema nested 3,000 levels deep is set aside; the healthy server's tools are listed", async () => {
  const { env, config } = await configWith(server("deep", "deep-schema") + server("good", "x"));
  const r = await runCli(["--config", config, "tools", "list"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^good fine/m);
  assert.match(r.stdout, /^deep fine/m);
  assert.doesNotMatch(r.stdout, /^deep deep/m);
  const warnings = r.stderr.split("\n").filter((l) => l.includes("degraded"));
  assert.deepEqual(warnings, [
    "warning: deep degraded: 1 tool set aside (deep: nested deeper than 64 levels)",
  ]);
  assert.doesNotMatch(r.stderr, /call stack/);
});

Deno.test("a one-shot chat turn works beside a server with a 3,000-level schema", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  const { env, config } = await configWith(
    server("deep", "deep-schema") + server("good", "x"),
    fake,
  );
  fake.reply({ chunks: openaiChunks({ text: ["fine"] }) });
  const r = await runCli(["--config", config, "-p", "hello", "--no-save"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "fine\n");
  assert.match(r.stderr, /deep: 1 tool set aside \(deep: nested deeper than 64 levels\)/);
  const tools = (fake.requests[0].body as { tools: { function: { name: string } }[] }).tools
    .map((t) => t.function.name).sort();
  assert.deepEqual(tools, ["deep__fine", "good__fine"]);
  await fake.close();
});

Deno.test("tens of thousands of tools, or a 2 MB schema: set aside with the reason", async () => {
  const { env, config } = await configWith(
    server("many", "many-tools") + server("wide", "huge-schema"),
  );
  const r = await runCli(["--config", config, "tools", "list"], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: many degraded: offers 30,000 tools \(more than 2,000\)/);
  assert.match(r.stderr, /warning: wide degraded: 1 tool set aside \(wide: larger than 256 KB\)/);
  assert.match(r.stdout, /^wide fine/m);
});

Deno.test("a reply over 10 MB fails its request at once, naming the server", async () => {
  const { env, config } = await configWith(server("flood", "huge-reply"));
  const r = await runCli(["--config", config, "tools", "call", "flood", "flood"], {
    env,
    timeoutMs: 90_000,
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /reply from flood exceeded 10 MB/);
  assert.doesNotMatch(r.stderr, /timed out/i);
  // The server still answers afterwards.
  const again = await runCli(["--config", config, "tools", "call", "flood", "fine", "text=hi"], {
    env,
  });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /ok hi/);
});

for (
  const [transport, path, type] of [
    ["streamable HTTP, JSON reply", "/mcp", "http"],
    ["streamable HTTP, SSE reply", "/mcp?sse=1", "http"],
    ["legacy SSE", "/sse", "sse"],
  ] as const
) {
  Deno.test(`a reply over 10 MB over ${transport} fails its request at once, naming the server`, async () => {
    const flood = startFloodServer();
    try {
      const { env, config } = await configWith(
        `[mcp.servers.flood]\ntype = "${type}"\nurl = "${flood.url}${path}"\n`,
      );
      const r = await runCli(["--config", config, "tools", "call", "flood", "flood"], {
        env,
        timeoutMs: 90_000,
      });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /reply from flood exceeded 10 MB \(11\.0 MB\)/);
      assert.doesNotMatch(r.stderr, /timed out/i);
      const again = await runCli(
        ["--config", config, "tools", "call", "flood", "fine", "text=hi"],
        { env },
      );
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /ok hi/);
    } finally {
      await flood.close();
    }
  });
}

Deno.test("doctor and /mcp servers show a server with tools set aside as degraded", async () => {
  const { env, config } = await configWith(server("deep", "deep-schema") + server("good", "x"));
  const doctor = await runCli(["--config", config, "doctor", "--json"], { env });
  const checks = JSON.parse(doctor.stdout).checks as {
    area: string;
    name: string;
    status: string;
    detail: string;
  }[];
  const deep = checks.find((c) => c.area === "mcp" && c.name === "deep")!;
  assert.equal(deep.status, "warn");
  assert.match(deep.detail, /^degraded: 1 tool set aside/);
  assert.equal(checks.find((c) => c.area === "mcp" && c.name === "good")!.status, "ok");

  const pty = await PtySession.start(["--config", config], { env });
  await pty.waitFor("› ");
  await pty.type("/mcp tools\r");
  let at = await pty.waitFor(/good(?:__| )fine/);
  await pty.type("/mcp servers\r");
  at = await pty.waitFor(/deep .*degraded: 1 tool set aside/, at);
  await pty.type("\x04");
  await pty.close();
});
