import assert from "node:assert/strict";
import fc from "fast-check";
import type { MessageEntry } from "../../lib/store/mod.ts";
import { openAt, tempDir } from "./helpers.ts";

type Op =
  | { kind: "append"; sizes: number[] }
  | { kind: "clear" }
  | { kind: "reopen" }
  | { kind: "page"; before: number; limit: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      sizes: fc.array(fc.constantFrom(5, 40, 35_000, 70_000), { minLength: 1, maxLength: 12 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("clear" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("page" as const),
      before: fc.integer({ min: 0, max: 80 }),
      limit: fc.integer({ min: 1, max: 30 }),
    }),
  },
);

Deno.test("store history always equals a simple model (random appends, clears, reopens, pages)", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(op, { minLength: 1, maxLength: 25 }),
      fc.integer({ min: 1, max: 9 }),
      async (ops, pageSize) => {
        await using tmp = await tempDir();
        let store = await openAt(tmp.dir, { pageSize });
        let view = await store.sessions.create();
        const id = view.id;
        let model: Array<{ seq: number; content: string }> = [];
        let nextSeq = 0;
        try {
          for (const o of ops) {
            if (o.kind === "append") {
              const messages = o.sizes.map((n, i) => ({
                role: "user",
                content: `${nextSeq + i}:`.padEnd(n, "x"),
              }));
              const entries = await view.appendMany(messages);
              assert.deepEqual(entries.map((e) => e.seq), messages.map((_, i) => nextSeq + i));
              model.push(...messages.map((m, i) => ({ seq: nextSeq + i, content: m.content })));
              nextSeq += messages.length;
            } else if (o.kind === "clear") {
              await store.sessions.clear(id);
              model = [];
            } else if (o.kind === "reopen") {
              await store.close();
              store = await openAt(tmp.dir, { pageSize });
              view = await store.sessions.open(id);
            } else {
              const page = await view.history({ before: o.before, limit: o.limit });
              const expected = model.filter((m) => m.seq < o.before).slice(-o.limit);
              assert.deepEqual(
                page.messages.map((m: MessageEntry) => ({ seq: m.seq, content: m.content })),
                expected,
              );
              const older = model.filter((m) => m.seq < (expected[0]?.seq ?? -1));
              if (older.length === 0) assert.equal(page.nextBefore, null);
            }
            // Invariants after every step.
            assert.ok(view.recentSize <= pageSize);
            assert.deepEqual(
              view.recent.map((m) => m.seq),
              model.slice(-pageSize).map((m) => m.seq),
            );
            const record = await store.sessions.get(id);
            assert.equal(record.messageCount, model.length);
            assert.equal(record.nextSeq, nextSeq);
          }
          // Walking every page back from the newest yields the whole model, once, in order.
          const all: MessageEntry[] = [];
          let before: number | undefined;
          for (;;) {
            const page = await view.history({ before, limit: 7 });
            all.unshift(...page.messages);
            if (page.nextBefore === null) break;
            before = page.nextBefore;
          }
          assert.deepEqual(all.map((m) => ({ seq: m.seq, content: m.content })), model);
        } finally {
          await store.close();
        }
      },
    ),
    { numRuns: 60 },
  );
});
