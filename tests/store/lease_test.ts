import assert from "node:assert/strict";
import {
  SessionBusyError,
  SessionLeaseLostError,
  StoreLockedError,
  withLockRetry,
} from "../../lib/store/mod.ts";
import type { Clock } from "../../lib/util/clock.ts";
import { fakeClock, openAt, tempDir, until } from "./helpers.ts";

const TTL = 30_000;

Deno.test("a second writer on the same session gets SessionBusyError naming pid, host and time", async () => {
  await using tmp = await tempDir();
  const clock = fakeClock();
  const a = await openAt(tmp.dir, { clock, owner: { pid: 4242, host: "laptop" }, leaseTtlMs: TTL });
  const b = await openAt(tmp.dir, { clock, owner: { pid: 77, host: "desktop" }, leaseTtlMs: TTL });
  const view = await a.sessions.create();
  await view.append({ role: "user", content: "mine" });
  await assert.rejects(b.sessions.open(view.id), (e: unknown) => {
    assert.ok(e instanceof SessionBusyError);
    assert.equal(e.code, "SESSION_BUSY");
    assert.deepEqual(e.holder, {
      pid: 4242,
      host: "laptop",
      acquiredAt: clock.now(),
      expiresAt: clock.now() + TTL,
    });
    assert.match(
      e.message,
      new RegExp(
        `session ${view.id} is open in another mcpchat \\(pid 4242 on host laptop\\) since 2026-01-01T00:00:00\\.000Z; use --resume with a new session or close the other one`,
      ),
    );
    return true;
  });
  // Deleting or clearing it from the other process is refused too; reading is fine.
  await assert.rejects(b.sessions.delete(view.id), SessionBusyError);
  await assert.rejects(b.sessions.clear(view.id), SessionBusyError);
  assert.equal(
    (await (await b.sessions.open(view.id, { readOnly: true })).history()).messages.length,
    1,
  );
  // Once the holder closes, the other may write.
  await view.close();
  const taken = await b.sessions.open(view.id);
  await taken.append({ role: "user", content: "yours now" });
  assert.equal((await b.sessions.get(view.id)).messageCount, 2);
  await b.close();
  await a.close();
});

Deno.test("the heartbeat keeps a live lease; a crashed holder's lease is taken over after expiry", async () => {
  await using tmp = await tempDir();
  const clock = fakeClock();
  const a = await openAt(tmp.dir, { clock, owner: { pid: 1, host: "h" }, leaseTtlMs: TTL });
  const b = await openAt(tmp.dir, { clock, owner: { pid: 2, host: "h" }, leaseTtlMs: TTL });
  const view = await a.sessions.create();
  const lease = view.lease!;
  // Heartbeats every TTL/3 keep it alive well past one TTL.
  for (let i = 1; i <= 9; i++) {
    await clock.tick(TTL / 3);
    const at = clock.now();
    await until(() => lease.value.renewedAt === at);
  }
  assert.ok(clock.now() - lease.value.acquiredAt >= 3 * TTL);
  await assert.rejects(b.sessions.open(view.id), SessionBusyError);

  // "Crash": the holder stops renewing without releasing (as after SIGKILL).
  lease.abandon();
  await clock.tick(TTL - 1);
  await assert.rejects(b.sessions.open(view.id), SessionBusyError, "not yet expired");
  await clock.tick(2);
  const taken = await b.sessions.open(view.id);
  await taken.append({ role: "user", content: "after takeover" });

  // The old holder, if it wakes up, cannot write behind the new one.
  await assert.rejects(view.append({ role: "user", content: "stale" }), (e: unknown) => {
    assert.ok(e instanceof SessionLeaseLostError);
    assert.match(e.message, /taken over by another mcpchat/);
    return true;
  });
  assert.ok(view.leaseLost);
  const page = await taken.history();
  assert.deepEqual(page.messages.map((m) => m.content), ["after takeover"]);
  await b.close();
  await a.close();
});

Deno.test("a suspended holder notices on its next heartbeat that its lease was taken over", async () => {
  await using tmp = await tempDir();
  const clockA = fakeClock();
  const clockB = fakeClock();
  const a = await openAt(tmp.dir, { clock: clockA, leaseTtlMs: TTL });
  const b = await openAt(tmp.dir, { clock: clockB, leaseTtlMs: TTL });
  const view = await a.sessions.create();
  clockB.set(clockA.now() + TTL + 1); // A was suspended past its expiry
  const taken = await b.sessions.open(view.id);
  await clockA.tick(TTL / 3); // A's heartbeat fires and fails its check
  await until(() => view.leaseLost);
  await assert.rejects(view.append({ role: "user", content: "x" }), SessionLeaseLostError);
  await taken.close();
  await b.close();
  await a.close();
});

/** A clock whose timers fire on the next macrotask: retries without waiting. */
const instantClock: Clock = {
  now: () => 0,
  setTimeout: (fn) => setTimeout(fn, 0) as unknown as number,
  clearTimeout: (h) => clearTimeout(h),
};

Deno.test("withLockRetry retries 'database is locked', passes other errors, gives up with StoreLockedError", async () => {
  let calls = 0;
  const value = await withLockRetry(() => {
    calls++;
    if (calls < 4) return Promise.reject(new TypeError("database is locked"));
    return Promise.resolve("ok");
  }, { clock: instantClock, random: () => 0.5 });
  assert.equal(value, "ok");
  assert.equal(calls, 4);

  calls = 0;
  await assert.rejects(
    withLockRetry(() => {
      calls++;
      return Promise.reject(new RangeError("boom"));
    }, { clock: instantClock }),
    RangeError,
  );
  assert.equal(calls, 1);

  await assert.rejects(
    withLockRetry(() => Promise.reject(new TypeError("database is locked")), {
      clock: instantClock,
      maxAttempts: 5,
    }),
    (e: unknown) => {
      assert.ok(e instanceof StoreLockedError);
      assert.equal(e.code, "STORE_LOCKED");
      assert.match(e.message, /after 5 attempts; close other mcpchat instances/);
      return true;
    },
  );
});
