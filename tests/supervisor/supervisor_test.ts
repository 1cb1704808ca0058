import assert from "node:assert/strict";
import {
  type ChildHandle,
  type ChildSpec,
  ChildStartError,
  type ExitReason,
  type RestartStrategy,
  type RestartType,
  Supervisor,
  type SupervisorEvent,
} from "../../lib/supervisor/mod.ts";
import { fakeClock, flush } from "../_helpers/fake_clock.ts";

/** An in-process child whose exit the test controls. */
class TestChild implements ChildHandle {
  readonly exited: Promise<ExitReason>;
  #resolve!: (reason: ExitReason) => void;
  stopCalls: string[] = [];
  killed = false;
  hangOnStop = false;
  constructor(readonly id: string, readonly generation: number, readonly log: string[]) {
    this.exited = new Promise((resolve) => (this.#resolve = resolve));
  }
  crash(error = "boom") {
    this.#resolve({ kind: "crash", error });
  }
  finish() {
    this.#resolve({ kind: "normal" });
  }
  stop(reason: string): Promise<void> {
    this.stopCalls.push(reason);
    this.log.push(`stop ${this.id}`);
    if (this.hangOnStop) return new Promise(() => {});
    this.#resolve({ kind: "shutdown", reason });
    return Promise.resolve();
  }
  kill() {
    this.killed = true;
    this.log.push(`kill ${this.id}`);
    this.#resolve({ kind: "shutdown", reason: "killed" });
  }
}

class Harness {
  log: string[] = [];
  events: SupervisorEvent[] = [];
  current = new Map<string, TestChild>();
  starts = new Map<string, number>();
  failStart = new Set<string>();
  clock = fakeClock();
  sup: Supervisor;
  constructor(strategy: RestartStrategy, maxRestarts = 3, periodMs = 5_000) {
    this.sup = new Supervisor({
      name: "test",
      strategy,
      intensity: { maxRestarts, periodMs },
      backoff: { baseMs: 100, maxMs: 1_000, jitter: "none" },
      clock: this.clock,
    });
    this.sup.subscribe((e) => this.events.push(e));
  }
  spec(id: string, restart: RestartType = "permanent", shutdownMs = 1_000): ChildSpec {
    return {
      id,
      restart,
      shutdownMs,
      start: () => {
        const n = (this.starts.get(id) ?? 0) + 1;
        this.starts.set(id, n);
        this.log.push(`start ${id}`);
        if (this.failStart.has(id)) return Promise.reject(new Error(`cannot start ${id}`));
        const child = new TestChild(id, n, this.log);
        this.current.set(id, child);
        return Promise.resolve(child);
      },
    };
  }
  child(id: string): TestChild {
    const c = this.current.get(id);
    assert.ok(c, `no child ${id}`);
    return c;
  }
  types(): string[] {
    return this.events.map((e) => `${e.type}:${e.id}`);
  }
}

Deno.test("supervisor starts children in order and stops them in reverse", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("a"), h.spec("b"), h.spec("c")]);
  assert.deepEqual(h.log, ["start a", "start b", "start c"]);
  assert.deepEqual(h.sup.children().map((c) => c.state), ["running", "running", "running"]);
  h.log.length = 0;
  await h.sup.stop("bye");
  assert.deepEqual(h.log, ["stop c", "stop b", "stop a"]);
  assert.deepEqual(await h.sup.exited, { kind: "shutdown", reason: "bye" });
});

Deno.test("a failed start stops the children already started and reports the cause", async () => {
  const h = new Harness("one_for_one");
  h.failStart.add("c");
  await assert.rejects(
    () => h.sup.start([h.spec("a"), h.spec("b"), h.spec("c")]),
    (e: unknown) => e instanceof ChildStartError && /cannot start c/.test(e.message),
  );
  assert.deepEqual(h.log, ["start a", "start b", "start c", "stop b", "stop a"]);
  assert.deepEqual(h.sup.children(), []);
});

