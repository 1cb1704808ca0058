import assert from "node:assert/strict";
import {
  type AgentDeps,
  type AgentEvent,
  type AgentResult,
  type AgentTool,
  ApprovalPolicy,
  fromStoredMessage,
  globToRegExp,
  runAgentTurn,
  toolResultText,
  toStoredMessage,
} from "../../lib/chat/mod.ts";
import type { LlmEvent, LlmMessage } from "../../lib/llm/types.ts";

const tools: AgentTool[] = [
  {
    name: "math__add",
    server: "math",
    tool: "add",
    description: "adds",
    inputSchema: { type: "object" },
  },
  { name: "fs__write", server: "fs", tool: "write", inputSchema: { type: "object" } },
];

/** Deps whose model follows a script of turns; tools run in-process. */
function scripted(
  turns: LlmEvent[][],
  approve: (name: string) => "allow" | "deny" = () => "allow",
) {
  const requests: LlmMessage[][] = [];
  const calls: string[] = [];
  const recorded: LlmMessage[] = [];
  let running = 0;
  let maxParallel = 0;
  const deps: AgentDeps = {
    async *chat(request) {
      requests.push(structuredClone(request.messages));
      const turn = turns.shift();
      if (!turn) throw new Error("model called more often than scripted");
      for (const event of turn) yield event;
    },
    tools: () => Promise.resolve(tools),
    callTool: async (call) => {
      calls.push(`${call.server}.${call.tool}`);
      running++;
      maxParallel = Math.max(maxParallel, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (call.tool === "write") throw new Error("disk full");
      const { a, b } = call.arguments as { a: number; b: number };
      return { content: [{ type: "text", text: String(a + b) }] };
    },
    approve: (call) => Promise.resolve(approve(call.name)),
    record: (message) => {
      recorded.push(message);
      return Promise.resolve();
    },
  };
  return { deps, requests, calls, recorded, maxParallel: () => maxParallel };
}

async function drive(
  gen: AsyncGenerator<AgentEvent, AgentResult>,
): Promise<{ events: AgentEvent[]; result: AgentResult }> {
  const events: AgentEvent[] = [];
  let step = await gen.next();
  while (!step.done) {
    events.push(step.value);
    step = await gen.next();
  }
  return { events, result: step.value };
}

const usage = (i: number, o: number, cost: number | "unknown" = 0.01): LlmEvent => ({
  type: "usage",
  inputTokens: i,
  outputTokens: o,
  cost,
});

Deno.test("the loop runs tools the model asks for and returns the final answer", async () => {
  const s = scripted([
    [
      { type: "start", backend: "b", kind: "openai", model: "m" },
      { type: "tool-call", id: "1", name: "math__add", arguments: { a: 2, b: 40 } },
      usage(10, 2),
      { type: "finish", reason: "tool-calls" },
    ],
    [{ type: "text-delta", text: "It is " }, { type: "text-delta", text: "42." }, usage(20, 3), {
      type: "finish",
      reason: "stop",
    }],
  ]);
  const history: LlmMessage[] = [];
  const { events, result } = await drive(
    runAgentTurn(history, "2+40?", s.deps, {}, new AbortController().signal),
  );
  assert.equal(result.answer, "It is 42.");
  assert.equal(result.turns, 2);
  assert.equal(result.stopReason, "answered");
  assert.deepEqual(result.usage, { inputTokens: 30, outputTokens: 5, cachedInputTokens: 0 });
  assert.equal(result.cost, 0.02);
  assert.equal(result.model, "m");
  assert.deepEqual(result.toolCalls.map((c) => [c.server, c.tool, c.result, c.status]), [[
    "math",
    "add",
    "42",
    "ok",
  ]]);
  assert.deepEqual(s.calls, ["math.add"]);
  // The second model call saw the tool result.
  assert.deepEqual(s.requests[1].at(-1), {
    role: "tool",
    toolCallId: "1",
    name: "math__add",
    content: "42",
    isError: undefined,
  });
  assert.deepEqual(history.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  assert.deepEqual(s.recorded.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  assert.ok(
    events.some((e) => e.type === "tool-start") && events.some((e) => e.type === "tool-end"),
  );
});

Deno.test("several tool calls in one turn run concurrently", async () => {
  const s = scripted([
    [
      { type: "tool-call", id: "1", name: "math__add", arguments: { a: 1, b: 1 } },
      { type: "tool-call", id: "2", name: "math__add", arguments: { a: 2, b: 2 } },
      { type: "tool-call", id: "3", name: "math__add", arguments: { a: 3, b: 3 } },
    ],
    [{ type: "text-delta", text: "2, 4, 6" }],
  ]);
  const { result } = await drive(runAgentTurn([], "go", s.deps, {}, new AbortController().signal));
  assert.deepEqual(result.toolCalls.map((c) => c.result), ["2", "4", "6"]);
  assert.equal(s.maxParallel(), 3);
});

Deno.test("a denied call is not run; the model is told and can answer anyway", async () => {
  const s = scripted([
    [{ type: "tool-call", id: "1", name: "fs__write", arguments: { path: "/x" } }],
    [{ type: "text-delta", text: "I was not allowed." }],
  ], () => "deny");
  const { result } = await drive(
    runAgentTurn([], "write", s.deps, {}, new AbortController().signal),
  );
  assert.deepEqual(s.calls, []);
  assert.equal(result.toolCalls[0].status, "denied");
  assert.match(String(s.requests[1].at(-1)?.content), /did not approve/);
  assert.equal(result.answer, "I was not allowed.");
});

Deno.test("a failing tool and an unknown tool become error results, not crashes", async () => {
  const s = scripted([
    [
      { type: "tool-call", id: "1", name: "fs__write", arguments: {} },
      { type: "tool-call", id: "2", name: "nope__tool", arguments: {} },
      {
        type: "tool-call",
        id: "3",
        name: "math__add",
        arguments: {},
        error: "arguments are not valid JSON",
      },
    ],
    [{ type: "text-delta", text: "sorry" }],
  ]);
  const { result } = await drive(runAgentTurn([], "x", s.deps, {}, new AbortController().signal));
  assert.deepEqual(result.toolCalls.map((c) => c.status), ["error", "invalid", "invalid"]);
  assert.match(result.toolCalls[0].result!, /disk full/);
  assert.match(result.toolCalls[1].result!, /no tool named "nope__tool"/);
  assert.match(result.toolCalls[2].result!, /not valid JSON/);
  assert.deepEqual(s.calls, ["fs.write"]);
});

Deno.test("the turn limit stops a model that keeps calling tools", async () => {
  const call: LlmEvent[] = [{
    type: "tool-call",
    id: "1",
    name: "math__add",
    arguments: { a: 1, b: 2 },
  }];
  const s = scripted([call, call, call, call]);
  const { result } = await drive(
    runAgentTurn([], "x", s.deps, { maxTurns: 3 }, new AbortController().signal),
  );
  assert.equal(result.stopReason, "max-turns");
  assert.equal(result.turns, 3);
  assert.equal(s.requests.length, 3);
});

Deno.test("an unknown price makes the total cost unknown, not zero", async () => {
  const s = scripted([[{ type: "text-delta", text: "hi" }, usage(1, 1, "unknown")]]);
  const { result } = await drive(runAgentTurn([], "x", s.deps, {}, new AbortController().signal));
  assert.equal(result.cost, "unknown");
});

Deno.test("approval policy: globs, --yes and always-answers", () => {
  const call = (name: string) => {
    const [server, tool] = name.split("__");
    return { name, server, tool, arguments: {} };
  };
  const policy = new ApprovalPolicy({ allow: ["math__*", "fs.read_?ile"] });
  assert.ok(policy.isAllowed(call("math__add")));
  assert.ok(policy.isAllowed(call("fs__read_file")));
  assert.ok(!policy.isAllowed(call("fs__write")));
  assert.equal(policy.remember(call("fs__write"), "always-tool"), "allow");
  assert.ok(policy.isAllowed(call("fs__write")));
  assert.ok(!policy.isAllowed(call("web__get")));
  policy.remember(call("web__get"), "always-server");
  assert.ok(policy.isAllowed(call("web__post")));
  assert.equal(policy.remember(call("x__y"), "no"), "deny");
  assert.ok(new ApprovalPolicy({ approveAll: true }).isAllowed(call("any__thing")));
  assert.ok(!globToRegExp("a.b").test("axb"), "dots are literal");
});

Deno.test("messages round-trip between the model's and the store's shapes", () => {
  const messages: LlmMessage[] = [
    { role: "system", content: "be brief" },
    { role: "user", content: "hi" },
    {
      role: "assistant",
      content: "let me check",
      toolCalls: [{ id: "t1", name: "a__b", arguments: { x: 1 } }],
    },
    { role: "tool", toolCallId: "t1", name: "a__b", content: "result", isError: true },
    { role: "assistant", content: "done" },
  ];
  const back = messages.flatMap((m) => fromStoredMessage(toStoredMessage(m, 1)));
  assert.deepEqual(back, messages);
  assert.equal(
    toolResultText({
      content: [{ type: "text", text: "a" }, { type: "image", data: "", mimeType: "image/png" }],
    }),
    "a\n[image image/png]",
  );
  assert.equal(toolResultText({ content: [], structuredContent: { n: 1 } }), '{"n":1}');
});

Deno.test("tools are listed before every model call, so a tool added mid-turn is offered", async () => {
  const lists: string[][] = [];
  let calls = 0;
  const later: AgentTool = {
    name: "math__mul",
    server: "math",
    tool: "mul",
    inputSchema: { type: "object" },
  };
  const deps: AgentDeps = {
    async *chat(request) {
      lists.push((request.tools ?? []).map((t) => t.name));
      calls++;
      if (calls === 1) {
        yield { type: "tool-call", id: "1", name: "math__add", arguments: { a: 1, b: 1 } };
      } else yield { type: "text-delta", text: "done" };
    },
    tools: () => Promise.resolve(calls === 0 ? tools : [...tools, later]),
    callTool: () => Promise.resolve({ content: [{ type: "text", text: "2" }] }),
    approve: () => Promise.resolve("allow"),
  };
  await drive(runAgentTurn([], "x", deps, {}, new AbortController().signal));
  assert.deepEqual(lists, [["math__add", "fs__write"], ["math__add", "fs__write", "math__mul"]]);
});

Deno.test("MCP servers' instructions join the system prompt of every model call", async () => {
  const systems: (string | undefined)[] = [];
  const deps: AgentDeps = {
    async *chat(request) {
      systems.push(request.system);
      yield { type: "text-delta", text: "ok" };
    },
    tools: () => Promise.resolve([]),
    instructions: () => Promise.resolve("Use tool X first."),
    callTool: () => Promise.reject(new Error("unused")),
    approve: () => Promise.resolve("allow"),
  };
  await drive(runAgentTurn([], "x", deps, { system: "Be brief." }, new AbortController().signal));
  assert.deepEqual(systems, ["Be brief.\n\nUse tool X first."]);
});

Deno.test("Ctrl-C while tools run: every call gets a result saying it did not finish; history stays valid", async () => {
  const controller = new AbortController();
  const { deps, recorded } = scripted([[
    { type: "tool-call", id: "a", name: "math__add", arguments: { a: 1, b: 2 } },
    { type: "finish", reason: "tool-calls" },
  ]]);
  deps.callTool = (_call, signal) =>
    new Promise((_, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason));
      controller.abort(new DOMException("cancelled by Ctrl-C", "AbortError"));
    });
  const history: LlmMessage[] = [];
  await assert.rejects(() => drive(runAgentTurn(history, "add", deps, {}, controller.signal)));
  assert.deepEqual(history.map((m) => m.role), ["user", "assistant", "tool"]);
  const result = history[2] as Extract<LlmMessage, { role: "tool" }>;
  assert.equal(result.toolCallId, "a");
  assert.equal(result.content, "The tool call did not finish: cancelled by Ctrl-C.");
  assert.deepEqual(recorded.map((m) => m.role), ["user", "assistant", "tool"]);
});

Deno.test("a stream that fails mid-answer: the partial answer is recorded as interrupted, then the error", async () => {
  const { deps, recorded } = scripted([]);
  deps.chat = async function* () {
    yield { type: "text-delta", text: "Half" };
    throw new Error("stream broke");
  };
  const history: LlmMessage[] = [];
  await assert.rejects(
    () => drive(runAgentTurn(history, "q", deps, {}, new AbortController().signal)),
    /stream broke/,
  );
  assert.deepEqual(history.at(-1), {
    role: "assistant",
    content: "Half",
    interrupted: "stream broke",
  });
  assert.deepEqual(recorded.at(-1), history.at(-1));
});
