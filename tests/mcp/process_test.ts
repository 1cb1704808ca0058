import assert from "node:assert/strict";
import { type StdioExit, StdioProcess } from "../../lib/mcp/stdio_process.ts";
import { alive, harness, until, within } from "./helpers.ts";

const FIXTURES = new URL("../fixtures/mcp/", import.meta.url).pathname;
const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

Deno.test("stdio process: a server ignoring EOF and SIGTERM is SIGKILLed after the grace periods", async () => {
  let exit: StdioExit | undefined;
  let ready!: () => void;
  const handlersInstalled = new Promise<void>((resolve) => (ready = resolve));
  const p = StdioProcess.spawn({
    name: "stubborn",
    command: "node",
    args: [`${FIXTURES}stubborn.mjs`],
    env: { PATH },
    killGraceMs: 300,
  }, { onLine: (line) => line === "ready" && ready(), onExit: (e) => (exit = e) });
  await within(handlersInstalled, 10_000, "the server's ready line");
  const result = await within(p.stop(), 5_000, "stop");
  assert.equal(result.signal, "SIGKILL");
  assert.equal(result.requested, true);
  assert.equal(alive(p.pid), false);
  await until(() => exit !== undefined, 1_000, "onExit");
});

Deno.test("stdio process: with stdinGraceMs 0 a server ignoring EOF gets SIGTERM at once, not after the grace", async () => {
  // `sleep 5` never reads stdin and would exit 0 by itself long before the 60 s grace
  // ends: a SIGTERM exit shows the signal came right after stdin closed.
  const p = StdioProcess.spawn({
    name: "sleeper",
    command: "sleep",
    args: ["5"],
    env: { PATH },
    killGraceMs: 60_000,
    stdinGraceMs: 0,
  }, { onLine: () => {}, onExit: () => {} });
  const result = await within(p.stop(), 10_000, "stop");
  assert.equal(result.signal, "SIGTERM");
  assert.equal(result.requested, true);
});

Deno.test("stdio process: multi-byte characters split across writes arrive intact", async () => {
  const lines: string[] = [];
  const p = StdioProcess.spawn({
    name: "utf8",
    command: "node",
    args: [`${FIXTURES}split_utf8.mjs`],
    env: { PATH },
  }, { onLine: (l) => lines.push(l), onExit: () => {} });
  await within(p.exited, 5_000, "exit");
  assert.equal(lines.length, 1);
  assert.equal(JSON.parse(lines[0]).params.data, "é€😀 ok");
});

Deno.test("a server that logs to stdout and emits broken JSON-RPC still works; the noise is recorded", async () => {
  const h = harness({ noisy: { command: "node", args: [`${FIXTURES}noisy_server.mjs`] } });
  try {
    const r = await within(
      h.manager.callTool({ name: "noisy__shout", arguments: { text: "hello" } }),
      10_000,
      "call",
    );
    assert.match(JSON.stringify(r.content), /HELLO/);
    const noise = h.manager.notifications({ categories: ["connection"] })
      .filter((n) => n.method === "mcpchat/transport_error");
    assert.ok(noise.length >= 2, JSON.stringify(noise));
    assert.match(JSON.stringify(noise[0].params), /malformed message from the server/);
  } finally {
    await h.close();
  }
});

Deno.test("startup modes: lazy waits for first use, background connects after start() returns", async () => {
  const EV = new URL(
    "../peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js",
    import.meta.url,
  ).pathname;
  const h = harness({
    lazy: { command: "node", args: [EV, "stdio"], startup_mode: "lazy" },
    bg: { command: "node", args: [EV, "stdio"], startup_mode: "background" },
    off: { command: "node", args: [EV, "stdio"], enabled: false },
  });
  try {
    await h.manager.start();
    const state = (n: string) => h.manager.servers().find((s) => s.name === n)!.state.status;
    assert.equal(state("bg"), "idle", "background has not started when start() returns");
    assert.equal(state("off"), "disabled");
    await until(() => state("bg") === "ready", 15_000, "background ready");
    assert.equal(state("lazy"), "idle");
    const { tools } = await within(
      h.manager.listTools({ server: "lazy" }),
      15_000,
      "lazy first use",
    );
    assert.ok(tools.length > 0);
    assert.equal(state("lazy"), "ready");
    await assert.rejects(h.manager.listTools({ server: "off" }), /disabled/);
    const all = await h.manager.listTools();
    assert.ok(all.tools.every((t) => t.server !== "off"), "disabled servers are skipped");
  } finally {
    await h.close();
  }
});
