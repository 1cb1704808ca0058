import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/client/index"
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
// @ts-types="@modelcontextprotocol/sdk/client/sse"
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { httpClient, resultText, serveHttp, structured } from "./_helpers.ts";
import { runCli } from "../_helpers/cli.ts";

type Named = { name: string; description?: string; inputSchema?: unknown };
type Progress = { progress: number };

const TOOLS = [
  "chat",
  "clear_history",
  "get_history",
  "list_servers",
  "list_sessions",
  "new_session",
  "switch_backend",
];

Deno.test("serve --http: an SDK client lists and calls every tool, reads resources, gets prompts with completion", async () => {
  const served = await serveHttp();
  const client = await httpClient(served.url);
  try {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t: Named) => t.name).sort(), TOOLS);
    assert.ok(tools.every((t: Named) => t.description && t.inputSchema));

    // chat runs the agent loop against the (fake) model and stores the turn
    served.fake.reply({ chunks: openaiChunks({ text: ["Hello ", "from the model."] }) });
    const progress: number[] = [];
    const chat = await client.callTool(
      { name: "chat", arguments: { message: "hi there" } },
      undefined,
      {
        onprogress: (p: Progress) => progress.push(p.progress),
      },
    );
    assert.equal(resultText(chat), "Hello from the model.");
    const answer = structured<{ session_id: string; stop_reason: string }>(chat);
    assert.equal(answer.stop_reason, "answered");
    assert.ok(progress.length > 0, "progress notifications while chat runs");
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b));
    const sent = served.fake.requests[0].body as { messages: { role: string; content: string }[] };
    assert.equal(sent.messages.at(-1)?.content, "hi there");

    // the next chat continues the same session: the model sees the history
    served.fake.reply({ chunks: openaiChunks({ text: ["Second answer."] }) });
    const again = await client.callTool({ name: "chat", arguments: { message: "and again" } });
    assert.equal(structured<{ session_id: string }>(again).session_id, answer.session_id);
    const second = served.fake.requests[1].body as { messages: { content: string }[] };
    assert.deepEqual(second.messages.map((m) => m.content).filter(Boolean), [
      "hi there",
      "Hello from the model.",
      "and again",
    ]);

    // history, paged
    const page1 = structured<{ messages: { seq: number; text: string }[]; next_before: number }>(
      await client.callTool({ name: "get_history", arguments: { limit: 2 } }),
    );
    assert.deepEqual(page1.messages.map((m) => m.text), ["and again", "Second answer."]);
    assert.equal(typeof page1.next_before, "number");
    const page2 = structured<{ messages: { text: string }[]; next_before: number | null }>(
      await client.callTool({
        name: "get_history",
        arguments: { limit: 2, before: page1.next_before },
      }),
    );
    assert.deepEqual(page2.messages.map((m) => m.text), ["hi there", "Hello from the model."]);
    assert.equal(page2.next_before, null);

    // sessions
    const listed = structured<{ sessions: { id: string; current: boolean; messages: number }[] }>(
      await client.callTool({ name: "list_sessions", arguments: {} }),
    );
    assert.equal(listed.sessions.length, 1);
    assert.equal(listed.sessions[0].id, answer.session_id);
    assert.equal(listed.sessions[0].current, true);
    assert.equal(listed.sessions[0].messages, 4);

    // resources: chat://history is this client's session, the template lists sessions
    const history = await client.readResource({ uri: "chat://history" });
    const historyText = (history.contents[0] as { text: string }).text;
    assert.match(historyText, /hi there/);
    assert.match(historyText, /Second answer\./);
    const { resources } = await client.listResources();
    assert.ok(resources.some((r: { uri: string }) => r.uri === "chat://history"));
    assert.ok(
      resources.some((r: { uri: string }) => r.uri === `chat://session/${answer.session_id}`),
    );
    const byId = await client.readResource({ uri: `chat://session/${answer.session_id}` });
    assert.match((byId.contents[0] as { text: string }).text, /and again/);
    const { resourceTemplates } = await client.listResourceTemplates();
    assert.equal(resourceTemplates[0].uriTemplate, "chat://session/{id}");
    const ids = await client.complete({
      ref: { type: "ref/resource", uri: "chat://session/{id}" },
      argument: { name: "id", value: answer.session_id.slice(0, 4) },
    });
    assert.deepEqual(ids.completion.values, [answer.session_id]);

    // clear_history empties the session, which stays listed
    await client.callTool({ name: "clear_history", arguments: {} });
    const cleared = structured<{ messages: unknown[] }>(
      await client.callTool({ name: "get_history", arguments: {} }),
    );
    assert.equal(cleared.messages.length, 0);

    // new_session becomes current
    const fresh = structured<{ session_id: string }>(
      await client.callTool({ name: "new_session", arguments: { title: "Second" } }),
    );
    assert.notEqual(fresh.session_id, answer.session_id);

    // switch_backend: a configured one is taken, an unknown one is a clear tool error
    const switched = await client.callTool({
      name: "switch_backend",
      arguments: { backend: "other" },
    });
    assert.equal(structured<{ backend: string }>(switched).backend, "other");
    served.fake.reply({ chunks: openaiChunks({ text: ["from other"] }) });
    await client.callTool({ name: "chat", arguments: { message: "which model?" } });
    assert.equal((served.fake.requests[2].body as { model: string }).model, "gpt-4.1-mini");
    const bad = await client.callTool({ name: "switch_backend", arguments: { backend: "nope" } });
    assert.equal(bad.isError, true);
    assert.match(resultText(bad), /no backend named "nope"; configured: .*local/);

    // an unknown session is a clean error
    await assert.rejects(
      client.readResource({ uri: "chat://session/zzzzzzzz" }),
      (error: Error) =>
        /zzzzzzzz/.test(error.message) && !/\/tmp\/|\/home\/|\n\s+at /.test(error.message),
    );

    // list_servers: none configured
    const servers = structured<{ servers: unknown[] }>(
      await client.callTool({ name: "list_servers", arguments: {} }),
    );
    assert.deepEqual(servers.servers, []);

    // prompts with arguments and completion
    const { prompts } = await client.listPrompts();
    assert.deepEqual(prompts.map((p: Named) => p.name).sort(), [
      "code_review",
      "explain",
      "refactor",
    ]);
    const review = await client.getPrompt({
      name: "code_review",
      arguments: { code: "let x = 1", language: "typescript", focus: "security" },
    });
    assert.match((review.messages[0].content as { text: string }).text, /security/);
    assert.match((review.messages[0].content as { text: string }).text, /let x = 1/);
    const languages = await client.complete({
      ref: { type: "ref/prompt", name: "code_review" },
      argument: { name: "language", value: "ty" },
    });
    assert.deepEqual(languages.completion.values, ["typescript"]);
    const levels = await client.complete({
      ref: { type: "ref/prompt", name: "explain" },
      argument: { name: "level", value: "" },
    });
    assert.deepEqual(levels.completion.values, ["beginner", "intermediate", "expert"]);
    const goals = await client.complete({
      ref: { type: "ref/prompt", name: "refactor" },
      argument: { name: "goal", value: "re" },
    });
    assert.deepEqual(goals.completion.values, ["readability", "remove duplication"]);

    // logging/setLevel is accepted
    await client.setLoggingLevel("warning");
  } finally {
    await client.close();
    const status = await served.stop();
    assert.ok(status.code === 143 || status.code === 0, served.stderr());
  }
});

