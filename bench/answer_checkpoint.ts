/**
 * What committing an answer while it streams costs. Prints figures; asserts
 * nothing.
 *
 *   deno run --no-prompt -A bench/answer_checkpoint.ts
 *
 * A 2,000-token answer (about 10 KB) streamed at 200 tokens/s (simulated
 * time: a fake clock advances 5 ms per token) is committed into a real KV
 * store through `AnswerCheckpoint` + `SessionView.replaceLast`, as the chat
 * does. Baseline, same run: the same answer committed once at its end (what
 * mcpchat did before checkpoints). Also: a 200 KB answer (chunked in KV).
 *
 * @module
 */
import { AnswerCheckpoint } from "../lib/chat/checkpoint.ts";
import { toStoredMessage } from "../lib/chat/convert.ts";
import { openMessageStore } from "../lib/store/mod.ts";
import type { LlmAssistantMessage } from "../lib/llm/types.ts";
import type { Clock } from "../lib/util/clock.ts";

const dir = await Deno.makeTempDir({ prefix: "mcpchat-bench-checkpoint-" });
const store = await openMessageStore({ path: `${dir}/sessions.kv` });

/** A clock whose time only moves when told to (timers run as it passes them). */
function steppingClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let id = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (handle) => void timers.delete(handle),
    advance(ms) {
      now += ms;
      for (const [key, t] of [...timers]) {
        if (t.at <= now) {
          timers.delete(key);
          t.fn();
        }
      }
    },
  };
}

interface Run {
  writes: number;
  ms: number;
}

async function checkpointed(tokens: number, tokenText: string): Promise<Run> {
  const view = await store.sessions.create({});
  await view.append({ role: "user", content: "go" });
  const clock = steppingClock();
  let seq: number | undefined;
  let writes = 0;
  let busy = 0;
  const answer = new AnswerCheckpoint(async (message, meta) => {
    const started = performance.now();
    const stored = toStoredMessage(message, 0, meta ?? {});
    if (seq === undefined) seq = (await view.append(stored)).seq;
    else await view.replaceLast(seq, stored);
    busy += performance.now() - started;
    writes++;
  }, { clock });
  let text = "";
  for (let i = 0; i < tokens; i++) {
    text += tokenText;
    answer.update({ role: "assistant", content: text });
    clock.advance(5);
    // Let a write in flight land, as the event loop would while the next token is awaited.
    await new Promise((r) => setTimeout(r, 0));
  }
  const final: LlmAssistantMessage = { role: "assistant", content: text };
  await answer.finish(final, { model: "m" });
  await view.close();
  return { writes, ms: busy };
}

async function once(tokens: number, tokenText: string): Promise<Run> {
  const view = await store.sessions.create({});
  await view.append({ role: "user", content: "go" });
  const started = performance.now();
  await view.append(
    toStoredMessage({ role: "assistant", content: tokenText.repeat(tokens) }, 0, {}),
  );
  const ms = performance.now() - started;
  await view.close();
  return { writes: 1, ms };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const cases: [string, number, string][] = [
  ["2,000 tokens (~10 KB)", 2_000, "word "],
  ["2,000 tokens of 100 chars (~200 KB, chunked)", 2_000, "x".repeat(99) + " "],
];
console.log("| answer | end-only commit (baseline) | checkpointed | writes | ratio |");
console.log("|---|---|---|---|---|");
for (const [name, tokens, tokenText] of cases) {
  const base: number[] = [];
  const cp: number[] = [];
  let writes = 0;
  for (let i = 0; i < 5; i++) {
    base.push((await once(tokens, tokenText)).ms);
    const r = await checkpointed(tokens, tokenText);
    cp.push(r.ms);
    writes = r.writes;
  }
  const b = median(base);
  const c = median(cp);
  console.log(
    `| ${name} | ${b.toFixed(2)} ms | ${c.toFixed(2)} ms total store time | ${writes} | ${
      (c / b).toFixed(1)
    }× |`,
  );
}
console.log(
  "\nSimulated stream time is 10 s per answer: the checkpoints' store time is spread over it.",
);
await store.close();
await Deno.remove(dir, { recursive: true });