Deno.test("one_for_one restarts only the crashed child, after the backoff delay", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("a"), h.spec("b"), h.spec("c")]);
  h.log.length = 0;
  h.child("b").crash("b broke");
  await flush();
  assert.equal(h.sup.children()[1].state, "restarting");
  assert.deepEqual(h.log, []);
  await h.clock.tick(99);
  assert.deepEqual(h.log, [], "restart waits for the backoff delay");
  await h.clock.tick(1);
  assert.deepEqual(h.log, ["start b"]);
  assert.equal(h.starts.get("a"), 1);
  assert.equal(h.starts.get("c"), 1);
  const info = h.sup.children()[1];
  assert.equal(info.state, "running");
  assert.equal(info.restarts, 1);
  assert.equal(info.lastError, "b broke");
  assert.deepEqual(h.types().slice(3), ["crashed:b", "restarting:b", "started:b", "restarted:b"]);
});

Deno.test("rest_for_one restarts the crashed child and those started after it", async () => {
  const h = new Harness("rest_for_one");
  await h.sup.start([h.spec("a"), h.spec("b"), h.spec("c")]);
  h.log.length = 0;
  h.child("b").crash();
  await flush();
  assert.deepEqual(h.log, ["stop c"], "later children are stopped first");
  await h.clock.tick(100);
  assert.deepEqual(h.log, ["stop c", "start b", "start c"]);
  assert.equal(h.starts.get("a"), 1);
});

Deno.test("one_for_all restarts every child in start order", async () => {
  const h = new Harness("one_for_all");
  await h.sup.start([h.spec("a"), h.spec("b"), h.spec("c")]);
  h.log.length = 0;
  h.child("b").crash();
  await flush();
  assert.deepEqual(h.log, ["stop c", "stop a"]);
  await h.clock.tick(100);
  assert.deepEqual(h.log, ["stop c", "stop a", "start a", "start b", "start c"]);
});

Deno.test("transient children restart after a crash but not after a normal exit", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("t", "transient")]);
  h.child("t").crash();
  await h.clock.tick(100);
  assert.equal(h.starts.get("t"), 2);
  h.child("t").finish();
  await flush();
  await h.clock.runAll();
  assert.equal(h.starts.get("t"), 2, "normal exit is not restarted");
  assert.equal(h.sup.children()[0].state, "stopped");
});

Deno.test("permanent children restart even after a normal exit", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("p", "permanent")]);
  h.child("p").finish();
  await flush();
  await h.clock.tick(100);
  assert.equal(h.starts.get("p"), 2);
});

Deno.test("temporary children are never restarted and are removed", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("x", "temporary"), h.spec("y")]);
  h.child("x").crash();
  await flush();
  await h.clock.runAll();
  assert.equal(h.starts.get("x"), 1);
  assert.deepEqual(h.sup.children().map((c) => c.id), ["y"]);
});

Deno.test("backoff grows exponentially between consecutive restarts", async () => {
  const h = new Harness("one_for_one", 10, 60_000);
  await h.sup.start([h.spec("a")]);
  const delays: number[] = [];
  h.sup.subscribe((e) => e.type === "restarting" && delays.push(e.delayMs));
  for (let i = 0; i < 5; i++) {
    h.child("a").crash();
    await flush();
    await h.clock.tick(delays.at(-1)!);
  }
  assert.deepEqual(delays, [100, 200, 400, 800, 1_000], "doubles, capped at maxMs");
  assert.equal(h.starts.get("a"), 6);
});

Deno.test("backoff starts over for a child that ran long enough", async () => {
  const h = new Harness("one_for_one", 10, 60_000);
  await h.sup.start([h.spec("a")]);
  const delays: number[] = [];
  h.sup.subscribe((e) => e.type === "restarting" && delays.push(e.delayMs));
  h.child("a").crash();
  await flush();
  await h.clock.tick(100);
  h.child("a").crash();
  await flush();
  await h.clock.tick(200);
  await h.clock.tick(10_000); // runs stably past backoffResetMs
  h.child("a").crash();
  await flush();
  assert.deepEqual(delays, [100, 200, 100]);
});