Deno.test("serve --http: a subscribed client gets resources/updated when its session changes", async () => {
  const served = await serveHttp();
  const watcher = await httpClient(served.url);
  const talker = await httpClient(served.url);
  try {
    const created = structured<{ session_id: string }>(
      await talker.callTool({ name: "new_session", arguments: {} }),
    );
    const uri = `chat://session/${created.session_id}`;
    const updates: string[] = [];
    const updated = new Promise<void>((resolve) => {
      watcher.setNotificationHandler(
        ResourceUpdatedNotificationSchema,
        (n: { params: { uri: string } }) => {
          updates.push(n.params.uri);
          resolve();
        },
      );
    });
    await watcher.subscribeResource({ uri });
    served.fake.reply({ chunks: openaiChunks({ text: ["ok"] }) });
    await talker.callTool({ name: "chat", arguments: { message: "change it" } });
    await updated;
    assert.ok(updates.includes(uri));
    await watcher.unsubscribeResource({ uri });
  } finally {
    await watcher.close();
    await talker.close();
    await served.stop();
  }
});

Deno.test("serve --http: cancelling chat, or dropping the connection mid-call, stops the model call", async () => {
  const served = await serveHttp();
  const client = await httpClient(served.url);
  try {
    // 1. MCP cancellation (notifications/cancelled from the SDK client)
    served.fake.reply({ chunks: openaiChunks({ text: ["never", " finished"] }), hangAfter: 1 });
    const controller = new AbortController();
    const call = client.callTool({ name: "chat", arguments: { message: "slow" } }, undefined, {
      signal: controller.signal,
    });
    while (served.fake.requests.length < 1) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    await assert.rejects(call);
    await served.fake.requests[0].cancelled; // the model request was aborted

    // 2. the HTTP client goes away mid-call
    served.fake.reply({ chunks: openaiChunks({ text: ["never"] }), hangAfter: 1 });
    const sessionId = client.transport?.sessionId;
    assert.ok(sessionId);
    const dropped = new AbortController();
    const raw = fetch(served.url, {
      method: "POST",
      signal: dropped.signal,
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 9001,
        method: "tools/call",
        params: { name: "chat", arguments: { message: "also slow" } },
      }),
    });
    while (served.fake.requests.length < 2) await new Promise((r) => setTimeout(r, 20));
    dropped.abort();
    await raw.then((r) => r.body?.cancel()).catch(() => {});
    await served.fake.requests[1].cancelled;

    // and the server keeps serving
    const { tools } = await client.listTools();
    assert.equal(tools.length, TOOLS.length);
  } finally {
    await client.close();
    await served.stop();
  }
});

