/**
 * `deno task bench`: runs every benchmark in `bench/` one after another
 * (they share two cores; running them together would measure each other),
 * prints their figures, and writes them with the machine's description to
 * `bench/RESULTS.md`.
 *
 * @module
 */

const here = new URL(".", import.meta.url);
const only = Deno.args;
const files = [...Deno.readDirSync(here)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith(".ts") && name !== "run.ts" && !name.startsWith("_"))
  .filter((name) => only.length === 0 || only.some((o) => name.includes(o)))
  .sort();

const cpu = (() => {
  try {
    return /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
})();
const sections = [
  `# mcpchat benchmarks`,
  ``,
  `${
    new Date().toISOString()
  } · Deno ${Deno.version.deno} · ${Deno.build.os}/${Deno.build.arch} · ` +
  `${navigator.hardwareConcurrency} cores (${cpu}) · ${
    Math.round(Deno.systemMemoryInfo().total / 2 ** 30)
  } GiB`,
  ``,
  `Figures from a shared machine: compare ratios to the baselines measured in the same run.`,
];
let failures = 0;
for (const file of files) {
  console.error(`\n▶ bench/${file}`);
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", new URL(file, here).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(stdout);
  console.log(text);
  sections.push(
    "",
    `## bench/${file}${code === 0 ? "" : ` (FAILED, exit ${code})`}`,
    "",
    text.trim(),
  );
  if (code !== 0) failures++;
}
const out = new URL("RESULTS.md", here);
Deno.writeTextFileSync(out, sections.join("\n") + "\n");
console.error(`\nwrote ${out.pathname}`);
Deno.exit(failures ? 1 : 0);
