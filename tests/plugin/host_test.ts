import assert from "node:assert/strict";
import {
  PeerClosedError,
  PluginRef,
  PluginStartError,
  PluginUnavailableError,
  RemoteError,
  startPlugin,
} from "../../lib/plugin/mod.ts";
import type { PluginSpec } from "../../lib/plugin/mod.ts";
import { Supervisor } from "../../lib/supervisor/mod.ts";
import type { ProbeInit } from "../fixtures/plugins/probe.ts";
import { probePlugin } from "../fixtures/plugins/probe.ts";
import type { SurfaceOf } from "../../lib/plugin/mod.ts";

type Probe = SurfaceOf<typeof probePlugin>;
const module = new URL("../fixtures/plugins/probe.ts", import.meta.url);

function spec(overrides: Partial<PluginSpec<ProbeInit>> = {}): PluginSpec<ProbeInit> {
  return {
    name: "probe",
    module,
    permissions: {},
    init: {},
    heartbeat: false,
    handlers: { answer: (p: { q: string }) => `answer to ${p.q}` },
    ...overrides,
  };
}

Deno.test("a worker plugin serves calls, streams and calls back into the host", async () => {
  const probe = await startPlugin<Probe>(spec({ init: { tag: "w:" } }));
  try {
    assert.equal(await probe.peer.call("echo", { text: "hi" }), "w:hi");
    const seen: number[] = [];
    for await (const n of probe.peer.stream("count", { n: 4 })) seen.push(n);
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.equal(await probe.peer.call("askHost", { q: "life" }), "answer to life");
    assert.ok(probe.methods.includes("echo"));
  } finally {
    await probe.stop();
  }
});

Deno.test("a deferred init: the worker loads first, starts with the data once it resolves", async () => {
  let resolveInit!: (init: ProbeInit) => void;
  let loaded = false;
  const starting = startPlugin<Probe>(
    spec({ init: new Promise<ProbeInit>((resolve) => (resolveInit = resolve)) }),
  ).then((probe) => {
    loaded = true;
    return probe;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(loaded, false, "not ready before its init exists");
  resolveInit({ tag: "late:" });
  const probe = await starting;
  try {
    assert.equal(await probe.peer.call("echo", { text: "hi" }), "late:hi");
  } finally {
    await probe.stop();
  }
});

Deno.test("a deferred init that fails is a PluginStartError with its reason", async () => {
  const error = await startPlugin<Probe>(
    spec({ init: Promise.reject(new Error("config is broken")) }),
  ).then(() => undefined, (e) => e);
  assert.ok(error instanceof PluginStartError);
  assert.match(error.message, /probe: failed to start: config is broken/);
});

Deno.test("a plugin denied read gets NotCapable inside its worker", async () => {
  const probe = await startPlugin<Probe>(spec());
  try {
    await assert.rejects(
      () => probe.peer.call("readFile", { path: "/etc/hostname" }),
      (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.remoteName, "NotCapable");
        assert.match(e.message, /Requires read access to "\/etc\/hostname"/);
        return true;
      },
    );
    await assert.rejects(() => probe.peer.call("env", { name: "HOME" }), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.remoteName, "NotCapable");
      return true;
    });
  } finally {
    await probe.stop();
  }
});

Deno.test("a plugin granted exactly one path can read it and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  const allowed = `${dir}/allowed.txt`;
  await Deno.writeTextFile(allowed, "yes");
  await Deno.writeTextFile(`${dir}/other.txt`, "no");
  const probe = await startPlugin<Probe>(spec({ permissions: { read: [allowed] } }));
  try {
    assert.equal(await probe.peer.call("readFile", { path: allowed }), "yes");
    await assert.rejects(
      () => probe.peer.call("readFile", { path: `${dir}/other.txt` }),
      /NotCapable|Requires read access/,
    );
  } finally {
    await probe.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an uncaught error ends the plugin as a crash and fails pending calls", async () => {
  const probe = await startPlugin<Probe>(spec());
  const pending = probe.peer.call("hang", {}, { timeoutMs: 10_000 });
  await probe.peer.call("crashLater", {});
  const reason = await probe.exited;
  assert.deepEqual(reason, { kind: "crash", error: "Error: uncaught boom" });
  await assert.rejects(pending, PeerClosedError);
  await assert.rejects(
    () => probe.peer.call("echo", { text: "x" }),
    /probe is not available: crashed/,
  );
});

Deno.test("an unhandled rejection ends the plugin as a crash", async () => {
  const probe = await startPlugin<Probe>(spec());
  await probe.peer.call("rejectLater", {});
  const reason = await probe.exited;
  assert.equal(reason.kind, "crash");
  assert.match((reason as { error: string }).error, /unhandled rejection boom/);
});

Deno.test("a plugin that exits silently is caught by missed heartbeats", async () => {
  const probe = await startPlugin<Probe>(spec({ heartbeat: { intervalMs: 20, missed: 3 } }));
  await probe.peer.call("exitQuietly", {});
  const reason = await probe.exited;
  assert.equal(reason.kind, "crash");
  assert.match((reason as { error: string }).error, /missed 3 heartbeats/);
});