Deno.test("serve --http: many clients at once, each its own session", async () => {
  const served = await serveHttp();
  try {
    const clients = await Promise.all(Array.from({ length: 12 }, () => httpClient(served.url)));
    const ids = clients.map((c) => c.transport?.sessionId ?? "none");
    assert.equal(new Set(ids).size, clients.length);
    assert.ok(ids.every((id) => /^[0-9a-f]{64}$/.test(id)), "256-bit random session ids");
    const made = await Promise.all(
      clients.map((c: Client) => c.callTool({ name: "new_session", arguments: {} })),
    );
    const sessions = made.map((r: unknown) => structured<{ session_id: string }>(r).session_id);
    assert.equal(new Set(sessions).size, clients.length);
    // each client's current session is its own
    const own = await Promise.all(
      clients.map((c: Client) => c.readResource({ uri: "chat://history" })),
    );
    for (const [i, r] of own.entries()) {
      assert.match((r.contents[0] as { text: string }).text, new RegExp(sessions[i]));
    }
    await Promise.all(clients.map((c: Client) => c.close()));
  } finally {
    await served.stop();
  }
});

Deno.test("serve --http: the legacy SSE transport serves old clients", async () => {
  const served = await serveHttp();
  const client = new Client({ name: "legacy", version: "1" });
  try {
    await client.connect(new SSEClientTransport(new URL(served.url.replace(/\/mcp$/, "/sse"))));
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t: Named) => t.name).sort(), TOOLS);
    served.fake.reply({ chunks: openaiChunks({ text: ["over SSE"] }) });
    const progress: number[] = [];
    const chat = await client.callTool({ name: "chat", arguments: { message: "hi" } }, undefined, {
      onprogress: (p: Progress) => progress.push(p.progress),
    });
    assert.equal(resultText(chat), "over SSE");
    assert.ok(progress.length > 0);
    const { prompts } = await client.listPrompts();
    assert.equal(prompts.length, 3);
  } finally {
    await client.close();
    await served.stop();
  }
});

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: {
    protocolVersion: "2025-06-18",
    capabilities: {},
    clientInfo: { name: "t", version: "1" },
  },
});
const post = (url: string, body: BodyInit, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body,
  });

