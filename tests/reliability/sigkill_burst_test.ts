/**
 * SIGKILL the whole process while it writes bursts of messages through the
 * real store worker: every message the store acknowledged is there after.
 */
import assert from "node:assert/strict";
import { openMessageStore, resolveKvLocation } from "../../lib/store/mod.ts";
import { recordFigure } from "./_figures.ts";

const FIXTURE = new URL("./fixtures/store_burst.ts", import.meta.url).pathname;
const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;
const ROUNDS = 5;

async function burstUntilKilled(dir: string, sessionId: string, killAfterAcks: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", "--config", DENO_JSON, FIXTURE, dir, sessionId],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const errors = new Response(child.stderr).text();
  const acked = new Set<number>();
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of child.stdout) {
    buffer += decoder.decode(chunk, { stream: true });
    const lines = buffer.split("\n");
    buffer = lines.pop()!;
    for (const line of lines) {
      const match = /^ack (\d+)$/.exec(line);
      if (match) acked.add(Number(match[1]));
    }
    if (acked.size >= killAfterAcks) {
      child.kill("SIGKILL");
      break;
    }
  }
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `killed, not ended: ${await errors}`);
  return acked;
}

Deno.test("SIGKILL during bursts of message writes through the store worker loses nothing acknowledged", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcpchat-burst-" });
  const acked = new Map<string, Set<number>>();
  for (let round = 0; round < ROUNDS; round++) {
    const id = `burst-${round}`;
    // Kill at a different point each round, in the middle of a burst of 20.
    acked.set(id, await burstUntilKilled(dir, id, 45 + round * 37));
  }
  const location = resolveKvLocation({ env: {}, dataDir: dir, cwd: dir, os: Deno.build.os });
  const store = await openMessageStore({ location });
  let checked = 0;
  let lost = 0;
  try {
    for (const [id, seqs] of acked) {
      const view = await store.sessions.open(id, { readOnly: true });
      const stored = new Set<number>();
      for await (const m of view.messages()) {
        const match = /^burst message (\d+)/.exec(m.content as string);
        assert.ok(match, `a stored message is whole: ${(m.content as string).slice(0, 40)}`);
        stored.add(Number(match[1]));
        if (Number(match[1]) % 25 === 24) {
          assert.equal((m.content as string).length, 100_000 + `burst message ${match[1]} `.length);
        }
      }
      for (const n of seqs) {
        checked++;
        if (!stored.has(n)) lost++;
      }
      assert.ok(
        stored.size >= seqs.size,
        `${id}: ${stored.size} stored, ${seqs.size} acknowledged`,
      );
    }
  } finally {
    await store.close();
  }
  assert.equal(lost, 0, "every acknowledged message is stored");
  await recordFigure("sigkill_burst", {
    scenario:
      `SIGKILL of the whole process during bursts of 20 concurrent appends (${ROUNDS} kills)`,
    measure: "acknowledged messages checked",
    value: checked,
    lost,
  });
});
