import assert from "node:assert/strict";
import { CircuitBreaker } from "../../lib/llm/breaker.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";

Deno.test("breaker: opens after N consecutive failures; a success in between resets the count", () => {
  const clock = fakeClock();
  const changes: string[] = [];
  const b = new CircuitBreaker({
    failureThreshold: 3,
    resetMs: 60_000,
    clock,
    onStateChange: (s, p) => changes.push(`${p}->${s}`),
  });
  b.tryAcquire()!.failure("e1");
  b.tryAcquire()!.failure("e2");
  b.tryAcquire()!.success();
  b.tryAcquire()!.failure("e3");
  b.tryAcquire()!.failure("e4");
  assert.equal(b.state, "closed");
  b.tryAcquire()!.failure("e5");
  assert.equal(b.state, "open");
  assert.equal(b.tryAcquire(), undefined);
  const snap = b.snapshot();
  assert.equal(snap.rejected, 1);
  assert.equal(snap.lastError, "e5");
  assert.equal(snap.consecutiveFailures, 3);
  assert.equal(snap.retryInMs, 60_000);
  assert.deepEqual(changes, ["closed->open"]);
});

Deno.test("breaker: half-open admits one trial at a time and closes after M successes", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker({
    failureThreshold: 1,
    resetMs: 10_000,
    halfOpenSuccesses: 2,
    clock,
  });
  b.tryAcquire()!.failure();
  assert.equal(b.state, "open");
  await clock.tick(9_999);
  assert.equal(b.state, "open");
  assert.equal(b.retryInMs(), 1);
  await clock.tick(1);
  assert.equal(b.state, "half-open");
  const trial = b.tryAcquire();
  assert.ok(trial);
  assert.equal(b.tryAcquire(), undefined, "a second call waits for the trial");
  trial.success();
  assert.equal(b.state, "half-open", "one of two successes");
  b.tryAcquire()!.success();
  assert.equal(b.state, "closed");
});

Deno.test("breaker: a failed trial re-opens for a full reset period", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker({ failureThreshold: 2, resetMs: 5_000, clock });
  b.tryAcquire()!.failure();
  b.tryAcquire()!.failure();
  await clock.tick(5_000);
  b.tryAcquire()!.failure("still down");
  assert.equal(b.state, "open");
  assert.equal(b.retryInMs(), 5_000);
});

Deno.test("breaker: a released permit (cancelled call) frees the trial slot without a verdict", async () => {
  const clock = fakeClock();
  const b = new CircuitBreaker({ failureThreshold: 1, resetMs: 1_000, clock });
  b.tryAcquire()!.failure();
  await clock.tick(1_000);
  const trial = b.tryAcquire()!;
  trial.release();
  trial.failure(); // ignored: a permit settles once
  assert.equal(b.state, "half-open");
  assert.ok(b.tryAcquire(), "slot is free again");
});

Deno.test("breaker: reset() closes by hand", () => {
  const b = new CircuitBreaker({ failureThreshold: 1, clock: fakeClock() });
  b.tryAcquire()!.failure();
  assert.equal(b.state, "open");
  b.reset();
  assert.equal(b.state, "closed");
  assert.ok(b.tryAcquire());
});
