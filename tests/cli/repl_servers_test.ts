/**
 * Servers' state as the REPL shows it (banner, `/mcp servers`, the `/tui`
 * status line) on a real terminal emulator (tmux), against a real server
 * that misbehaves: one tool with a schema nested too deep is set aside, so
 * the server is degraded, not ready.
 */
import assert from "node:assert/strict";
import { localChat } from "../_helpers/cli.ts";
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