async function refused(response: Response, status: number, message: RegExp): Promise<void> {
  assert.equal(response.status, status);
  const body = await response.json();
  assert.equal(body.jsonrpc, "2.0");
  assert.match(body.error.message, message);
  assert.doesNotMatch(JSON.stringify(body), /\n\s+at |\/home\/|\/tmp\//, "no stack or paths");
}

Deno.test("serve --http: foreign Origin, oversized body, malformed JSON-RPC and unknown sessions are refused cleanly while the server keeps serving", async () => {
  const served = await serveHttp([], {
    extraToml: '[mcp_server]\nmax_body_bytes = 65536\nallowed_origins = ["https://ide.example"]\n',
  });
  try {
    await refused(
      await post(served.url, initialize, { origin: "http://evil.example.com" }),
      403,
      /Origin not allowed/,
    );
    // (a foreign Host header is covered by the conformance scenario dns-rebinding-protection:
    // fetch cannot set Host)
    await refused(await post(served.url, "x".repeat(200_000)), 413, /too large/);
    await refused(await post(served.url, "{not json"), 400, /parse error/);
    await refused(await post(served.url, '{"hello": "world"}'), 400, /JSON-RPC 2\.0/);
    await refused(await post(served.url, "[]"), 400, /JSON-RPC 2\.0/);
    await refused(
      await post(served.url, '{"jsonrpc":"2.0","id":2,"method":"tools/list"}'),
      400,
      /Mcp-Session-Id/,
    );
    await refused(
      await post(served.url, '{"jsonrpc":"2.0","id":2,"method":"tools/list"}', {
        "mcp-session-id": "0".repeat(64),
      }),
      404,
      /session not found/,
    );
    await refused(await fetch(served.url.replace("/mcp", "/elsewhere")), 404, /\/mcp/);
    // an allowed origin passes, and a browser page there may read the answer (CORS)
    const ok = await post(served.url, initialize, {
      origin: new URL(served.url).origin,
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), new URL(served.url).origin);
    assert.match(ok.headers.get("access-control-expose-headers") ?? "", /Mcp-Session-Id/);
    await ok.body?.cancel();
    const preflight = await fetch(served.url, {
      method: "OPTIONS",
      headers: { origin: "https://ide.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://ide.example");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Mcp-Session-Id/);
    await preflight.body?.cancel();
    // and a real client still works
    const client = await httpClient(served.url);
    assert.equal((await client.listTools()).tools.length, TOOLS.length);
    await client.close();
  } finally {
    await served.stop();
  }
});

Deno.test("serve --http: a client over the rate limit gets 429, others are still served", async () => {
  const served = await serveHttp([], { extraToml: "[mcp_server]\nrate_limit_per_second = 1\n" });
  try {
    const greedy = await httpClient(served.url);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => greedy.listTools()),
    );
    const failures = results.filter((r: PromiseSettledResult<unknown>) => r.status === "rejected");
    assert.ok(failures.length > 0, "some calls were limited");
    assert.match(String((failures[0] as PromiseRejectedResult).reason), /429|too many requests/i);
    const polite = await httpClient(served.url);
    assert.equal((await polite.listTools()).tools.length, TOOLS.length);
    await polite.close();
    await greedy.close().catch(() => {});
  } finally {
    await served.stop();
  }
});

Deno.test("serve --http off loopback: refuses to start without a token, then demands it", async () => {
  const noToken = await runCli(["serve", "--http", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /refusing to serve on 0\.0\.0\.0 without a token/);
  assert.match(noToken.stderr, /MCPCHAT_MCP_SERVER_TOKEN/);
  assert.equal(noToken.stdout, "");

  const token = "serve-test-token-0123456789";
  const served = await serveHttp(["--host", "0.0.0.0"], {
    env: { MCPCHAT_MCP_SERVER_TOKEN: token },
  });
  try {
    const url = served.url.replace("0.0.0.0", "127.0.0.1");
    await refused(await post(url, initialize), 401, /Bearer/);
    await refused(
      await post(url, initialize, { authorization: "Bearer wrong" }),
      401,
      /unauthorized/,
    );
    const client = await httpClient(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await client.listTools()).tools.length, TOOLS.length);
    await client.close();
    assert.ok(!served.stderr().includes(token), "the token is never printed");
  } finally {
    await served.stop();
  }
});

