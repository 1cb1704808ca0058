/**
 * Renders `bench/RESULTS.md`: the machine it ran on and a summary as
 * markdown tables, then each benchmark's own output. A benchmark that prints
 * markdown (tables, headings) is kept as markdown, its headings moved under
 * its section; plain text is kept verbatim in a fenced block, so `deno fmt`
 * leaves the file as written.
 *
 * @module
 */

/** The machine a run measured. */
export interface MachineInfo {
  date: string;
  deno: string;
  os: string;
  arch: string;
  cores: number;
  cpu: string;
  memoryGiB: number;
}

/** One benchmark's run. */
export interface BenchRun {
  file: string;
  exitCode: number;
  wallMs: number;
  stdout: string;
  /** When it ran (ISO); a partial run keeps the others' figures with their dates. */
  date?: string;
}

/**
 * The runs to report after running `fresh`: the fresh ones, plus the
 * previous run of every other benchmark that still exists (so
 * `deno task bench store` updates one section instead of dropping the rest).
 *
 * @example
 * ```ts
 * import { mergeRuns } from "./results.ts";
 * const old = [{ file: "a.ts", exitCode: 0, wallMs: 1, stdout: "old a" }, { file: "b.ts", exitCode: 0, wallMs: 1, stdout: "old b" }];
 * const merged = mergeRuns(old, [{ file: "b.ts", exitCode: 0, wallMs: 2, stdout: "new b" }], ["a.ts", "b.ts"]);
 * console.log(merged.map((r) => r.stdout)); // [ "old a", "new b" ]
 * ```
 */
export function mergeRuns(previous: BenchRun[], fresh: BenchRun[], existing: string[]): BenchRun[] {
  const byFile = new Map(previous.filter((r) => existing.includes(r.file)).map((r) => [r.file, r]));
  for (const run of fresh) byFile.set(run.file, run);
  return [...byFile.values()].sort((a, b) => a.file.localeCompare(b.file));
}

/**
 * The machine this process runs on.
 *
 * @example
 * ```ts
 * import { describeMachine } from "./results.ts";
 * console.log(describeMachine().cores > 0); // true
 * ```
 */
export function describeMachine(now: Date = new Date()): MachineInfo {
  let cpu = "unknown";
  try {
    cpu = /model name\s*:\s*(.*)/.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1]?.trim() ??
      "unknown";
  } catch {
    // not Linux, or /proc not readable: the rest still describes the machine
  }
  return {
    date: now.toISOString(),
    deno: Deno.version.deno,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cores: navigator.hardwareConcurrency,
    cpu,
    memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
  };
}

/**
 * A markdown table; `|` in cells is escaped.
 *
 * @example
 * ```ts
 * import { markdownTable } from "./results.ts";
 * console.log(markdownTable(["a", "b"], [["1", "2"]]));
 * // | a | b |
 * // | --- | --- |
 * // | 1 | 2 |
 * ```
 */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) =>
    `| ${cells.map((cell) => cell.replaceAll("|", "\\|").replaceAll("\n", " ")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Whether a benchmark printed markdown (a table or a heading) rather than plain text. */
function isMarkdown(text: string): boolean {
  return /^\|.*\|\s*$/m.test(text) || /^#{1,6} /m.test(text);
}

/** A benchmark's output as a section body, formatter-stable. */
export function renderOutput(stdout: string): string {
  const text = stdout.trim();
  if (!text) return "_(no output)_";
  if (isMarkdown(text)) {
    // Headings of the benchmark go under its own `##` section.
    return text.replace(
      /^(#{1,4}) /gm,
      (_m, hashes: string) => `${"#".repeat(Math.min(6, hashes.length + 2))} `,
    );
  }
  const fence = text.includes("```") ? "````" : "```";
  return `${fence}text\n${text}\n${fence}`;
}

/**
 * The whole `RESULTS.md`.
 *
 * @example
 * ```ts
 * import { renderResults } from "./results.ts";
 * const md = renderResults(
 *   { date: "2026-01-01T00:00:00Z", deno: "2.9.6", os: "linux", arch: "x86_64", cores: 2, cpu: "x", memoryGiB: 8 },
 *   [{ file: "a.ts", exitCode: 0, wallMs: 1200, stdout: "figure 1 ms" }],
 * );
 * console.log(md.includes("| a.ts | ok | 1.2 s | 2026-01-01T00:00:00Z |")); // true
 * ```
 */
export function renderResults(machine: MachineInfo, runs: BenchRun[]): string {
  const sections = [
    "# mcpchat benchmarks",
    "",
    "Figures from a shared machine: compare ratios to the baselines measured in the same run.",
    "",
    "## Machine",
    "",
    markdownTable(["date", "Deno", "OS", "cores", "CPU", "memory"], [[
      machine.date,
      machine.deno,
      `${machine.os}/${machine.arch}`,
      String(machine.cores),
      machine.cpu,
      `${machine.memoryGiB} GiB`,
    ]]),
    "",
    "## Summary",
    "",
    markdownTable(
      ["benchmark", "result", "wall time", "measured"],
      runs.map((run) => [
        run.file,
        run.exitCode === 0 ? "ok" : `FAILED (exit ${run.exitCode})`,
        `${(run.wallMs / 1000).toFixed(1)} s`,
        run.date ?? machine.date,
      ]),
    ),
  ];
  for (const run of runs) {
    sections.push("", `## bench/${run.file}`, "", renderOutput(run.stdout));
  }
  return sections.join("\n") + "\n";
}
