import assert from "node:assert/strict";
import { estimateTokens, fitContext } from "../../lib/chat/mod.ts";
import type { LlmMessage } from "../../lib/llm/types.ts";

const text = (n: number) => "x".repeat(n * 4 - 16); // about n tokens with framing

function conversation(turns: number): LlmMessage[] {
  const out: LlmMessage[] = [{ role: "system", content: "rules" }];
  for (let i = 0; i < turns; i++) {
    out.push({ role: "user", content: `q${i} ${text(100)}` });
    out.push({
      role: "assistant",
      content: "",
      toolCalls: [{ id: `t${i}`, name: "a__b", arguments: {} }],
    });
    out.push({ role: "tool", toolCallId: `t${i}`, name: "a__b", content: text(100) });
    out.push({ role: "assistant", content: `a${i}` });
  }
  return out;
}

const total = (messages: LlmMessage[]) => messages.reduce((sum, m) => sum + estimateTokens(m), 0);

Deno.test("a conversation within budget is kept whole", () => {
  const messages = conversation(3);
  assert.deepEqual(
    fitContext(messages, { strategy: "sliding_window", maxTokens: 100_000, reserveTokens: 0 }),
    messages,
  );
});

Deno.test("sliding_window keeps system messages and the newest whole turns within budget", () => {
  const messages = conversation(50);
  const kept = fitContext(messages, {
    strategy: "sliding_window",
    maxTokens: 1_000,
    reserveTokens: 200,
  });
  assert.ok(total(kept) <= 800, `kept ${total(kept)} tokens`);
  assert.equal(kept[0].role, "system");
  assert.equal(kept[1].role, "user", "the window starts at a user turn");
  assert.deepEqual(kept.at(-1), messages.at(-1));
  // Every tool result still has the call it answers.
  const calls = new Set(
    kept.flatMap((m) => m.role === "assistant" ? (m.toolCalls ?? []).map((c) => c.id) : []),
  );
  for (const m of kept) if (m.role === "tool") assert.ok(calls.has(m.toolCallId));
});

Deno.test("smart also keeps the first user message (the task) when there is room", () => {
  const messages = conversation(50);
  const kept = fitContext(messages, { strategy: "smart", maxTokens: 1_000, reserveTokens: 0 });
  assert.equal(kept[1].role, "user");
  assert.match(kept[1].content as string, /^q0 /);
  assert.ok(total(kept) <= 1_000);
  const sliding = fitContext(messages, {
    strategy: "sliding_window",
    maxTokens: 1_000,
    reserveTokens: 0,
  });
  assert.doesNotMatch(sliding[1].content as string, /^q0 /);
});

Deno.test("the newest message is kept even when it alone exceeds the budget", () => {
  const messages: LlmMessage[] = [{ role: "user", content: "old" }, {
    role: "user",
    content: text(5_000),
  }];
  const kept = fitContext(messages, {
    strategy: "sliding_window",
    maxTokens: 100,
    reserveTokens: 0,
  });
  assert.deepEqual(kept, [messages[1]]);
});

Deno.test("a long session stays bounded: 100,000 messages fit in a fixed window", () => {
  let history: LlmMessage[] = [];
  const options = { strategy: "sliding_window" as const, maxTokens: 2_000, reserveTokens: 0 };
  for (let i = 0; i < 50_000; i++) {
    history.push({ role: "user", content: `question ${i}` }, {
      role: "assistant",
      content: `answer ${i}`,
    });
    if (i % 100 === 0) history = fitContext(history, options);
  }
  history = fitContext(history, options);
  assert.ok(history.length < 400, `${history.length} messages kept`);
  assert.equal((history.at(-1) as { content: string }).content, "answer 49999");
});

Deno.test("fitting never empties the prompt: a 1 MB tool result is cut with a marker, the turn stays", async () => {
  const { modelView } = await import("../../lib/chat/mod.ts");
  const huge = "z".repeat(1_000_000);
  const history: LlmMessage[] = [
    { role: "user", content: "read the file" },
    { role: "assistant", content: "", toolCalls: [{ id: "t1", name: "fs__read", arguments: {} }] },
    { role: "tool", toolCallId: "t1", name: "fs__read", content: huge },
  ];
  const before = structuredClone(history);
  const options = { strategy: "sliding_window" as const, maxTokens: 100_000, reserveTokens: 4_096 };
  const view = modelView(history, options);
  assert.deepEqual(history, before, "history is not changed");
  assert.deepEqual(view.map((m) => m.role), ["user", "assistant", "tool"]);
  const cut = view[2].content as string;
  assert.match(cut, /\[mcpchat cut [\d,]+ of 1,000,000 characters of this tool result/);
  assert.ok(total(view) <= 100_000 - 4_096, `view is ${total(view)} tokens`);
});

Deno.test("a single user message larger than the whole budget is still sent", () => {
  const history: LlmMessage[] = [
    { role: "user", content: "old" },
    { role: "assistant", content: "answer" },
    { role: "user", content: "q".repeat(50_000) },
  ];
  const kept = fitContext(history, { strategy: "smart", maxTokens: 1_000, reserveTokens: 0 });
  assert.equal(kept.at(-1), history[2]);
  assert.ok(kept.length >= 1);
});

Deno.test("the model view repairs interrupted turns without touching history", async () => {
  const { modelView } = await import("../../lib/chat/mod.ts");
  const history: LlmMessage[] = [
    { role: "user", content: "one" },
    { role: "user", content: "two" }, // a turn whose answer was never stored (killed before)
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "a", name: "s__t", arguments: {} }, {
        id: "b",
        name: "s__t",
        arguments: {},
      }],
    },
    { role: "tool", toolCallId: "a", name: "s__t", content: "done" },
    { role: "tool", toolCallId: "zz", name: "s__t", content: "orphan" },
    { role: "user", content: "three" },
    {
      role: "assistant",
      content: "par",
      interrupted: "cancelled by Ctrl-C",
      toolCalls: [{ id: "c", name: "s__t", arguments: {} }],
    },
    { role: "user", content: "four" },
  ];
  const before = structuredClone(history);
  const view = modelView(history);
  assert.deepEqual(history, before);
  assert.deepEqual(view.map((m) => m.role), [
    "user",
    "assistant",
    "user",
    "assistant",
    "tool",
    "tool",
    "user",
    "assistant",
    "user",
  ]);
  assert.match(view[5].content as string, /did not finish/);
  assert.equal(view[7].content, "par\n\n[this answer was interrupted: cancelled by Ctrl-C]");
  assert.equal((view[7] as { toolCalls?: unknown }).toolCalls, undefined);
  for (let i = 1; i < view.length; i++) {
    assert.ok(
      !(view[i].role === "user" && view[i - 1].role === "user"),
      "no two user turns in a row",
    );
  }
});

Deno.test("an empty interrupted draft followed by its answer is left out of the model view", async () => {
  const { modelView } = await import("../../lib/chat/mod.ts");
  const view = modelView([
    { role: "user", content: "q" },
    { role: "assistant", content: "", interrupted: "superseded by the next message" },
    { role: "assistant", content: "the answer" },
    { role: "user", content: "next" },
  ]);
  assert.deepEqual(view.map((m) => m.content), ["q", "the answer", "next"]);
});