Deno.test("serve: usage errors exit 2 with what to do", async () => {
  const none = await runCli(["serve"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /serve --stdio .* serve --http/);
  const both = await runCli(["serve", "--stdio", "--http"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /choose one transport/);
  const port = await runCli(["serve", "--http", "--port", "99999"]);
  assert.equal(port.code, 2);
  assert.match(port.stderr, /--port must be a whole number/);
  const help = await runCli(["serve", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /"mcpServers"/);
  assert.match(help.stdout, /MCPCHAT_MCP_SERVER_TOKEN/);
  assert.match(help.stdout, /claude mcp add mcpchat -- mcpchat serve --stdio/);
});

Deno.test("serve --http: chat's model uses mcpchat's own MCP servers, limited to the server's allow-list", async () => {
  const everything = `${
    new URL("../peers/node_modules/@modelcontextprotocol/", import.meta.url).pathname
  }server-everything/dist/index.js`;
  const served = await serveHttp([], {
    extraToml: `[mcp.servers.everything]\ncommand = "node"\nargs = ["${everything}"]\n` +
      `[mcp_server]\nallow_tools = ["everything__echo", "everything__trigger-long-*"]\n`,
  });
  const client = await httpClient(served.url);
  try {
    const servers = structured<{ servers: { name: string; status: string }[] }>(
      await client.callTool({ name: "list_servers", arguments: {} }),
    );
    assert.deepEqual(servers.servers.map((s) => s.name), ["everything"]);
    served.fake.reply(
      {
        chunks: openaiChunks({
          toolCalls: [
            { id: "c1", name: "everything__echo", args: { message: "ping" } },
            { id: "c2", name: "everything__get-env", args: {} },
          ],
        }),
      },
      { chunks: openaiChunks({ text: ["done"] }) },
    );
    const chat = await client.callTool({ name: "chat", arguments: { message: "use tools" } });
    const calls = structured<{ tool_calls: { name: string; status: string }[] }>(chat).tool_calls;
    assert.deepEqual(calls.map((c) => [c.name, c.status]), [
      ["everything__echo", "ok"],
      ["everything__get-env", "denied"],
    ]);
    const followUp = served.fake.requests[1].body as {
      messages: { role: string; content: string }[];
    };
    const toolMessages = followUp.messages.filter((m) => m.role === "tool").map((m) => m.content);
    assert.match(toolMessages.join("\n"), /Echo: ping/);
    assert.match(toolMessages.join("\n"), /did not approve/);

    // the progress of a tool the model runs reaches the chat caller
    served.fake.reply(
      {
        chunks: openaiChunks({
          toolCalls: [{
            id: "c3",
            name: "everything__trigger-long-running-operation",
            args: { duration: 1, steps: 3 },
          }],
        }),
      },
      { chunks: openaiChunks({ text: ["finished"] }) },
    );
    const messages: string[] = [];
    await client.callTool({ name: "chat", arguments: { message: "run long" } }, undefined, {
      onprogress: (p: { message?: string }) => messages.push(p.message ?? ""),
    });
    assert.ok(
      messages.some((m) =>
        /^everything__trigger-long-running-operation: /.test(m) && !/: (ok|error)$/.test(m)
      ),
      messages.join("\n"),
    );
  } finally {
    await client.close();
    await served.stop();
  }
});

Deno.test("serve --http: logging/setLevel decides which log messages a client gets", async () => {
  const served = await serveHttp();
  const quiet = await httpClient(served.url);
  const chatty = await httpClient(served.url);
  try {
    const heard = { quiet: [] as string[], chatty: [] as string[] };
    for (const [name, client] of [["quiet", quiet], ["chatty", chatty]] as const) {
      client.setNotificationHandler(
        LoggingMessageNotificationSchema,
        (n: { params: { level: string; data: unknown } }) =>
          void heard[name].push(`${n.params.level}: ${n.params.data}`),
      );
    }
    await quiet.setLoggingLevel("error");
    await chatty.setLoggingLevel("info");
    served.fake.reply(
      { chunks: openaiChunks({ text: ["one"] }) },
      { chunks: openaiChunks({ text: ["two"] }) },
    );
    await quiet.callTool({ name: "chat", arguments: { message: "a" } });
    await chatty.callTool({ name: "chat", arguments: { message: "b" } });
    // Log messages travel on each client's own GET stream: wait (bounded) for chatty's, which
    // was sent after quiet's would have been.
    for (let i = 0; i < 200 && heard.chatty.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    await quiet.ping();
    assert.equal(heard.quiet.length, 0, heard.quiet.join("\n"));
    assert.ok(
      heard.chatty.some((m) => /^info: chat answered in session/.test(m)),
      heard.chatty.join("\n"),
    );
  } finally {
    await quiet.close();
    await chatty.close();
    await served.stop();
  }
});

Deno.test("serve --http on a port already in use says so and exits 1", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (busy.addr as Deno.NetAddr).port;
    const r = await runCli(["serve", "--http", "--port", String(port)]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`127\\.0\\.0\\.1:${port} is already in use: pick another port`),
    );
    assert.equal(r.stdout, "");
  } finally {
    busy.close();
  }
});
