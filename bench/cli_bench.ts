/**
 * Whole-process budgets of the CLI, each against a baseline measured in the
 * same run (interleaved, same machine), since the machine is shared:
 *
 * - issue 8: `mcpchat tools list` against one stdio server < 2× the bare SDK
 *   client doing the same in one process;
 * - issue 14: a plain one-shot run (`-p "say hi"`, local mock provider from
 *   tests/fixtures/llm) ≤ 3× `deno eval 0` wall time and ≤ 80 MB peak RSS;
 *   a one-shot run with one server-everything tool call ≤ the bare server's
 *   own start-up + 300 ms (its start-up: spawn `node` to the `initialize`
 *   answer, timed from this process).
 *
 * Beside them, the floor of the design in the same run
 * (bench/fixtures/service_floor.ts), with no mcpchat code at all: the LLM
 * service alone as a narrowed worker loading its provider library (a run
 * whose config comes from a current snapshot), and the two services a run
 * with a just-edited config needs (config, LLM) started at once, empty and
 * loading the one library each needs (zod to validate, the provider
 * library). A budget below its floor cannot be met by this design.
 *
 * Run: deno run -A bench/cli_bench.ts (BENCH_RUNS=N, default 11)
 *
 * @module
 */

import { FakeProvider } from "../tests/fixtures/llm/server.ts";
import { openaiChunks } from "../tests/fixtures/llm/wire.ts";
import { cliArgs, DENO_JSON, isolatedEnv, peersConfig, ROOT } from "../tests/_helpers/cli.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 11);
const env = await isolatedEnv();
const config = await peersConfig(["everything"]);
const server = JSON.parse(await Deno.readTextFile(config)).mcpServers.everything as {
  command: string;
  args: string[];
};
const bare = new URL("./fixtures/bare_sdk_tools_list.ts", import.meta.url).pathname;
const floor = new URL("./fixtures/service_floor.ts", import.meta.url).pathname;

interface Measure {
  ms: number;
  /** Peak resident set of the process (GNU time's maximum RSS), MB. */
  peakMb: number;
}

/** Runs a whole process under GNU time: wall time and peak RSS. */
async function measure(args: string[]): Promise<Measure> {
  const out = await Deno.makeTempFile();
  const started = performance.now();
  const { code, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", out, Deno.execPath(), ...args],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`${args.join(" ")}: ${new TextDecoder().decode(stderr)}`);
  const kb = Number((await Deno.readTextFile(out)).trim().split("\n").at(-1));
  await Deno.remove(out);
  return { ms, peakMb: kb / 1024 };
}

/** The bare server's own start-up: spawn it, send `initialize`, time its answer. */
async function serverStartup(): Promise<number> {
  const started = performance.now();
  const child = new Deno.Command(server.command, {
    args: server.args,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "bench", version: "0" },
        },
      }) + "\n",
    ),
  );
  let seen = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    seen += decoder.decode(chunk, { stream: true });
    if (seen.includes('"id":1')) break;
  }
  const ms = performance.now() - started;
  await writer.close();
  await child.status;
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const verdict = (ok: boolean) => ok ? "met" : "NOT met";

// The same local provider as the tests: an OpenAI-compatible endpoint on 127.0.0.1.
const fake = await FakeProvider.start("text/event-stream");
const providerToml =
  `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\nbase_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n`;
const plainConfig = `${env.HOME}/plain.toml`;
await Deno.writeTextFile(plainConfig, providerToml);
const toolConfig = `${env.HOME}/tool.toml`;
await Deno.writeTextFile(
  toolConfig,
  providerToml +
    `[mcp.servers.everything]\ncommand = "${server.command}"\nargs = ${
      JSON.stringify(server.args)
    }\n`,
);
// A user's config was written some time before the run (a file modified within the last
// two seconds is not snapshotted: lib/cli/config_snapshot.ts).
const anHourAgo = new Date(Date.now() - 3_600_000);
for (const file of [plainConfig, toolConfig]) await Deno.utime(file, anHourAgo, anHourAgo);
// The same config edited just before each run: no current snapshot, the config worker reads it.
const editedConfig = `${env.HOME}/edited.toml`;
let edits = 0;
const answer = () => ({ chunks: openaiChunks({ text: ["hi", " there"] }) });
const toolCall = () => ({
  chunks: openaiChunks({
    toolCalls: [{ id: "call_1", name: "everything__echo", args: { message: "bench" } }],
  }),
});

