/**
 * Store benchmark. Prints figures against the budgets of issue 7; asserts nothing.
 *
 *   deno run --no-prompt -A bench/store_bench.ts
 *
 * 1. Append one message (~500 B), committed atomically with the counters:
 *    median and p99, in process and through the store worker (RPC hop).
 *    Budget: median < 2 ms. Also a 100 KB tool result (chunked), for scale.
 * 2. Resume a 10,000-message session: open the store (migration check,
 *    sweep recovery), take the writer lease, load the record and the last
 *    page (200). Warm in process, and cold in a fresh process
 *    (`fixtures/store_resume_child.ts`) with and without the module load. Budget: < 100 ms.
 * 3. List 1,000 sessions (one range read of the last-active index), and
 *    the first page of 50. Budget: < 50 ms.
 *
 * Each figure with a floor is followed by its ratio to that floor, timed
 * in the same run and interleaved sample by sample with the figure (so both
 * meet the same load on a shared machine): a bare `kv.atomic().set().commit()`
 * of the same value (append), a bare `kv.list` of as many session-sized
 * entries (list), `deno eval 0` (fresh process). The ratio is what the
 * store's own work costs on top of Deno KV and Deno here and now.
 *
 * @module
 */

import { startPlugin, type SurfaceOf } from "../lib/plugin/mod.ts";
import { openMessageStore, resolveKvLocation, storeWorkerPermissions } from "../lib/store/mod.ts";
import type { storePlugin } from "../plugins/store.ts";

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function report(
  name: string,
  samples: number[],
  budgetMs?: number,
  budgetOn: "median" | "p99" = "median",
  floor?: { name: string; samples: number[] },
) {
  const med = quantile(samples, 0.5);
  const p99 = quantile(samples, 0.99);
  const measured = budgetOn === "median" ? med : p99;
  const verdict = budgetMs === undefined
    ? ""
    : `  budget ${budgetOn} < ${budgetMs} ms: ${measured < budgetMs ? "OK" : "OVER"}`;
  console.log(
    `${name.padEnd(58)} median ${med.toFixed(3).padStart(8)} ms   p99 ${
      p99.toFixed(3).padStart(8)
    } ms   (n=${samples.length})${verdict}`,
  );
  if (floor) {
    const floorMedian = quantile(floor.samples, 0.5);
    console.log(
      `${"".padEnd(4)}${(med / floorMedian).toFixed(2)}× ${floor.name} (median ${
        floorMedian.toFixed(3)
      } ms, interleaved in this run)`,
    );
  }
}

