/** Retry timing, pricing, config resolution, message mapping and permissions. */
import assert from "node:assert/strict";
import { LlmClient } from "../../lib/llm/client.ts";
import { backendNames, resolveBackend, splitModelRef } from "../../lib/llm/config.ts";
import {
  LlmConnectionError,
  LlmNoModelError,
  LlmRateLimitError,
  LlmServerError,
  LlmUnconfiguredError,
  LlmUnknownBackendError,
} from "../../lib/llm/errors.ts";
import { toProviderPrompt } from "../../lib/llm/messages.ts";
import { parseToolCall, providerTools } from "../../lib/llm/tool_calls.ts";
import { hostPort, llmWorkerPermissions } from "../../lib/llm/permissions.ts";
import { CostTracker, formatCost, PricingTable } from "../../lib/llm/pricing.ts";
import { DEFAULT_RETRY, parseRetryAfter, retryDelay } from "../../lib/llm/retry.ts";
import { classifyError, ProviderStreamError, streamError } from "../../lib/llm/classify.ts";

const none = () => undefined;
const envOf = (vars: Record<string, string>) => (n: string) => vars[n];

Deno.test("Retry-After: seconds, HTTP-date, past date, garbage", () => {
  assert.equal(parseRetryAfter("3", 0), 3000);
  assert.equal(parseRetryAfter("0.5", 0), 500);
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 12:00:07 GMT", now), 7000);
  assert.equal(parseRetryAfter("Wed, 01 Jan 2025 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("soon", now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter("", now), undefined);
});

Deno.test("retryDelay: only retryable errors, bounded attempts, hint honoured, jittered backoff", () => {
  const opts = { maxAttempts: 3, baseMs: 500, maxMs: 20_000 };
  const server = new LlmServerError("x", 503);
  assert.equal(retryDelay(server, 1, opts, () => 0.5), 250);
  assert.equal(retryDelay(server, 2, opts, () => 0.5), 500);
  assert.equal(retryDelay(server, 2, opts, () => 0.999), 999);
  assert.equal(retryDelay(server, 3, opts, () => 0.5), undefined, "attempts exhausted");
  assert.equal(retryDelay(new LlmRateLimitError("x", { retryAfterMs: 4000 }), 1, opts), 4000);
  assert.equal(
    retryDelay(new LlmRateLimitError("x", { retryAfterMs: 60_000 }), 1, opts),
    undefined,
  );
  assert.equal(retryDelay(new Error("plain"), 1, opts), undefined);
  assert.equal(DEFAULT_RETRY.maxAttempts, 3);
});

Deno.test("classifyError: HTTP statuses, connection errors and provider messages", () => {
  const b = resolveBackend("openai", {}, envOf({ OPENAI_API_KEY: "k" }));
  const api = (statusCode: number, body?: string, headers?: Record<string, string>) =>
    Object.assign(new Error("x"), {
      name: "AI_APICallError",
      statusCode,
      responseBody: body,
      responseHeaders: headers,
    });
  const auth = classifyError(
    api(401, '{"error":{"message":"Incorrect API key"}}'),
    b,
    "gpt-4.1",
    0,
    false,
  );
  assert.equal(auth.code, "LLM_AUTH");
  assert.equal(auth.message, "openai: 401 Unauthorized (Incorrect API key) — check OPENAI_API_KEY");
  assert.equal(classifyError(api(404), b, "gpt-9", 0, false).code, "LLM_NOT_FOUND");
  assert.match(classifyError(api(404), b, "gpt-9", 0, false).message, /model "gpt-9"/);
  assert.equal(classifyError(api(400), b, "m", 0, false).code, "LLM_BAD_REQUEST");
  assert.equal(classifyError(api(400), b, "m", 0, false).retryable, false);
  assert.equal(classifyError(api(529), b, "m", 0, false).code, "LLM_SERVER");
  const limited = classifyError(api(429, "", { "retry-after-ms": "1500" }), b, "m", 0, false);
  assert.ok(limited instanceof LlmRateLimitError);
  assert.equal(limited.retryAfterMs, 1500);
  const refused = classifyError(
    new TypeError("error sending request: Connection refused"),
    b,
    "m",
    0,
    false,
  );
  assert.ok(refused instanceof LlmConnectionError);
  assert.match(refused.message, /^openai: cannot reach https:\/\/api\.openai\.com\/v1/);
  assert.equal(classifyError(new TypeError("x"), b, "m", 0, true).code, "LLM_STREAM_INTERRUPTED");
  const throttled = classifyError(
    new Error("throttlingException: Too many tokens"),
    b,
    "m",
    0,
    false,
  );
  assert.equal(throttled.code, "LLM_PROVIDER");
  assert.equal(throttled.retryable, true);
  assert.equal(classifyError(new Error("content policy"), b, "m", 0, false).retryable, false);
});

Deno.test("pricing: exact ids, dated snapshots, routing prefixes, overrides, unknown", () => {
  const t = new PricingTable({ "my-local": { input: 0.1, output: 0.2, cached_input: 0.01 } });
  assert.deepEqual(t.lookup("claude-sonnet-4-5-20250929"), {
    input: 3,
    output: 15,
    cachedInput: 0.3,
  });
  assert.equal(t.lookup("gpt-4o-mini-2024-07-18")?.input, 0.15, "longest prefix wins");
  assert.equal(t.lookup("gpt-4o-2024-08-06")?.input, 2.5);
  assert.equal(t.lookup("us.anthropic.claude-3-5-haiku-20241022-v1:0")?.input, 0.8);
  assert.equal(t.lookup("models/gemini-2.5-flash")?.output, 2.5);
  assert.equal(t.lookup("gemini-2.5-flash-lite")?.input, 0.1);
  assert.equal(t.lookup("o3-mini")?.input, 1.1);
  assert.equal(t.lookup("gpt-4.1-mini")?.input, 0.4, "not gpt-4.1");
  assert.equal(t.lookup("claude-opus-4-5-20251101")?.input, 5, "not claude-opus-4");
  assert.equal(t.lookup("gpt-4ox"), undefined, "a prefix must end at a separator");
  const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 500_000 };
  assert.equal(t.cost("my-local", usage), 0.05 + 0.005 + 0.2);
  assert.equal(t.cost("mystery-model", usage), "unknown");
  assert.equal(t.cost("mystery-model", usage, "ollama"), 0, "local models are free");
  assert.equal(t.entries()["my-local"].cachedInput, 0.01);
});

Deno.test("CostTracker: per-session totals; unknown only when nothing is priced", () => {
  const c = new CostTracker();
  c.add({ inputTokens: 10, outputTokens: 5 }, "unknown");
  assert.equal(c.totals().cost, "unknown");
  c.add({ inputTokens: 100, outputTokens: 50, cachedInputTokens: 20 }, 0.002);
  c.add({ inputTokens: 1, outputTokens: 1 }, 0.001);
  const t = c.totals();
  assert.equal(t.turns, 3);
  assert.equal(t.inputTokens, 111);
  assert.equal(t.outputTokens, 56);
  assert.equal(t.cachedInputTokens, 20);
  assert.equal(t.unknownTurns, 1);
  assert.equal(t.cost, 0.003);
  c.reset();
  assert.equal(c.totals().turns, 0);
  assert.equal(formatCost(0.01234), "$0.0123");
  assert.equal(formatCost(12.345), "$12.35");
  assert.equal(formatCost(0.00001), "<$0.0001");
  assert.equal(formatCost("unknown"), "unknown");
});

Deno.test("config: every backend is listed; unconfigured ones say exactly what to set", () => {
  const llm = new LlmClient({
    config: {
      backends: {
        groq: {
          type: "openai-compatible",
          base_url: "https://api.groq.com/openai/v1",
          model: "llama",
          api_key_env: "GROQ_API_KEY",
        },
      },
    },
    env: none,
  });
  const status = llm.status();
  assert.deepEqual(status.map((s) => s.name), [
    "anthropic",
    "openai",
    "ollama",
    "gemini",
    "bedrock",
    "groq",
  ]);
  const missing = Object.fromEntries(status.map((s) => [s.name, s.missing]));
  assert.deepEqual(missing, {
    anthropic: "set ANTHROPIC_API_KEY",
    openai: "set OPENAI_API_KEY",
    ollama: "set OLLAMA_HOST or add [llm.backends.ollama]",
    gemini: "set GEMINI_API_KEY",
    bedrock:
      "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK) and AWS_REGION",
    groq: "set GROQ_API_KEY",
  });
  assert.ok(status.every((s) => !s.configured && s.breaker === "closed"));
  // The chat can still start: asking an unconfigured backend is a clear, typed error.
  assert.throws(() => llm.backend("anthropic"), LlmUnconfiguredError);
  assert.throws(
    () => llm.backend("anthropic"),
    /anthropic: not configured — set ANTHROPIC_API_KEY/,
  );
  assert.throws(() => llm.backend("nope"), LlmUnknownBackendError);
  assert.throws(
    () => llm.backend("nope"),
    /unknown backend "nope" — use one of: anthropic, openai/,
  );
});

Deno.test("config: chat() on an unconfigured backend rejects with LlmUnconfiguredError", async () => {
  const llm = new LlmClient({ config: {}, env: none });
  await assert.rejects(
    () => llm.chat({ backend: "gemini", messages: [{ role: "user", content: "hi" }] }).next(),
    (e: unknown) =>
      e instanceof LlmUnconfiguredError && e.code === "LLM_UNCONFIGURED" &&
      /GEMINI_API_KEY/.test(e.message),
  );
  const compat = new LlmClient({
    config: { backends: { lm: { base_url: "http://127.0.0.1:1234/v1" } } },
    env: none,
  });
  assert.equal(compat.backend("lm", false).missing, "set llm.backends.lm.model");
  const withModel = new LlmClient({
    config: { backends: { lm: { base_url: "http://127.0.0.1:1234/v1", model: "" } } },
    env: none,
  });
  assert.equal(withModel.backend("lm", false).configured, false);
  const noModel = new LlmClient({
    config: { backends: { anthropic: { model: "" } } },
    env: envOf({ ANTHROPIC_API_KEY: "k" }),
  });
  await assert.rejects(() => noModel.chat({ messages: [] }).next(), LlmNoModelError);
});

Deno.test("config: default backend, base URL env overrides, OLLAMA_HOST forms, bedrock region", () => {
  const env = envOf({
    OPENAI_API_KEY: "k",
    OPENAI_BASE_URL: "https://proxy.example/v1/",
    OLLAMA_HOST: "gpu-box",
  });
  const llm = new LlmClient({ config: {}, env });
  assert.equal(llm.defaultBackend(), "openai", "first configured built-in");
  assert.equal(llm.backend("openai").baseUrl, "https://proxy.example/v1");
  assert.equal(llm.backend("ollama").baseUrl, "http://gpu-box:11434");
  assert.equal(
    resolveBackend("ollama", {}, envOf({ OLLAMA_HOST: "127.0.0.1:9999" })).baseUrl,
    "http://127.0.0.1:9999",
  );
  assert.equal(
    resolveBackend("ollama", {}, envOf({ OLLAMA_HOST: "https://o.example" })).baseUrl,
    "https://o.example",
  );
  assert.equal(
    resolveBackend("ollama", { backends: { ollama: { base_url: "http://h:1/api" } } }, none)
      .baseUrl,
    "http://h:1",
  );
  const bedrock = resolveBackend(
    "bedrock",
    { backends: { bedrock: { region: "eu-west-1" } } },
    envOf({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" }),
  );
  assert.equal(bedrock.configured, true);
  assert.equal(bedrock.baseUrl, "https://bedrock-runtime.eu-west-1.amazonaws.com");
  assert.equal(
    resolveBackend("bedrock", {}, envOf({ AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" }))
      .missing,
    "set AWS_REGION or llm.backends.bedrock.region",
  );
  assert.deepEqual(backendNames({ backends: { anthropic: {}, x: {} } }), [
    "anthropic",
    "openai",
    "ollama",
    "gemini",
    "bedrock",
    "x",
  ]);
  assert.equal(
    new LlmClient({ config: { default: "gemini" }, env: none }).defaultBackend(),
    "gemini",
  );
});

Deno.test("messages: system lifted, tool calls and results mapped, consecutive results merged", () => {
  const p = toProviderPrompt([
    { role: "system", content: "You are helpful." },
    { role: "user", content: "Weather and time?" },
    {
      role: "assistant",
      content: "Let me check.",
      toolCalls: [
        { id: "c1", name: "w__get", arguments: { city: "Paris" } },
        { id: "c2", name: "t__now", arguments: {} },
      ],
    },
    { role: "tool", toolCallId: "c1", name: "w__get", content: "22°C" },
    { role: "tool", toolCallId: "c2", name: "t__now", content: { iso: "12:00" } },
    { role: "tool", toolCallId: "c3", name: "x", content: "boom", isError: true },
    { role: "tool", toolCallId: "c4", name: "y", content: { code: 7 }, isError: true },
    { role: "assistant", content: "Done." },
  ], "Answer in French.");
  assert.deepEqual(p, [
    { role: "system", content: "You are helpful.\n\nAnswer in French." },
    { role: "user", content: [{ type: "text", text: "Weather and time?" }] },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Let me check." },
        { type: "tool-call", toolCallId: "c1", toolName: "w__get", input: { city: "Paris" } },
        { type: "tool-call", toolCallId: "c2", toolName: "t__now", input: {} },
      ],
    },
    {
      role: "tool",
      content: [
        {
          type: "tool-result",
          toolCallId: "c1",
          toolName: "w__get",
          output: { type: "text", value: "22°C" },
        },
        {
          type: "tool-result",
          toolCallId: "c2",
          toolName: "t__now",
          output: { type: "json", value: { iso: "12:00" } },
        },
        {
          type: "tool-result",
          toolCallId: "c3",
          toolName: "x",
          output: { type: "error-text", value: "boom" },
        },
        {
          type: "tool-result",
          toolCallId: "c4",
          toolName: "y",
          output: { type: "error-json", value: { code: 7 } },
        },
      ],
    },
    { role: "assistant", content: [{ type: "text", text: "Done." }] },
  ]);
  // No system text: no system message.
  assert.deepEqual(toProviderPrompt([{ role: "user", content: "x" }]), [
    { role: "user", content: [{ type: "text", text: "x" }] },
  ]);
  // An assistant turn of tool calls only sends no empty text part.
  const [, calls] = toProviderPrompt([
    { role: "user", content: "x" },
    { role: "assistant", content: "", toolCalls: [{ id: "c", name: "t", arguments: {} }] },
  ]);
  assert.deepEqual(calls.content, [{
    type: "tool-call",
    toolCallId: "c",
    toolName: "t",
    input: {},
  }]);
});

Deno.test("tool calls: offered tools as function tools, calls parsed, unusable ones explained", () => {
  assert.deepEqual(
    providerTools([
      { name: "w__get", description: "Weather", inputSchema: { type: "object" } },
      { name: "t__now", inputSchema: { type: "object", properties: {} } },
    ]),
    [
      { type: "function", name: "w__get", description: "Weather", inputSchema: { type: "object" } },
      { type: "function", name: "t__now", inputSchema: { type: "object", properties: {} } },
    ],
  );
  const offered = ["w__get", "t__now"];
  assert.deepEqual(parseToolCall("w__get", '{"city":"Paris"}', offered), {
    arguments: { city: "Paris" },
  });
  // Providers send an empty input for a call without parameters.
  assert.deepEqual(parseToolCall("t__now", " ", offered), { arguments: {} });
  const broken = parseToolCall("w__get", '{"city": ', offered);
  assert.equal(broken.arguments, '{"city": ');
  assert.match(
    broken.error ?? "",
    /^tool call "w__get" could not be used: Invalid input for tool w__get: JSON parsing failed/,
  );
  const unknown = parseToolCall("nope", '{"a":1}', offered);
  assert.deepEqual(unknown.arguments, { a: 1 });
  assert.equal(
    unknown.error,
    `tool call "nope" could not be used: Model tried to call unavailable tool 'nope'. Available tools: w__get, t__now.`,
  );
  assert.ok((parseToolCall("w__get", "x".repeat(1000), offered).error ?? "").length < 400);
});

Deno.test("permissions: exactly the configured hosts and their variables", () => {
  assert.equal(hostPort("https://api.anthropic.com/v1"), "api.anthropic.com:443");
  assert.equal(hostPort("http://localhost/v1"), "localhost:80");
  assert.equal(hostPort("http://[::1]:8080"), "::1:8080");
  const env = envOf({
    ANTHROPIC_API_KEY: "a",
    GEMINI_API_KEY: "g",
    AWS_ACCESS_KEY_ID: "x",
    AWS_SECRET_ACCESS_KEY: "y",
    AWS_REGION: "us-west-2",
    GROQ_API_KEY: "q",
  });
  const p = llmWorkerPermissions({
    backends: {
      groq: {
        type: "openai-compatible",
        base_url: "https://api.groq.com/openai/v1",
        model: "m",
        api_key_env: "GROQ_API_KEY",
      },
      ollama: { base_url: "http://127.0.0.1:11434" },
    },
  }, env);
  assert.deepEqual(p.net, [
    "127.0.0.1:11434",
    "api.anthropic.com:443",
    "api.groq.com:443",
    "bedrock-runtime.us-west-2.amazonaws.com:443",
    "generativelanguage.googleapis.com:443",
  ]);
  assert.deepEqual(p.env, [
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_BEARER_TOKEN_BEDROCK",
    "AWS_REGION",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GEMINI_API_KEY",
    "GROQ_API_KEY",
    "OLLAMA_HOST",
  ]);
  assert.ok(!("sys" in p), "the provider libraries read no system information");
  assert.ok(!p.net.includes("api.openai.com:443"), "no key, no access");
  assert.deepEqual(llmWorkerPermissions({}, none), { net: [], env: [] });
});

Deno.test("model references: backend:model only when the prefix is a backend", () => {
  const names = ["anthropic", "openai", "bedrock", "groq"];
  assert.deepEqual(splitModelRef("groq:llama-3.3-70b", names), {
    backend: "groq",
    model: "llama-3.3-70b",
  });
  assert.deepEqual(splitModelRef("openai:gpt-4.1", names), { backend: "openai", model: "gpt-4.1" });
  assert.deepEqual(splitModelRef("gpt-4.1", names), { model: "gpt-4.1" });
  assert.deepEqual(splitModelRef("amazon.nova-pro-v1:0", names), { model: "amazon.nova-pro-v1:0" });
  assert.deepEqual(splitModelRef("bedrock:amazon.nova-pro-v1:0", names), {
    backend: "bedrock",
    model: "amazon.nova-pro-v1:0",
  });
  assert.deepEqual(
    splitModelRef("qwen2.5:7b", names),
    { model: "qwen2.5:7b" },
    "Ollama tags stay whole",
  );
});

Deno.test("streamError: a provider's error payload in a stream becomes an Error that classifies", () => {
  const plain = streamError({ type: "overloaded_error", message: "Overloaded" });
  assert.ok(plain instanceof ProviderStreamError);
  assert.equal(plain.message, "Overloaded");
  const nested = streamError({ type: "error", error: { message: "quota", code: 429 } });
  assert.ok(nested instanceof Error && nested.message === "quota");
  const deep = streamError({ response: { error: { message: "bad", status: 500 } } });
  assert.ok(deep instanceof ProviderStreamError && deep.statusCode === 500);
  const own = new Error("x");
  assert.equal(streamError(own), own);
  assert.equal(streamError("text"), "text");
  const shapeless = { foo: 1 };
  assert.equal(streamError(shapeless), shapeless);
  // The library's own verdict on retrying wins over the message's words.
  const b = resolveBackend("anthropic", {}, () => "k");
  const marked = streamError({ message: "Overloaded", isRetryable: false });
  assert.equal(classifyError(marked, b, "m", 0, false).retryable, false);
  assert.equal(classifyError(plain, b, "m", 0, false).retryable, true);
  assert.equal(
    classifyError(streamError({ message: "odd", isRetryable: true }), b, "m", 0, false).retryable,
    true,
  );
});
