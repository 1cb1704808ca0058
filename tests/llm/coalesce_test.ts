import assert from "node:assert/strict";
import { coalesceText } from "../../lib/llm/coalesce.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";

async function collect(it: AsyncIterable<LlmEvent>): Promise<LlmEvent[]> {
  const out: LlmEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const text = (t: string): LlmEvent => ({ type: "text-delta", text: t });

Deno.test("coalesceText: a burst of text leaves as one event; other events keep their place", async () => {
  async function* burst(): AsyncGenerator<LlmEvent> {
    yield { type: "start", backend: "b", kind: "anthropic", model: "m" };
    for (const t of ["a", "b", "c"]) yield text(t);
    yield { type: "tool-call", id: "1", name: "t", arguments: {} };
    yield text("d");
    yield { type: "usage", inputTokens: 1, outputTokens: 1, cost: 0 };
    yield { type: "finish", reason: "stop" };
  }
  const out = await collect(coalesceText(burst(), 8192, () => 0)); // all at the same instant
  // The first piece may leave before the burst is seen; the rest is merged.
  const kinds = out.map((e) => e.type).filter((t, i, all) =>
    t !== "text-delta" || all[i - 1] !== t
  );
  assert.deepEqual(kinds, ["start", "text-delta", "tool-call", "text-delta", "usage", "finish"]);
  assert.ok(out.length <= 7, `burst merged (${out.length} events)`);
  const texts = out.filter((e) => e.type === "text-delta").map((e) =>
    e.type === "text-delta" && e.text
  );
  assert.equal(texts.join(""), "abcd");
  assert.equal(texts.at(-1), "d", "text after the tool call stays after it");
});

Deno.test("coalesceText: paced text passes one by one, in order", async () => {
  async function* paced(): AsyncGenerator<LlmEvent> {
    for (const t of ["x", "y", "z"]) {
      await new Promise((r) => setTimeout(r, 0));
      yield text(t);
    }
  }
  let t = 0;
  const out = await collect(coalesceText(paced(), 8192, () => (t += 5))); // 5 ms apart
  assert.deepEqual(out, [text("x"), text("y"), text("z")]);
});

Deno.test("coalesceText: an error comes after the events before it", async () => {
  async function* failing(): AsyncGenerator<LlmEvent> {
    yield text("partial");
    throw new Error("broke");
  }
  const seen: LlmEvent[] = [];
  await assert.rejects(async () => {
    for await (const e of coalesceText(failing())) seen.push(e);
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
        yield text("t");
      }
    } finally {
      closed = true;
    }
  }
  for await (const _ of coalesceText(endless())) break;
  const at = pulled;
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(pulled <= at + 1, "no more reading after the consumer left");
  assert.equal(closed, true);
});

Deno.test("coalesceText: caps one event at maxChars", async () => {
  async function* many(): AsyncGenerator<LlmEvent> {
    for (let i = 0; i < 10; i++) yield text("abcd");
  }
  const out = await collect(coalesceText(many(), 8, () => 0));
  assert.equal(out.map((e) => e.type === "text-delta" ? e.text : "").join(""), "abcd".repeat(10));
  assert.ok(out.every((e) => e.type !== "text-delta" || e.text.length <= 8));
});
