import assert from "node:assert/strict";
import { fixture, tempDir } from "./helpers.ts";

interface MemoryReport {
  samples: Array<{ messages: number; heapUsed: number }>;
  recentSize: number;
  messageCount: number;
  oldestSeqs: [number, number];
  oldestContent: string;
}

async function runMemoryFixture(dir: string, args: string[]): Promise<MemoryReport> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--unstable-kv",
      "--v8-flags=--expose-gc",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      fixture("memory.ts"),
      dir,
      ...args,
    ],
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

function assertBounded(report: MemoryReport, total: number, pageSize: number) {
  assert.equal(report.messageCount, total);
  assert.equal(report.recentSize, pageSize, "only one page of messages is held");
  assert.deepEqual(report.oldestSeqs, [0, 99], "old messages are paged back from KV");
  assert.match(report.oldestContent, /^0 lorem/);
  // Heap after the first tenth (page full, code warm) vs every later sample: the
  // remaining 90% of the messages (~300 bytes each, ~27 MB if kept) add nothing.
  const base = report.samples[1].heapUsed;
  for (const s of report.samples.slice(2)) {
    assert.ok(
      s.heapUsed / base < 1.25,
      `heap grew with message count: ${base} B at ${
        report.samples[1].messages
      } -> ${s.heapUsed} B at ${s.messages}`,
    );
  }
  const last = report.samples.at(-1)!;
  const perMessage = (last.heapUsed - base) / (last.messages - report.samples[1].messages);
  assert.ok(perMessage < 20, `heap per extra message ${perMessage.toFixed(1)} B must be ~0`);
}

Deno.test("a 100,000-message session does not grow memory (batched appends)", async () => {
  await using tmp = await tempDir();
  const report = await runMemoryFixture(tmp.dir, ["100000", "10000", "200", "10"]);
  assertBounded(report, 100_000, 200);
});

Deno.test("single appends keep memory bounded too (10,000 messages, page of 50)", async () => {
  await using tmp = await tempDir();
  const report = await runMemoryFixture(tmp.dir, ["10000", "1000", "50", "1"]);
  assertBounded(report, 10_000, 50);
});
