/**
 * Servers' state as the REPL shows it (banner, `/mcp servers`, the `/tui`
 * status line) on a real terminal emulator (tmux), against a real server
 * that misbehaves: one tool with a schema nested too deep is set aside, so
 * the server is degraded, not ready.
 */
import assert from "node:assert/strict";
import { localChat, runCli } from "../_helpers/cli.ts";
import { EVERYTHING } from "../mcp/helpers.ts";
import { startEverythingHttp } from "../mcp/everything_suite.ts";
import { TmuxSession } from "../_helpers/tmux.ts";

const FIXTURE = new URL("../fixtures/mcp/misbehaving.mjs", import.meta.url).pathname;
const server = (name: string, mode: string, startup: string) =>
  `[mcp.servers.${name}]\ncommand = "node"\nargs = ${
    JSON.stringify([FIXTURE, mode])
  }\nstartup_mode = "${startup}"\n`;

Deno.test("REPL: a degraded server says degraded in the banner, /mcp servers and the status line (tmux)", async () => {
  const { env, config } = await localChat(
    server("deep", "deep-schema", "eager") + server("good", "x", "eager"),
  );
  const tmux = await TmuxSession.start(["--config", config], env, 120, 30);
  try {
    let screen = await tmux.waitFor(/^›/m);
    assert.match(screen, /MCP: deep degraded, good ready/);
    await tmux.type("/mcp servers", "Enter");
    screen = await tmux.waitFor(/^good .*ready/m);
    assert.match(screen, /^deep .*ready, degraded: 1 tool set aside/m);
    await tmux.type("/tui", "Enter");
    screen = await tmux.waitFor(/MCP 1\/2 ready \(1 degraded\)/);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL: a server connected in the background that turns out degraded is announced and counted in the status line (tmux)", async () => {
  const { env, config } = await localChat(server("deep", "deep-schema", "background"));
  const tmux = await TmuxSession.start(["--config", config], env, 120, 30);
  try {
    await tmux.waitFor(/^›/m);
    await tmux.type("/tui", "Enter");
    await tmux.waitFor(/! MCP server deep degraded: 1 tool set aside/);
    await tmux.waitFor(/MCP 0\/1 ready \(1 degraded\)/);
    await tmux.type("/exit", "Enter");
    await tmux.waitFor(/nothing saved|mcpchat -r/);
  } finally {
    await tmux.close();
  }
});

Deno.test("REPL: /mcp import of a server on a new host leaves the running servers alone", async () => {
  const web = await startEverythingHttp("streamableHttp", EVERYTHING);
  try {
    const { env, config } = await localChat(server("good", "x", "eager"));
    // Claude Desktop's file, found by /mcp discover: a server on a host nothing reached yet.
    await Deno.mkdir(`${env.XDG_CONFIG_HOME}/Claude`, { recursive: true });
    await Deno.writeTextFile(
      `${env.XDG_CONFIG_HOME}/Claude/claude_desktop_config.json`,
      JSON.stringify({ mcpServers: { web: { url: `http://127.0.0.1:${web.port}/mcp` } } }),
    );
    const r = await runCli(["--config", config], {
      env,
      stdin: "/mcp servers\n/mcp discover\n/mcp import web\n/mcp connect web\n/mcp servers\n",
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^web +http +ready/m);
    assert.equal(r.stdout.match(/^good .*ready/gm)?.length, 2, r.stdout);
    // good's process ran on: no reconnecting, no crash of its transport.
    assert.doesNotMatch(r.stderr, /MCP server good|mcp-server:good|crashed/, r.stderr);
  } finally {
    await web.stop();
  }
});

Deno.test("REPL /mcp listings name the servers they wait for and report failed ones; /mcp discover shows each transport as the loader reads it", async () => {
  const { env, config } = await localChat(
    `[mcp.servers.bad]\ncommand = "mcpchat-no-such-command"\n` + server("good", "x", "lazy"),
  );
  await Deno.mkdir(`${env.XDG_CONFIG_HOME}/Claude`, { recursive: true });
  await Deno.writeTextFile(
    `${env.XDG_CONFIG_HOME}/Claude/claude_desktop_config.json`,
    JSON.stringify({
      mcpServers: {
        legacy: { url: "http://127.0.0.1:9/sse" },
        windsurf: { serverUrl: "https://example.com/mcp" },
        off: { command: "x", disabled: true },
      },
    }),
  );
  const r = await runCli(["--config", config], {
    env,
    stdin: "/mcp prompts\n/mcp tools good\n/mcp discover\n",
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^\(waiting for bad, good to connect; Ctrl-C stops waiting\)$/m);
  assert.match(r.stderr, /^bad: MCP server "bad" is not available .*command not found/m);
  assert.match(r.stdout, /^good fine +a normal tool$/m);
  assert.match(r.stdout, /^legacy +claude-desktop +sse +http:\/\/127\.0\.0\.1:9\/sse$/m);
  assert.match(r.stdout, /^windsurf +claude-desktop +http +https:\/\/example\.com\/mcp$/m);
  assert.match(r.stdout, /^off +claude-desktop +stdio +x +\(disabled\)$/m);
  // The same file given to --config: the loader reads the same transports.
  const list = await runCli(
    ["--config", `${env.XDG_CONFIG_HOME}/Claude/claude_desktop_config.json`, "servers", "list"],
    { env },
  );
  assert.match(list.stdout, /^legacy +sse +http:\/\/127\.0\.0\.1:9\/sse/m);
  assert.match(list.stdout, /^windsurf +http +https:\/\/example\.com\/mcp/m);
  assert.match(list.stdout, /^off +stdio +x +disabled/m);
});