Deno.test("a plugin stuck in a busy loop is caught by missed heartbeats", async () => {
  const probe = await startPlugin<Probe>(spec({ heartbeat: { intervalMs: 20, missed: 3 } }));
  const stuck = probe.peer.call("busyLoop", { ms: 400 }, { timeoutMs: 5_000 });
  const reason = await probe.exited;
  assert.match((reason as { error: string }).error, /missed 3 heartbeats/);
  await assert.rejects(stuck, PeerClosedError);
  assert.ok(probe.vitals === undefined || probe.vitals.heapUsed > 0);
});

Deno.test("a start failure is a PluginStartError naming the plugin and the cause", async () => {
  await assert.rejects(() => startPlugin(spec({ init: { failStart: true } })), (e: unknown) => {
    assert.ok(e instanceof PluginStartError);
    assert.match(e.message, /probe: failed to start: start refused by init/);
    return true;
  });
});

Deno.test("a module that cannot load is a PluginStartError", async () => {
  await assert.rejects(
    () => startPlugin(spec({ module: new URL("../fixtures/plugins/missing.ts", import.meta.url) })),
    PluginStartError,
  );
});

Deno.test("stop runs the plugin's own stop and resolves a shutdown exit", async () => {
  const probe = await startPlugin<Probe>(spec({ init: { tag: "s" } }));
  const stopping: string[] = [];
  probe.peer.on("stopping", (tag) => stopping.push(tag));
  await probe.stop("test over");
  assert.deepEqual(await probe.exited, { kind: "shutdown", reason: "test over" });
  assert.deepEqual(stopping, ["s"]);
});

Deno.test("an inline plugin runs the same contract on the main thread", async () => {
  const probe = await startPlugin<Probe>(
    spec({
      mode: "inline",
      loadDefinition: () => Promise.resolve(probePlugin),
      init: { tag: "i:" },
    }),
  );
  assert.equal(await probe.peer.call("echo", { text: "x" }), "i:x");
  assert.equal(await probe.peer.call("askHost", { q: "q" }), "answer to q");
  await probe.stop();
});

Deno.test("a supervised plugin that crashes is restarted; callers get errors, not hangs", async () => {
  const ref = new PluginRef<Probe>(spec(), { waitMs: 10_000 });
  const root = new Supervisor({
    name: "root",
    backoff: { baseMs: 10, maxMs: 50, jitter: "none" },
  });
  const events: string[] = [];
  root.subscribe((e) => events.push(`${e.type}:${e.id}`));
  await root.start([ref.childSpec()]);
  try {
    const first = ref.current;
    const inflight = ref.call("hang", {}, { timeoutMs: 10_000 });
    await ref.call("crashLater", {});
    await assert.rejects(inflight, PeerClosedError);
    // A call made while the plugin restarts waits for it and succeeds.
    assert.equal(await ref.call("echo", { text: "again" }), "again");
    assert.notEqual(ref.current, first);
    assert.deepEqual(events, [
      "started:probe",
      "crashed:probe",
      "restarting:probe",
      "started:probe",
      "restarted:probe",
    ]);
  } finally {
    await root.stop();
  }
});

Deno.test("a plugin that keeps crashing makes its supervisor give up; calls fail fast", async () => {
  const ref = new PluginRef<Probe>(spec(), { waitMs: 10_000 });
  const root = new Supervisor({
    name: "root",
    intensity: { maxRestarts: 1, periodMs: 60_000 },
    backoff: { baseMs: 5, maxMs: 5, jitter: "none" },
  });
  let restarted!: () => void;
  const restart = new Promise<void>((resolve) => (restarted = resolve));
  root.subscribe((e) => {
    if (e.type === "gave-up") ref.markFailed(e.error);
    if (e.type === "restarted") restarted();
  });
  await root.start([ref.childSpec()]);
  await ref.call("crashLater", {});
  await restart;
  await ref.call("crashLater", {});
  const exit = await root.exited;
  assert.equal(exit.kind, "crash");
  await assert.rejects(() => ref.call("echo", { text: "x" }), (e: unknown) => {
    assert.ok(e instanceof PluginUnavailableError);
    assert.match(e.message, /probe is not available: root: gave up/);
    return true;
  });
});

Deno.test("a PluginRef's event listener follows restarts, and stops once removed", async () => {
  const ref = new PluginRef<Probe>(spec(), { waitMs: 10_000 });
  const root = new Supervisor({ name: "root", backoff: { baseMs: 5, maxMs: 5, jitter: "none" } });
  let restarted!: () => void;
  const restart = new Promise<void>((resolve) => (restarted = resolve));
  root.subscribe((e) => e.type === "restarted" && restarted());
  await root.start([ref.childSpec()]);
  const removed: string[] = [];
  const kept: string[] = [];
  const off = ref.on("hang-aborted", (why) => removed.push(why));
  ref.on("hang-aborted", (why) => kept.push(why));
  /** Cancels a call in the plugin, which emits `hang-aborted`; resolves once it arrived. */
  const cancelOne = async (why: string) => {
    const controller = new AbortController();
    const hanging = ref.call("hang", {}, { signal: controller.signal });
    await ref.call("echo", { text: "" }); // the hang call has reached the plugin
    controller.abort(new Error(why));
    await assert.rejects(hanging);
    await ref.call("echo", { text: "" }); // the event, sent before this answer, has arrived
  };
  try {
    await cancelOne("first");
    await ref.call("crashLater", {});
    await restart;
    await cancelOne("after restart");
    off();
    await cancelOne("after off");
    assert.equal(kept.length, 3);
    assert.equal(removed.length, 2);
  } finally {
    await root.stop();
  }
});
