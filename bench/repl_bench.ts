/**
 * The REPL's budgets (issue 16), each beside a baseline measured in the same
 * run:
 * - launch → prompt on a real pseudo-terminal, line editor loaded: median
 *   wall time (budget ≤ 150 ms) and RSS at the prompt (≤ 80 MB); baseline: a
 *   Deno program that only prints the prompt on the same kind of terminal;
 *   then RSS after 2 s at the prompt (what starts behind the prompt, the LLM
 *   worker, has loaded by then), beside the same baseline;
 * - keystroke echo while an answer streams at 200 tokens/s: p99 from a key's
 *   bytes reaching the editor to its redraw being written (≤ 5 ms), with the
 *   markdown renderer working in the same event loop; baseline: the same keys
 *   with nothing streaming;
 * - rendering 10,000 streamed tokens of mixed markdown: CPU time in total
 *   (≤ 200 ms); baseline: the same tokens only sanitised and written raw.
 *
 * Run: deno run -A bench/repl_bench.ts
 *
 * @module
 */

import { cliArgs, currentDenoDir, isolatedEnv } from "../tests/_helpers/cli.ts";
import { onPty, timeToPrompt } from "./_prompt.ts";
import { type EditorTerminal, LineEditor } from "../lib/ui/editor.ts";
import { MarkdownStream } from "../lib/ui/markdown.ts";
import { History } from "../lib/cli/repl/history.ts";
import { sanitizeText } from "../lib/ui/sanitize.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 10);

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const percentile = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
};

/** Runs `argv` on a pty (100×30); resolves at the first `› ` with time and RSS. */
function toPrompt(argv: string[], env: Record<string, string>, piped = false, idleMs = 0) {
  return timeToPrompt(onPty(argv, env, { piped }), { idleMs });
}

const env = await isolatedEnv({ DENO_DIR: await currentDenoDir() });
const lines: string[] = [];
const report = (name: string, value: string, budget: string, baseline: string) =>
  lines.push(`| ${name} | ${value} | ${budget} | ${baseline} |`);

// ---------------------------------------------------------------- launch → prompt
const baselineArgv = [
  Deno.execPath(),
  "eval",
  "Deno.stdout.writeSync(new TextEncoder().encode('› ')); setTimeout(() => {}, 60000)",
];
const replArgv = [Deno.execPath(), ...cliArgs([])];
await toPrompt(baselineArgv, env);
await toPrompt(replArgv, env);
const base: { ms: number; rssMb: number }[] = [];
const repl: { ms: number; rssMb: number }[] = [];
const plain: { ms: number; rssMb: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  base.push(await toPrompt(baselineArgv, env));
  repl.push(await toPrompt(replArgv, env));
  plain.push(await toPrompt(replArgv, env, true));
}
const baseMs = median(base.map((r) => r.ms));
const replMs = median(repl.map((r) => r.ms));
report(
  "launch → prompt on a pty, editor loaded (median)",
  `${replMs.toFixed(1)} ms`,
  "≤ 150 ms",
  `deno printing a prompt: ${baseMs.toFixed(1)} ms (×${(replMs / baseMs).toFixed(2)}); ` +
    `the REPL on piped stdin, no editor: ${median(plain.map((r) => r.ms)).toFixed(1)} ms`,
);
const baseRss = median(base.map((r) => r.rssMb));
const replRss = median(repl.map((r) => r.rssMb));
report(
  "RSS at the prompt (median)",
  `${replRss.toFixed(1)} MB`,
  "≤ 80 MB",
  `deno printing a prompt: ${baseRss.toFixed(1)} MB (×${(replRss / baseRss).toFixed(2)}); ` +
    `the REPL on piped stdin, no editor: ${median(plain.map((r) => r.rssMb)).toFixed(1)} MB`,
);

const IDLE_MS = 2_000;
const IDLE_RUNS = Math.max(3, Math.ceil(RUNS / 3));
const baseIdle: number[] = [];
const replIdle: number[] = [];
for (let i = 0; i < IDLE_RUNS; i++) {
  baseIdle.push((await toPrompt(baselineArgv, env, false, IDLE_MS)).rssIdleMb);
  replIdle.push((await toPrompt(replArgv, env, false, IDLE_MS)).rssIdleMb);
}
report(
  `RSS after ${IDLE_MS / 1000} s at the prompt (median of ${IDLE_RUNS})`,
  `${median(replIdle).toFixed(1)} MB`,
  "(reported)",
  `deno printing a prompt: ${median(baseIdle).toFixed(1)} MB (×${
    (median(replIdle) / median(baseIdle)).toFixed(2)
  })`,
);

