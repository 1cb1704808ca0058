import assert from "node:assert/strict";
import { coalesceText } from "../../lib/llm/coalesce.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";
import { fakeClock, flush } from "../_helpers/fake_clock.ts";

async function collect(it: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const out: LlmEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const text = (t: string): LlmEvent => ({ type: "text-delta", text: t });

Deno.test("coalesceText: text within the window leaves as one event; other events flush it and keep their place", async () => {
  async function* burst(): AsyncGenerator<LlmEvent> {
    yield { type: "start", backend: "b", kind: "anthropic", model: "m" };
    for (const t of ["a", "b", "c"]) yield text(t);
    yield { type: "tool-call", id: "1", name: "t", arguments: {} };
    yield text("d");
    yield { type: "usage", inputTokens: 1, outputTokens: 1, cost: 0 };
    yield { type: "finish", reason: "stop" };
  }
  // A fake clock that never moves: only other events and the end flush text.
  const out = await collect(coalesceText(burst(), { clock: fakeClock() }));
  assert.deepEqual(out, [
    { type: "start", backend: "b", kind: "anthropic", model: "m" },
    text("abc"),
    { type: "tool-call", id: "1", name: "t", arguments: {} },
    text("d"),
    { type: "usage", inputTokens: 1, outputTokens: 1, cost: 0 },
    { type: "finish", reason: "stop" },
  ]);
});

Deno.test("coalesceText: the window closes after windowMs even while the stream goes on", async () => {
  const clock = fakeClock();
  const feed: ((e: IteratorResult<LlmEvent>) => void)[] = [];
  const source: AsyncIterable<LlmEvent> = {
    [Symbol.asyncIterator]: () => ({
      next: () => new Promise<IteratorResult<LlmEvent>>((resolve) => feed.push(resolve)),
      return: () => Promise.resolve({ done: true, value: undefined }),
    }),
  };
  const it = coalesceText(source, { windowMs: 16, clock });
  const first = it.next();
  await flush();
  feed.shift()!({ done: false, value: text("x") });
  await flush();
  feed.shift()!({ done: false, value: text("y") });
  await flush();
  let settled = false;
  first.then(() => (settled = true));
  await clock.tick(15);
  assert.equal(settled, false, "still inside the window");
  await clock.tick(1);
  assert.deepEqual((await first).value, text("xy"));
  const second = it.next();
  await flush();
  feed.shift()!({ done: true, value: undefined });
  assert.equal((await second).done, true);
});

Deno.test("coalesceText: windowMs 0 passes paced text one by one", async () => {
  async function* paced(): AsyncGenerator<LlmEvent> {
    for (const t of ["x", "y", "z"]) {
      await new Promise((r) => setTimeout(r, 0));
      yield text(t);
    }
  }
  assert.deepEqual(await collect(coalesceText(paced(), { windowMs: 0 })), [
    text("x"),
    text("y"),
    text("z"),
  ]);
});

Deno.test("coalesceText: an error comes after the events before it", async () => {
  async function* failing(): AsyncGenerator<LlmEvent> {
    yield text("partial");
    throw new Error("broke");
  }
  const seen: LlmEvent[] = [];
  await assert.rejects(async () => {
    for await (const e of coalesceText(failing(), { clock: fakeClock() })) seen.push(e);
  }, /broke/);
  assert.deepEqual(seen, [text("partial")]);
});

Deno.test("coalesceText: stopping early stops reading the source", async () => {
  let pulled = 0;
  let closed = false;
  async function* endless(): AsyncGenerator<LlmEvent> {
    try {
      while (true) {
        pulled++;
        await new Promise((r) => setTimeout(r, 1));
        yield { type: "reasoning-delta", text: "t" };
      }
    } finally {
      closed = true;
    }
  }
  for await (const _ of coalesceText(endless())) break;
  const at = pulled;
  await flush(10);
  assert.ok(pulled <= at + 1, "no more reading after the consumer left");
  await flush(10);
  assert.equal(closed, true);
});

Deno.test("coalesceText: caps one event at maxChars", async () => {
  async function* many(): AsyncGenerator<LlmEvent> {
    for (let i = 0; i < 10; i++) yield text("abcd");
  }
  const out = await collect(coalesceText(many(), { maxChars: 8, clock: fakeClock() }));
  assert.equal(out.map((e) => e.type === "text-delta" ? e.text : "").join(""), "abcd".repeat(10));
  assert.ok(out.every((e) => e.type !== "text-delta" || e.text.length <= 8));
  assert.ok(out.length < 10, "merged");
});