Deno.test("jitter spreads restart delays within the configured band", async () => {
  const values = [0, 0.5, 0.999];
  const delays: number[] = [];
  for (const r of values) {
    const clock = fakeClock();
    const sup = new Supervisor({
      name: "j",
      backoff: { baseMs: 1_000, maxMs: 10_000, jitter: "equal" },
      clock,
      random: () => r,
    });
    let child!: { crash(): void };
    await sup.start([{
      id: "a",
      start: () => {
        let done!: (x: ExitReason) => void;
        const exited = new Promise<ExitReason>((res) => (done = res));
        child = { crash: () => done({ kind: "crash", error: "x" }) };
        return Promise.resolve({
          exited,
          stop: () => Promise.resolve(done({ kind: "shutdown" })),
          kill: () => done({ kind: "shutdown" }),
        });
      },
    }]);
    sup.subscribe((e) => e.type === "restarting" && delays.push(e.delayMs));
    child.crash();
    await flush();
    await sup.stop();
  }
  assert.deepEqual(delays, [500, 750, 999]);
});

Deno.test("exceeding restart intensity gives up, stops everything and escalates", async () => {
  const h = new Harness("one_for_one", 2, 5_000);
  await h.sup.start([h.spec("a"), h.spec("b")]);
  h.child("b").crash("1");
  await flush();
  await h.clock.tick(100);
  h.child("b").crash("2");
  await flush();
  await h.clock.tick(200);
  h.log.length = 0;
  h.child("b").crash("3");
  await flush();
  assert.deepEqual(h.log, ["stop a"], "the rest is shut down");
  const exit = await h.sup.exited;
  assert.equal(exit.kind, "crash");
  assert.match(
    (exit as { error: string }).error,
    /gave up after more than 2 restarts in 5 s.*"b": 3/,
  );
  assert.ok(h.types().includes("gave-up:b"));
  assert.equal(h.sup.children().find((c) => c.id === "b")?.state, "failed");
});

Deno.test("restarts spread beyond the intensity period are tolerated", async () => {
  const h = new Harness("one_for_one", 2, 5_000);
  await h.sup.start([h.spec("a")]);
  for (let i = 0; i < 6; i++) {
    h.child("a").crash();
    await flush();
    await h.clock.tick(6_000);
  }
  assert.equal(h.starts.get("a"), 7);
  assert.equal(h.sup.children()[0].state, "running");
});

Deno.test("a nested supervisor that gives up is restarted by its parent", async () => {
  const clock = fakeClock();
  const parent = new Supervisor({
    name: "parent",
    clock,
    backoff: { baseMs: 10, maxMs: 10, jitter: "none" },
  });
  const h = new Harness("one_for_one", 0, 5_000);
  let childStarts = 0;
  let inner: Supervisor | undefined;
  await parent.start([{
    id: "inner",
    start: async () => {
      childStarts++;
      inner = new Supervisor({
        name: "inner",
        intensity: { maxRestarts: 0, periodMs: 1_000 },
        clock,
      });
      await inner.start([h.spec(`w${childStarts}`)]);
      return inner;
    },
  }]);
  h.child("w1").crash();
  await flush(10);
  await clock.tick(10);
  await flush(10);
  assert.equal(childStarts, 2, "parent restarted the inner supervisor");
  assert.equal(parent.children()[0].restarts, 1);
  await parent.stop();
});

Deno.test("a child that ignores stop is killed after its shutdown timeout", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("slow", "permanent", 2_000)]);
  h.child("slow").hangOnStop = true;
  const stopping = h.sup.stop();
  await flush();
  assert.equal(h.child("slow").killed, false);
  await h.clock.tick(2_000);
  await stopping;
  assert.equal(h.child("slow").killed, true);
});

Deno.test("dynamic children can be added, restarted by request and removed", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("a")]);
  await h.sup.startChild(h.spec("mcp-server:fs", "transient"));
  assert.deepEqual(h.sup.children().map((c) => c.id), ["a", "mcp-server:fs"]);
  await assert.rejects(() => h.sup.startChild(h.spec("a")), /already exists/);
  await h.sup.restartChild("mcp-server:fs");
  assert.equal(h.starts.get("mcp-server:fs"), 2);
  await h.sup.terminateChild("mcp-server:fs");
  assert.equal(h.sup.children()[1].state, "stopped");
  await h.sup.removeChild("mcp-server:fs");
  assert.deepEqual(h.sup.children().map((c) => c.id), ["a"]);
  h.failStart.add("bad");
  await assert.rejects(() => h.sup.startChild(h.spec("bad")), ChildStartError);
  assert.deepEqual(h.sup.children().map((c) => c.id), ["a"]);
});