const cases = {
  eval: () => measure(["eval", "0"]),
  floorEmpty: () => measure(["run", "--no-prompt", "-A", "--config", DENO_JSON, floor, "empty"]),
  floorLibs: () => measure(["run", "--no-prompt", "-A", "--config", DENO_JSON, floor, "libs"]),
  floorLlm: () => measure(["run", "--no-prompt", "-A", "--config", DENO_JSON, floor, "llm"]),
  toolsList: () => measure(cliArgs(["--config", config, "tools", "list"])),
  bareSdk: () =>
    measure([
      "run",
      "--no-prompt",
      "-A",
      "--config",
      DENO_JSON,
      bare,
      server.command,
      ...server.args,
    ]),
  plain: () => {
    fake.reply(answer());
    return measure(cliArgs(["--config", plainConfig, "-p", "say hi", "--no-save"]));
  },
  plainEdited: async () => {
    await Deno.writeTextFile(editedConfig, `${providerToml}# edit ${++edits}\n`);
    fake.reply(answer());
    return measure(cliArgs(["--config", editedConfig, "-p", "say hi", "--no-save"]));
  },
  plainSaved: () => {
    fake.reply(answer());
    return measure(cliArgs(["--config", plainConfig, "-p", "say hi"]));
  },
  tool: () => {
    fake.reply(toolCall(), answer());
    return measure(cliArgs(["--config", toolConfig, "-p", "echo bench", "--yes", "--no-save"]));
  },
  server: async (): Promise<Measure> => ({ ms: await serverStartup(), peakMb: NaN }),
};
type Case = keyof typeof cases;
const results = Object.fromEntries(
  Object.keys(cases).map((name) => [name, [] as Measure[]]),
) as Record<Case, Measure[]>;

// Warm the module caches once, then interleave every case run by run.
for (const run of Object.values(cases)) await run();
for (let i = 0; i < RUNS; i++) {
  for (const [name, run] of Object.entries(cases) as [Case, () => Promise<Measure>][]) {
    results[name].push(await run());
  }
}
await fake.close();

const ms = (name: Case) => median(results[name].map((m) => m.ms));
const mb = (name: Case) => median(results[name].map((m) => m.peakMb));
const row = (cells: string[]) => console.log(`| ${cells.join(" | ")} |`);

console.log(`## CLI whole-process runs (${RUNS} runs each, interleaved, medians)\n`);
row(["measure", "wall", "peak RSS", "against the same-run baseline", "budget"]);
row(["---", "---", "---", "---", "---"]);
row([
  "`deno eval 0` (baseline)",
  `${ms("eval").toFixed(0)} ms`,
  `${mb("eval").toFixed(1)} MB`,
  "",
  "",
]);
row([
  "floor: the LLM worker with the provider library",
  `${ms("floorLlm").toFixed(0)} ms`,
  `${mb("floorLlm").toFixed(1)} MB`,
  `×${(ms("floorLlm") / ms("eval")).toFixed(2)} of deno eval 0`,
  "",
]);
row([
  "floor: two narrowed workers, empty",
  `${ms("floorEmpty").toFixed(0)} ms`,
  `${mb("floorEmpty").toFixed(1)} MB`,
  `×${(ms("floorEmpty") / ms("eval")).toFixed(2)} of deno eval 0`,
  "",
]);
row([
  "floor: the two workers with zod and the provider library",
  `${ms("floorLibs").toFixed(0)} ms`,
  `${mb("floorLibs").toFixed(1)} MB`,
  `×${(ms("floorLibs") / ms("eval")).toFixed(2)} of deno eval 0`,
  "",
]);
row([
  'one-shot `-p "say hi" --no-save`',
  `${ms("plain").toFixed(0)} ms`,
  `${mb("plain").toFixed(1)} MB`,
  `×${(ms("plain") / ms("eval")).toFixed(2)} of deno eval 0`,
  `≤ ×3: ${verdict(ms("plain") <= 3 * ms("eval"))}; ≤ 80 MB: ${verdict(mb("plain") <= 80)}` +
  ` (floor: ×${(ms("floorLlm") / ms("eval")).toFixed(2)}, ${mb("floorLlm").toFixed(1)} MB;` +
  ` above it: +${(ms("plain") - ms("floorLlm")).toFixed(0)} ms, +${
    (mb("plain") - mb("floorLlm")).toFixed(0)
  } MB)`,
]);
row([
  'one-shot `-p "say hi" --no-save`, config edited just before',
  `${ms("plainEdited").toFixed(0)} ms`,
  `${mb("plainEdited").toFixed(1)} MB`,
  `×${(ms("plainEdited") / ms("eval")).toFixed(2)} of deno eval 0`,
  `(floor: ×${(ms("floorLibs") / ms("eval")).toFixed(2)}, ${mb("floorLibs").toFixed(1)} MB)`,
]);
row([
  'one-shot `-p "say hi"` (session stored)',
  `${ms("plainSaved").toFixed(0)} ms`,
  `${mb("plainSaved").toFixed(1)} MB`,
  `×${(ms("plainSaved") / ms("eval")).toFixed(2)} of deno eval 0`,
  "",
]);
row([
  "bare server-everything start-up (baseline)",
  `${ms("server").toFixed(0)} ms`,
  "",
  "spawn → `initialize` answered",
  "",
]);
row([
  "one-shot with one server-everything tool call",
  `${ms("tool").toFixed(0)} ms`,
  `${mb("tool").toFixed(1)} MB`,
  `server start-up + ${(ms("tool") - ms("server")).toFixed(0)} ms`,
  `≤ + 300 ms: ${verdict(ms("tool") - ms("server") <= 300)}`,
]);
row([
  "`tools list`, one stdio server",
  `${ms("toolsList").toFixed(0)} ms`,
  `${mb("toolsList").toFixed(1)} MB`,
  `×${(ms("toolsList") / ms("bareSdk")).toFixed(2)} of the bare SDK client (${
    ms("bareSdk").toFixed(0)
  } ms)`,
  `< ×2: ${verdict(ms("toolsList") < 2 * ms("bareSdk"))}`,
]);
