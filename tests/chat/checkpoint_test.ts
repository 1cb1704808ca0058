import assert from "node:assert/strict";
import { AnswerCheckpoint, OpenAnswers, STREAMING_REASON } from "../../lib/chat/checkpoint.ts";
import type { LlmAssistantMessage } from "../../lib/llm/types.ts";
import { fakeClock } from "../_helpers/fake_clock.ts";

const say = (content: string): LlmAssistantMessage => ({ role: "assistant", content });

Deno.test("checkpoints: a trickle is committed within the interval, a burst at once, the final last", async () => {
  const clock = fakeClock();
  const writes: { content: string; interrupted?: string; final: boolean }[] = [];
  const answer = new AnswerCheckpoint((m, meta) => {
    writes.push({ content: m.content, interrupted: m.interrupted, final: meta !== undefined });
    return Promise.resolve();
  }, { clock, intervalMs: 250, chars: 100 });
  answer.update(say("a")); // nothing committed yet: the first write goes at once
  await clock.tick(0);
  assert.deepEqual(writes.map((w) => w.content), ["a"]);
  answer.update(say("ab"));
  await clock.tick(100);
  assert.equal(writes.length, 1, "a small change waits for the interval");
  await clock.tick(150);
  assert.deepEqual(writes.map((w) => w.content), ["a", "ab"]);
  answer.update(say("ab" + "x".repeat(200))); // 200 new characters: at once
  await clock.tick(0);
  assert.equal(writes.length, 3);
  assert.ok(writes.every((w) => w.interrupted === STREAMING_REASON), "drafts say interrupted");
  answer.update(say("ab" + "x".repeat(201)));
  await answer.finish(say("ab" + "x".repeat(201)), { model: "m" });
  await clock.runAll();
  assert.equal(writes.at(-1)!.final, true);
  assert.equal(writes.at(-1)!.interrupted, undefined);
  assert.equal(writes.filter((w) => w.final).length, 1, "nothing after the final write");
});

Deno.test("checkpoints: writes never overlap; the final waits for the one in flight", async () => {
  const clock = fakeClock();
  let active = 0;
  let overlapped = false;
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const answer = new AnswerCheckpoint(async (m) => {
    active++;
    if (active > 1) overlapped = true;
    if (order.length === 0) await gate;
    order.push(m.content);
    active--;
  }, { clock, intervalMs: 10, chars: 1 });
  answer.update(say("one"));
  answer.update(say("two"));
  const done = answer.finish(say("three"));
  release();
  await done;
  assert.equal(overlapped, false);
  assert.deepEqual(order, ["one", "three"]);
});

Deno.test("OpenAnswers.interruptAll commits every open answer as interrupted, once", async () => {
  const open = new OpenAnswers();
  const finals: LlmAssistantMessage[] = [];
  const answer = open.track(
    new AnswerCheckpoint((m, meta) => {
      if (meta) finals.push(m);
      return Promise.resolve();
    }, { chars: 1 }),
  );
  answer.update({ ...say("partial"), toolCalls: [{ id: "1", name: "a__b", arguments: {} }] });
  assert.equal(open.size, 1);
  await open.interruptAll("mcpchat was stopped (SIGTERM)", 1_000);
  await answer.finish(say("partial and more"), {}); // the loop ending later does not overwrite it
  assert.equal(open.size, 0);
  assert.equal(finals.length, 1);
  assert.equal(finals[0].content, "partial");
  assert.equal(finals[0].interrupted, "mcpchat was stopped (SIGTERM)");
  assert.equal(finals[0].toolCalls, undefined);
});
