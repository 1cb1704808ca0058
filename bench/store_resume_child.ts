/**
 * Child of `bench/store_bench.ts`: in a fresh process, loads `lib/store`,
 * opens the store and resumes one session (lease + last page), and prints
 * the milliseconds of each part as JSON. Not a benchmark on its own.
 *
 *   deno run --no-prompt -A bench/store_resume_child.ts PATH SESSION_ID
 *
 * @module
 */

const t0 = performance.now();
const { openMessageStore } = await import("../lib/store/mod.ts");
const t1 = performance.now();
const [path, id] = Deno.args;
const store = await openMessageStore({ path });
const view = await store.open(id);
const t2 = performance.now();
console.log(
  JSON.stringify({ load: t1 - t0, resume: t2 - t1, total: t2 - t0, recent: view.recentSize }),
);
await store.close();

/** Marker so this file is a module. */
export const CHILD = "store-resume";
