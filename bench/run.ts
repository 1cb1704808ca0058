/**
 * `deno task bench`: runs every benchmark in `bench/` one after another
 * (they share two cores; running them together would measure each other),
 * prints their figures, and writes them with the machine's description to
 * `bench/RESULTS.md` as markdown tables (see `results.ts`), then formats the
 * file so `deno fmt --check` agrees with it.
 *
 *   deno task bench            # all of them
 *   deno task bench store mcp  # those whose file name contains a word; the other
 *                              # sections keep their last figures (bench/results.json)
 *
 * @module
 */

import { type BenchRun, describeMachine, mergeRuns, renderResults } from "./results.ts";

const here = new URL(".", import.meta.url);
const only = Deno.args;
const skip = new Set(["run.ts", "results.ts"]);
const files = [...Deno.readDirSync(here)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith(".ts") && !skip.has(name) && !name.startsWith("_"))
  .filter((name) => only.length === 0 || only.some((o) => name.includes(o)))
  .sort();

const machine = describeMachine();
const runs: BenchRun[] = [];
for (const file of files) {
  console.error(`\n▶ bench/${file}`);
  const started = performance.now();
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", new URL(file, here).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(stdout);
  console.log(text);
  runs.push({
    file,
    exitCode: code,
    wallMs: performance.now() - started,
    stdout: text,
    date: new Date().toISOString(),
  });
}
// The raw runs are kept beside the report, so a partial run replaces only its own sections.
const raw = new URL("results.json", here);
const previous: BenchRun[] = (() => {
  try {
    return JSON.parse(Deno.readTextFileSync(raw));
  } catch {
    return [];
  }
})();
const existing = [...Deno.readDirSync(here)].map((entry) => entry.name);
const merged = mergeRuns(previous, runs, existing);
Deno.writeTextFileSync(raw, JSON.stringify(merged, null, 2) + "\n");
const out = new URL("RESULTS.md", here);
Deno.writeTextFileSync(out, renderResults(machine, merged));
// Table columns aligned the way the formatter wants them: `deno fmt --check` stays green.
await new Deno.Command(Deno.execPath(), { args: ["fmt", "-q", out.pathname, raw.pathname] })
  .output();
console.error(`\nwrote ${out.pathname}`);
Deno.exit(runs.some((run) => run.exitCode !== 0) ? 1 : 0);