// ---------------------------------------------------------------- mixed markdown
const SAMPLE = `## Step {n}

Here is **bold**, *emphasis*, \`inline code\` and a [link](https://example.com/{n}).
A longer paragraph line that goes on for a while so that it has to be wrapped at the terminal's width, with ~~strike~~ too.

- a list item with \`code\`
- another item, **strong**
  1. nested ordered

> a quotation, *styled*

\`\`\`ts
export function add(a: number, b: number): number {
  return a + b; // {n}
}
\`\`\`

| col | value |
|-----|-------|
| a   | {n}   |
| b   | **x** |

`;
let doc = "";
for (let n = 0; doc.length < 40_000 * 1.05; n++) doc += SAMPLE.replaceAll("{n}", String(n));
// ~4 characters a token: 10,000 tokens.
const tokens = doc.match(/[\s\S]{1,4}/g)!.slice(0, 10_000);

function renderAll(): number {
  const md = new MarkdownStream({ write: () => {}, columns: () => 100, rows: () => 40 });
  const t = performance.now();
  for (const token of tokens) md.push(token);
  md.end();
  return performance.now() - t;
}
function rawAll(): number {
  let sink = 0;
  const t = performance.now();
  for (const token of tokens) sink += sanitizeText(token).length;
  if (sink < 0) console.log(sink);
  return performance.now() - t;
}
renderAll(); // first run loads grammars and compiles
rawAll();
const renderTimes: number[] = [];
const rawTimes: number[] = [];
for (let i = 0; i < RUNS; i++) {
  renderTimes.push(renderAll());
  rawTimes.push(rawAll());
}
const renderMs = median(renderTimes);
const rawMs = median(rawTimes);
report(
  "render 10,000 streamed tokens of mixed markdown (median, single-threaded CPU)",
  `${renderMs.toFixed(1)} ms`,
  "≤ 200 ms",
  `sanitise + raw: ${rawMs.toFixed(1)} ms (×${(renderMs / Math.max(rawMs, 0.001)).toFixed(1)})`,
);

// ---------------------------------------------------------------- keystroke echo
/** Times keys at a prompt: from bytes in to the redraw holding them out. */
async function echoLatencies(streaming: boolean): Promise<number[]> {
  let push!: (b: Uint8Array) => void;
  const input = new ReadableStream<Uint8Array>({ start: (c) => void (push = (b) => c.enqueue(b)) });
  let waiting: { char: string; at: number } | undefined;
  const latencies: number[] = [];
  const term: EditorTerminal = {
    input,
    setRaw: () => {},
    columns: () => 100,
    write: (text) => {
      if (waiting && text.includes(waiting.char)) {
        latencies.push(performance.now() - waiting.at);
        waiting = undefined;
      }
    },
  };
  const editor = new LineEditor(term, { history: new History() });
  editor.start();
  const read = editor.read({ prompt: "› ", history: true });
  let stop = false;
  const stream = (async () => {
    if (!streaming) return;
    const md = new MarkdownStream({ write: () => {}, columns: () => 100, rows: () => 40 });
    let i = 0;
    // 200 tokens a second, in the same event loop as the editor.
    while (!stop) {
      md.push(tokens[i++ % tokens.length]);
      await new Promise((r) => setTimeout(r, 5));
    }
    md.end();
  })();
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (let i = 0; i < 400; i++) {
    const char = letters[i % 26] + letters[(i / 26 | 0) % 26];
    waiting = { char: `${char}`, at: performance.now() };
    push(new TextEncoder().encode(char));
    await new Promise((r) => setTimeout(r, 7 + (i % 5)));
    push(new TextEncoder().encode("\x15")); // Ctrl-U: the next key draws on an empty line
    await new Promise((r) => setTimeout(r, 3));
  }
  stop = true;
  await stream;
  push(new TextEncoder().encode("\r"));
  await read;
  editor.close();
  return latencies;
}
const quiet = await echoLatencies(false);
const busy = await echoLatencies(true);
report(
  "keystroke echo while an answer streams at 200 tok/s (p99 / median)",
  `${percentile(busy, 0.99).toFixed(2)} / ${median(busy).toFixed(2)} ms`,
  "≤ 5 ms p99",
  `nothing streaming: ${percentile(quiet, 0.99).toFixed(2)} / ${median(quiet).toFixed(2)} ms ` +
    `(×${(percentile(busy, 0.99) / percentile(quiet, 0.99)).toFixed(2)} p99)`,
);

console.log(
  `\n## REPL (${RUNS} runs, ${Deno.build.os}/${Deno.build.arch}, ${navigator.hardwareConcurrency} cores)\n`,
);
console.log("| measure | value | budget | baseline (same run) |");
console.log("|---|---|---|---|");
for (const line of lines) console.log(line);