Deno.test("a restart that fails to start counts as a crash and is retried with backoff", async () => {
  const h = new Harness("one_for_one", 5, 60_000);
  await h.sup.start([h.spec("a")]);
  h.failStart.add("a");
  h.child("a").crash();
  await flush();
  await h.clock.tick(100);
  assert.equal(h.starts.get("a"), 2);
  assert.match(h.sup.children()[0].lastError ?? "", /failed to restart: cannot start a/);
  h.failStart.delete("a");
  await h.clock.tick(200);
  assert.equal(h.starts.get("a"), 3);
  assert.equal(h.sup.children()[0].state, "running");
});

Deno.test("stop during a pending restart cancels it", async () => {
  const h = new Harness("one_for_one");
  await h.sup.start([h.spec("a")]);
  h.child("a").crash();
  await flush();
  await h.sup.stop();
  await h.clock.runAll();
  assert.equal(h.starts.get("a"), 1);
  assert.equal(h.clock.pending(), 0);
});

// Strategy × restart type of a sibling: when "crasher" (permanent) crashes, which siblings are
// restarted? OTP: one_for_one touches no sibling; rest_for_one the ones started after it;
// one_for_all every one; a temporary sibling the group restart stops is removed, never restarted.
for (const strategy of ["one_for_one", "rest_for_one", "one_for_all"] as const) {
  for (const siblingType of ["permanent", "transient", "temporary"] as const) {
    for (const position of ["before", "after"] as const) {
      Deno.test(`${strategy}: a ${siblingType} sibling started ${position} the crashed child`, async () => {
        const h = new Harness(strategy);
        const sibling = h.spec("sib", siblingType);
        const crasher = h.spec("crasher");
        await h.sup.start(position === "before" ? [sibling, crasher] : [crasher, sibling]);
        h.child("crasher").crash();
        await flush();
        await h.clock.runAll();
        assert.equal(h.starts.get("crasher"), 2, "the crashed child is restarted");
        const inGroup = strategy === "one_for_all" ||
          (strategy === "rest_for_one" && position === "after");
        const ids = h.sup.children().map((c) => c.id);
        if (!inGroup) {
          assert.equal(h.starts.get("sib"), 1, "a sibling outside the group is untouched");
          assert.equal(h.child("sib").stopCalls.length, 0);
          assert.ok(ids.includes("sib"));
        } else if (siblingType === "temporary") {
          assert.equal(h.starts.get("sib"), 1, "a temporary sibling is never restarted");
          assert.equal(h.child("sib").stopCalls.length, 1, "but it is stopped with the group");
          assert.deepEqual(ids, ["crasher"], "and leaves the supervisor");
        } else {
          assert.equal(h.starts.get("sib"), 2, `a ${siblingType} sibling restarts with the group`);
        }
        assert.ok(
          h.sup.children().every((c) => c.state === "running"),
          JSON.stringify(h.sup.children()),
        );
        await h.sup.stop("done");
      });
    }
  }
}

// The other axis: the exiting child's own type. A child that is not to be restarted (temporary,
// or transient after a normal exit) starts no group restart: OTP restarts the group only for a
// child that itself restarts.
for (const strategy of ["rest_for_one", "one_for_all"] as const) {
  for (
    const [type, how] of [
      ["temporary", "crash"],
      ["temporary", "finish"],
      ["transient", "finish"],
    ] as const
  ) {
    Deno.test(`${strategy}: a ${type} child's ${how} restarts no sibling`, async () => {
      const h = new Harness(strategy);
      await h.sup.start([h.spec("x", type), h.spec("y"), h.spec("z", "temporary")]);
      if (how === "crash") h.child("x").crash();
      else h.child("x").finish();
      await flush();
      await h.clock.runAll();
      assert.deepEqual([...h.starts], [["x", 1], ["y", 1], ["z", 1]]);
      assert.equal(h.child("y").stopCalls.length + h.child("z").stopCalls.length, 0);
      const states = h.sup.children().map((c) => `${c.id}:${c.state}`);
      const left = type === "temporary" ? [] : ["x:stopped"];
      assert.deepEqual(states, [...left, "y:running", "z:running"]);
      await h.sup.stop("done");
    });
  }
}