/** Elapsed ms of `fn`. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const body = "The quick brown fox jumps over the lazy dog. ".repeat(11); // ~500 B

const dir = await Deno.makeTempDir({ prefix: "mcpchat-store-bench-" });
try {
  console.log(
    `store benchmark (Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores)\n`,
  );

  // Floors, timed alternately with the figures: bare Deno KV and a bare Deno process.
  const kvFloor = await Deno.openKv(`${dir}/floor.kv`);
  const message = { role: "user", content: body, createdAt: Date.now() };
  let floorSeq = 0n;
  const bareCommit = () =>
    kvFloor.atomic().set(["m", "s", floorSeq++], { m: message }).set(["s"], { n: floorSeq })
      .commit();
  for (let i = 0; i < 200; i++) await bareCommit(); // warm-up
  const appendFloor = {
    name: "a bare KV commit of the same message and a small record",
    samples: [] as number[],
  };
  const workerFloor = {
    name: "a bare KV commit of the same message and a small record",
    samples: [] as number[],
  };
  const listFloor = {
    name: "a bare kv.list of 1,000 record-sized entries",
    samples: [] as number[],
  };
  const processFloor = { name: "`deno eval 0`", samples: [] as number[] };

  // 1. Append.
  {
    const store = await openMessageStore({ path: `${dir}/append.kv` });
    const view = await store.sessions.create();
    for (let i = 0; i < 200; i++) await view.append({ role: "user", content: body }); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < 3000; i++) {
      appendFloor.samples.push(await timed(bareCommit));
      samples.push(
        await timed(() =>
          view.append({
            role: i % 2 ? "assistant" : "user",
            content: body,
            usage: { inputTokens: 120, outputTokens: 40 },
            cost: 0.0004,
          })
        ),
      );
    }
    report("append 500 B message (in process)", samples, 2, "median", appendFloor);
    const big: number[] = [];
    const result = "x".repeat(100_000);
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      await view.append({
        role: "tool",
        content: [{ type: "tool-result", id: `c${i}`, content: result }],
      });
      big.push(performance.now() - t);
    }
    report("append 100 KB tool result, chunked (in process)", big);
    await store.close();
  }
  {
    const location = resolveKvLocation({ env: { MCPCHAT_DATA_DIR: `${dir}/worker` } });
    const worker = await startPlugin<SurfaceOf<typeof storePlugin>>({
      name: "store",
      module: new URL("../plugins/store.ts", import.meta.url),
      permissions: storeWorkerPermissions(location),
      init: { location },
      heartbeat: false,
    });
    const { session } = await worker.peer.call("create", {});
    for (let i = 0; i < 200; i++) {
      await worker.peer.call("append", {
        sessionId: session.id,
        message: { role: "user", content: body },
      });
    }
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      workerFloor.samples.push(await timed(bareCommit));
      samples.push(
        await timed(() =>
          worker.peer.call("append", {
            sessionId: session.id,
            message: { role: "user", content: body },
          })
        ),
      );
    }
    report("append 500 B message (through the store worker)", samples, 2, "median", workerFloor);
    await worker.stop();
  }

  // 2. Resume a 10,000-message session.
  const resumePath = `${dir}/resume.kv`;
  let resumeId: string;
  {
    const store = await openMessageStore({ path: resumePath });
    const view = await store.sessions.create({ title: "long" });
    resumeId = view.id;
    for (let i = 0; i < 10_000; i += 50) {
      await view.appendMany(
        Array.from(
          { length: 50 },
          (_, k) => ({ role: (i + k) % 2 ? "assistant" : "user", content: `${i + k} ${body}` }),
        ),
      );
    }
    await store.close();
    const samples: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      const s = await openMessageStore({ path: resumePath });
      const v = await s.sessions.open(resumeId);
      if (v.recentSize !== 200) throw new Error("last page not loaded");
      samples.push(performance.now() - t);
      await s.close();
    }
    report("resume 10,000-message session: open + lease + last 200 (warm)", samples, 100);
  }
  {
    const totals: number[] = [];
    const resumes: number[] = [];
    const processes: number[] = [];
    const child = new URL("./fixtures/store_resume_child.ts", import.meta.url).pathname;
    for (let i = 0; i < 8; i++) {
      processFloor.samples.push(
        await timed(() => new Deno.Command(Deno.execPath(), { args: ["eval", "0"] }).output()),
      );
      const t = performance.now();
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--no-prompt", "-A", child, resumePath, resumeId],
        stderr: "inherit",
      }).output();
      processes.push(performance.now() - t);
      const r = JSON.parse(new TextDecoder().decode(out.stdout));
      if (r.recent !== 200) throw new Error("last page not loaded");
      totals.push(r.total);
      resumes.push(r.resume);
    }
    report("resume 10,000-message session, fresh process: store part", resumes, 100);
    report("  same, including loading the lib/store modules", totals, 100);
    report(
      "  whole process: deno start + load + resume + exit",
      processes,
      undefined,
      "median",
      processFloor,
    );
  }

  // 3. List 1,000 sessions.
  {
    const store = await openMessageStore({ path: `${dir}/list.kv` });
    for (let i = 0; i < 1000; i++) {
      const v = await store.sessions.create({ model: "claude-sonnet", backend: "anthropic" });
      await v.appendMany([
        {
          role: "user",
          content: `question ${i} ${body.slice(0, 80)}`,
          usage: { inputTokens: 10, outputTokens: 0 },
        },
        {
          role: "assistant",
          content: body,
          usage: { inputTokens: 0, outputTokens: 90 },
          cost: 0.001,
        },
      ]);
      await v.close();
    }
    const records = (await store.sessions.list({ limit: 1000 })).sessions;
    for (let i = 0; i < records.length; i++) await kvFloor.set(["list", i], records[i]);
    const all: number[] = [];
    const first: number[] = [];
    for (let i = 0; i < 50; i++) {
      listFloor.samples.push(
        await timed(async () => {
          for await (const _ of kvFloor.list({ prefix: ["list"] }, { batchSize: 500 })) {
            // read only
          }
        }),
      );
      let t = performance.now();
      const page = await store.sessions.list({ limit: 1000 });
      all.push(performance.now() - t);
      if (page.sessions.length !== 1000) throw new Error(`listed ${page.sessions.length}`);
      t = performance.now();
      await store.sessions.list({ limit: 50 });
      first.push(performance.now() - t);
    }
    report("list 1,000 sessions (newest first, full records)", all, 50, "median", listFloor);
    report("list first page of 50 of 1,000", first, 50);
    await store.close();
  }
  kvFloor.close();
} finally {
  await Deno.remove(dir, { recursive: true });
}
