/** The pooled transport worker: one worker for every server, widened when a server needs more. */

import assert from "node:assert/strict";
import { EVERYTHING, harness, until, within } from "./helpers.ts";
import { validateServerConfig } from "../../lib/mcp/server_check.ts";

const SPY = new URL("../fixtures/mcp/spy_server.mjs", import.meta.url).pathname;
const WRAPPER = new URL("../fixtures/mcp/wrapper.sh", import.meta.url).pathname;

Deno.test("pool: servers share one worker; one added that needs another command gets its own, the others run on", async () => {
  const h = harness({
    a: { command: "node", args: [SPY] },
    b: { command: "node", args: [EVERYTHING, "stdio"] },
  }, { reconnect: { max_attempts: 5, base_ms: 20, max_ms: 100 } });
  try {
    await within(Promise.all([h.manager.connect("a"), h.manager.connect("b")]), 20_000, "connect");
    const first = h.transports.poolPermissions();
    assert.equal(first?.run.filter((r) => r.endsWith("/node")).length, 1, JSON.stringify(first));
    assert.deepEqual(h.transports.running().sort(), ["a", "b"]);
    assert.equal(h.transports.poolCount(), 1);
    const pids = () => h.manager.servers().map((s) => `${s.name}:${s.pid}`);
    const before = pids();
    const events = h.events.length;
    // A server with a command the pool may not run: a second pool, with just that command.
    await h.manager.addServer("c", { command: "sh", args: [WRAPPER, SPY] });
    await within(h.manager.connect("c"), 20_000, "connect c");
    assert.equal(h.transports.poolCount(), 2);
    const both = h.transports.poolPermissions();
    assert.ok(both?.run.some((r) => r.endsWith("/sh")), JSON.stringify(both));
    assert.ok(both?.run.some((r) => r.endsWith("/node")));
    // a and b never noticed: the same processes, no state change.
    assert.deepEqual(pids().filter((p) => !p.startsWith("c:")), before);
    assert.ok(
      !h.events.slice(events).some((e) =>
        e.event === "server-state" && (e.data as { name: string }).name !== "c"
      ),
      JSON.stringify(h.events.slice(events)),
    );
    for (const server of ["a", "c"]) {
      const r = await within(
        h.manager.callTool({ server, tool: "env", arguments: { name: "HOME" } }),
        10_000,
        `call ${server}`,
      );
      assert.equal(r.isError, false);
    }
  } finally {
    await h.close();
  }
});

Deno.test("prestart: a server started before the manager asks is handed over, not started again", async () => {
  // As the config loader hands them over: checked and normalised.
  const tag = `prestart-${crypto.randomUUID()}`;
  const a = validateServerConfig("a", { command: "node", args: [SPY, tag] });
  const off = validateServerConfig("off", { command: "node", args: [SPY], enabled: false });
  const h = harness({ a, off });
  const spawnCalls = recordSpawns(h.transports);
  try {
    await within(h.transports.prestart({ a, off }), 20_000, "prestart");
    assert.deepEqual(h.transports.running(), ["a"], "disabled servers are not started");
    // The process runs before the manager asked for anything.
    await until(() => running(tag), 10_000, "the prestarted process");
    spawnCalls.length = 0;
    await within(h.manager.connect("a"), 20_000, "connect a");
    assert.deepEqual(spawnCalls, [], "the waiting process was used");
    assert.equal(pgrep(tag).length, 1, "one process: the prestarted one was adopted");
    const r = await within(
      h.manager.callTool({ server: "a", tool: "env", arguments: { name: "HOME" } }),
      10_000,
      "call a",
    );
    assert.equal(r.isError, false);
  } finally {
    await h.close();
  }
});

Deno.test("prestart: when the manager asks with another config, the early process is replaced", async () => {
  const early = validateServerConfig("a", { command: "node", args: [SPY] });
  const asked = validateServerConfig("a", { command: "node", args: [SPY], env: { MARK: "asked" } });
  const h = harness({ a: asked });
  const spawnCalls = recordSpawns(h.transports);
  try {
    await within(h.transports.prestart({ a: early }), 20_000, "prestart");
    spawnCalls.length = 0;
    await within(h.manager.connect("a"), 20_000, "connect a");
    assert.deepEqual(spawnCalls, ["a"], "started again with the manager's config");
    const r = await within(
      h.manager.callTool({ server: "a", tool: "env", arguments: { name: "MARK" } }),
      10_000,
      "call a",
    );
    assert.match(JSON.stringify(r.content), /asked/);
  } finally {
    await h.close();
  }
});

/** Pids of processes whose command line contains `tag`. */
/** The names the host spawns from now on, in order (the original spawn still runs). */
function recordSpawns(transports: ReturnType<typeof harness>["transports"]): string[] {
  const names: string[] = [];
  const spawn = transports.spawn.bind(transports);
  transports.spawn = (name, config, options) => {
    names.push(name);
    return spawn(name, config, options);
  };
  return names;
}

function pgrep(tag: string): string[] {
  const out = new Deno.Command("pgrep", { args: ["-f", tag], stdout: "piped" }).outputSync();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
}

function running(tag: string): boolean {
  return pgrep(tag).length > 0;
}
