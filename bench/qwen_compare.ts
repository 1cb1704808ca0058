/**
 * Issue 8 budget: a one-shot run against a local provider with one MCP tool
 * call, mcpchat vs `@qwen-code/qwen-code` doing the same work against the
 * same local server and the same MCP server (server-everything). Reports
 * the ratios of wall time and peak RSS (GNU time's maximum resident set).
 *
 * qwen-code is installed into .cache/bench/qwen on first use (npm).
 *
 * @module
 */

import { cliArgs, isolatedEnv, peersConfig, ROOT } from "../tests/_helpers/cli.ts";

const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 5);
const QWEN_VERSION = "0.24.4";
const qwenDir = `${ROOT}.cache/bench/qwen`;
const qwenBin = `${qwenDir}/node_modules/.bin/qwen`;

if (!await Deno.stat(qwenBin).then(() => true, () => false)) {
  console.error(`installing @qwen-code/qwen-code@${QWEN_VERSION} into ${qwenDir}`);
  await Deno.mkdir(qwenDir, { recursive: true });
  const { code } = await new Deno.Command("npm", {
    args: [
      "install",
      "--prefix",
      qwenDir,
      "--no-audit",
      "--no-fund",
      `@qwen-code/qwen-code@${QWEN_VERSION}`,
    ],
    stdout: "null",
  }).output();
  if (code !== 0) throw new Error("npm install @qwen-code/qwen-code failed");
}

/** An OpenAI-compatible provider that calls the echo tool once, then answers. */
function startProvider(): Deno.HttpServer<Deno.NetAddr> {
  const enc = new TextEncoder();
  const sse = (chunks: unknown[]) =>
    new Response(
      new ReadableStream({
        start(controller) {
          for (const chunk of chunks) {
            controller.enqueue(enc.encode(`data: ${JSON.stringify(chunk)}\n\n`));
          }
          controller.enqueue(enc.encode("data: [DONE]\n\n"));
          controller.close();
        },
      }),
      { headers: { "content-type": "text/event-stream" } },
    );
  const base = { id: "c", object: "chat.completion.chunk", created: 1, model: "gpt-4.1" };
  const usage = { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 };
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (req.method !== "POST") return Response.json({ data: [{ id: "gpt-4.1", object: "model" }] });
    const body = await req.json();
    const messages = body.messages as { role: string; content: unknown }[];
    const last = messages.at(-1)!;
    const echo = (body.tools ?? []).map((t: { function: { name: string } }) => t.function.name)
      .find((name: string) => /(^|_)echo$/.test(name));
    const text = (content: string) =>
      body.stream
        ? sse([
          {
            ...base,
            choices: [{ index: 0, delta: { role: "assistant", content }, finish_reason: null }],
          },
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" }], usage },
        ])
        : Response.json({
          id: "c",
          object: "chat.completion",
          created: 1,
          model: "gpt-4.1",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage,
        });
    const toolNames: string[] = (body.tools ?? []).map((t: { function: { name: string } }) =>
      t.function.name
    );
    const echoResult = messages.find((m) =>
      m.role === "tool" && JSON.stringify(m.content).includes("Echo: bench")
    );
    if (echoResult) return text(`The tool said: ${JSON.stringify(echoResult.content)}`);
    // Agents that load MCP tools on demand (qwen-code's tool_search) get asked to find it first.
    const search = toolNames.find((name) => name === "tool_search");
    const call = (name: string, args: unknown) =>
      sse([
        {
          ...base,
          choices: [{
            index: 0,
            delta: {
              role: "assistant",
              tool_calls: [{
                index: 0,
                id: `call_${messages.length}`,
                type: "function",
                function: { name, arguments: JSON.stringify(args) },
              }],
            },
            finish_reason: null,
          }],
        },
        { ...base, choices: [{ index: 0, delta: {}, finish_reason: "tool_calls" }], usage },
      ]);
    if (!body.stream) return text("ok");
    if (echo) return call(echo, { message: "bench" });
    if (search && last.role === "user") return call(search, { query: "echo" });
    const found = /name\\*":\\*"([\w-]*echo)\b/.exec(JSON.stringify(last.content) ?? "")?.[1];
    if (found && toolNames.includes("tool_call")) {
      return call("tool_call", { name: found, arguments: { message: "bench" } });
    }
    return text("ok");
  });
}

interface Measure {
  wallMs: number;
  maxRssMb: number;
  stdout: string;
}

async function measure(
  command: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<Measure> {
  const out = await Deno.makeTempFile();
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", out, ...command],
    cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`${command[0]} failed: ${new TextDecoder().decode(stderr)}`);
  const kb = Number((await Deno.readTextFile(out)).trim().split("\n").at(-1));
  return { wallMs, maxRssMb: kb / 1024, stdout: new TextDecoder().decode(stdout) };
}

const provider = startProvider();
const baseUrl = `http://127.0.0.1:${provider.addr.port}/v1`;
const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));

const ours = await isolatedEnv();
const oursConfig = `${ours.HOME}/config.toml`;
await Deno.writeTextFile(
  oursConfig,
  `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\nbase_url = "${baseUrl}"\nmodel = "gpt-4.1"\n` +
    `[mcp.servers.everything]\ncommand = "node"\nargs = ${
      JSON.stringify(peers.mcpServers.everything.args)
    }\n`,
);
const oursCommand = [
  Deno.execPath(),
  ...cliArgs(["--config", oursConfig, "-p", "echo bench please", "--yes", "--no-save"]),
];

const theirs = await isolatedEnv({
  OPENAI_API_KEY: "sk-local",
  OPENAI_BASE_URL: baseUrl,
  OPENAI_MODEL: "gpt-4.1",
  QWEN_CODE_SUPPRESS_YOLO_WARNING: "1",
});
await Deno.mkdir(`${theirs.HOME}/.qwen`, { recursive: true });
await Deno.writeTextFile(
  `${theirs.HOME}/.qwen/settings.json`,
  JSON.stringify({
    security: { auth: { selectedType: "openai" } },
    mcpServers: { everything: peers.mcpServers.everything },
  }),
);
const theirsCommand = ["node", qwenBin, "--yolo", "--chat-recording", "false", "echo bench please"];
const work = await Deno.makeTempDir();

// Warm both (module caches), and check they did the work: the tool result reached the answer.
const checkOurs = await measure(oursCommand, ours, work);
const checkTheirs = await measure(theirsCommand, theirs, work);
for (const [who, m] of [["mcpchat", checkOurs], ["qwen-code", checkTheirs]] as const) {
  if (!m.stdout.includes("Echo: bench")) {
    throw new Error(`${who} did not run the tool: ${m.stdout}`);
  }
}
const a: Measure[] = [];
const b: Measure[] = [];
for (let i = 0; i < RUNS; i++) {
  a.push(await measure(oursCommand, ours, work));
  b.push(await measure(theirsCommand, theirs, work));
}
await provider.shutdown();
const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const wa = median(a.map((m) => m.wallMs));
const wb = median(b.map((m) => m.wallMs));
const ra = median(a.map((m) => m.maxRssMb));
const rb = median(b.map((m) => m.maxRssMb));
console.log(
  `## one-shot run with one MCP tool call: mcpchat vs qwen-code ${QWEN_VERSION} (${RUNS} runs each)\n`,
);
console.log("| measure | mcpchat | qwen-code | ratio (mcpchat / qwen) |");
console.log("|---|---|---|---|");
console.log(
  `| wall time (median) | ${wa.toFixed(0)} ms | ${wb.toFixed(0)} ms | ×${(wa / wb).toFixed(2)} |`,
);
console.log(
  `| peak RSS (median of max RSS) | ${ra.toFixed(0)} MB | ${rb.toFixed(0)} MB | ×${
    (ra / rb).toFixed(2)
  } |`,
);
