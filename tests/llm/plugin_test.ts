/**
 * The `llm` plugin in a real narrowed worker (net = the fake provider's
 * host:port, env = its key variable, nothing else) against local servers.
 */
import assert from "node:assert/strict";
import { startPlugin } from "../../lib/plugin/mod.ts";
import { RemoteError } from "../../lib/rpc/errors.ts";
import type { LlmConfig } from "../../lib/llm/config.ts";
import { llmWorkerPermissions, llmWorkerRead } from "../../lib/llm/permissions.ts";
import type { LlmEvent } from "../../lib/llm/types.ts";
import type { llmPlugin } from "../../plugins/llm.ts";
import type { SurfaceOf } from "../../lib/plugin/mod.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import * as wire from "../fixtures/llm/wire.ts";

type Llm = SurfaceOf<typeof llmPlugin>;
const KEY_VAR = "MCPCHAT_TEST_LLM_KEY";
const MODULE = new URL("../../plugins/llm.ts", import.meta.url);

async function start(config: LlmConfig, permissionsConfig = config) {
  Deno.env.set(KEY_VAR, "sk-worker-test");
  const env = (n: string) => Deno.env.get(n);
  const permissions = llmWorkerPermissions(permissionsConfig, env);
  return {
    permissions,
    handle: await startPlugin<Llm>({
      name: "llm",
      module: MODULE,
      // As plugins/manifest.ts grants it: the provider modules' directory is its one read.
      permissions: { ...permissions, read: llmWorkerRead() },
      init: { config },
      heartbeat: false,
    }),
  };
}

Deno.test("llm worker: streams a chat, reports status and stats, maps errors", async () => {
  const server = await FakeProvider.start(
    "text/event-stream",
    (p) =>
      p === "/v1/models"
        ? { json: { data: [{ id: "claude-haiku-4-5" }], has_more: false } }
        : undefined,
  );
  const config: LlmConfig = {
    default: "claude",
    backends: {
      claude: {
        type: "anthropic",
        base_url: `${server.url}/v1`,
        api_key_env: KEY_VAR,
        model: "claude-haiku-4-5",
      },
    },
  };
  const { handle, permissions } = await start(config);
  try {
    assert.deepEqual(permissions, {
      net: [new URL(server.url).host],
      env: ["ANTHROPIC_BASE_URL", KEY_VAR],
    });
    server.reply({
      chunks: wire.anthropicChunks({
        text: ["Hi ", "there"],
        toolCalls: [{ id: "toolu_1", name: "fs__read", args: { path: "a.txt" } }],
        usage: { input: 100, output: 20 },
      }),
    });
    const events: LlmEvent[] = [];
    for await (
      const e of handle.peer.stream("chat", { messages: [{ role: "user", content: "hi" }] })
    ) {
      events.push(e);
    }
    // Text pieces may arrive merged (the plugin coalesces bursts): compare the sequence of kinds.
    const kinds = events.map((e) => e.type).filter((t, i, all) =>
      t !== "text-delta" || all[i - 1] !== t
    );
    assert.deepEqual(kinds, ["start", "text-delta", "tool-call", "usage", "finish"]);
    assert.equal(events.map((e) => e.type === "text-delta" ? e.text : "").join(""), "Hi there");
    const usage = events.find((e) => e.type === "usage");
    assert.ok(usage?.type === "usage");
    assert.equal(usage.cost, (100 * 1 + 20 * 5) / 1e6);
    assert.equal(server.requests[0].headers["x-api-key"], "sk-worker-test");

    const status = await handle.peer.call("status", undefined);
    const claude = status.find((s) => s.name === "claude");
    assert.equal(claude?.configured, true);
    assert.equal(claude?.isDefault, true);
    const gemini = status.find((s) => s.name === "gemini");
    assert.equal(gemini?.configured, false);
    assert.equal(gemini?.missing, "set GEMINI_API_KEY");

    const models = await handle.peer.call("listModels", {});
    assert.equal(models.source, "api");
    assert.deepEqual(models.models.map((m) => m.id), ["claude-haiku-4-5"]);

    const stats = await handle.peer.call("stats", undefined);
    assert.deepEqual(stats.providersLoaded, ["anthropic"]);
    assert.equal(stats.pools[0].inFlight, 0);
    assert.equal(stats.succeeded, 1);
    const health = await handle.peer.call("health", undefined);
    assert.equal(health.find((h) => h.backend === "claude")?.state, "closed");
    const pricing = await handle.peer.call("pricing", undefined);
    assert.equal(pricing["claude-haiku-4-5"].output, 5);

    server.reply({
      status: 401,
      json: wire.anthropicError("authentication_error", "invalid x-api-key"),
    });
    await assert.rejects(
      async () => {
        for await (
          const _ of handle.peer.stream("chat", { messages: [{ role: "user", content: "x" }] })
        ) {
          // drain
        }
      },
      (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.code, "LLM_AUTH");
        assert.equal(e.data?.status, 401);
        assert.equal(e.data?.backend, "claude");
        assert.match(
          e.message,
          /claude: 401 Unauthorized \(invalid x-api-key\) — check MCPCHAT_TEST_LLM_KEY/,
        );
        return true;
      },
    );

    await assert.rejects(
      () => handle.peer.call("listModels", { backend: "gemini" }),
      (e: unknown) =>
        e instanceof RemoteError && e.code === "LLM_UNCONFIGURED" &&
        /GEMINI_API_KEY/.test(e.message),
    );
  } finally {
    await handle.stop();
    await server.close();
  }
});

Deno.test("llm worker: cancelling the RPC aborts the HTTP stream; other hosts are denied", async () => {
  const server = await FakeProvider.start("text/event-stream");
  const other = await FakeProvider.start("text/event-stream");
  const allowed: LlmConfig = {
    default: "local",
    backends: {
      local: {
        type: "openai-compatible",
        base_url: `${server.url}/v1`,
        model: "m",
        api_key_env: KEY_VAR,
      },
    },
    pricing: { m: { input: 1, output: 1 } },
  };
  const config: LlmConfig = {
    ...allowed,
    retry: { max_attempts: 1 },
    backends: {
      ...allowed.backends,
      // Present in config, but the worker gets no permission for its host.
      elsewhere: { type: "openai-compatible", base_url: `${other.url}/v1`, model: "m" },
    },
  };
  const { handle, permissions } = await start(config, allowed);
  try {
    assert.deepEqual(permissions.net, [new URL(server.url).host]);
    const chunks = wire.openaiChunks({ text: ["first", "second"] });
    server.reply({ chunks, hangAfter: 2 });
    const controller = new AbortController();
    await assert.rejects(async () => {
      for await (
        const e of handle.peer.stream("chat", { messages: [{ role: "user", content: "go" }] }, {
          signal: controller.signal,
        })
      ) {
        if (e.type === "text-delta") controller.abort();
      }
    });
    await server.requests[0].cancelled;
    assert.equal(server.requests[0].wasCancelled, true);

    await assert.rejects(
      async () => {
        for await (
          const _ of handle.peer.stream("chat", {
            backend: "elsewhere",
            messages: [{ role: "user", content: "x" }],
          })
        ) {
          // drain
        }
      },
      (e: unknown) =>
        e instanceof RemoteError && e.code === "LLM_NOT_PERMITTED" &&
        /elsewhere: the llm service is not allowed to reach this provider/.test(e.message),
    );
    assert.equal(other.requests.length, 0, "the worker could not reach an unlisted host");
  } finally {
    await handle.stop();
    await server.close();
    await other.close();
  }
});

Deno.test("llm worker: every provider library loads and streams under the narrowed permissions", async () => {
  const specs = (await import("../fixtures/llm/backends.ts")).SPECS;
  const servers = await Promise.all(specs.map((s) => FakeProvider.start(s.contentType)));
  const backends: LlmConfig["backends"] = {};
  specs.forEach((spec, i) => {
    backends[spec.backend] = {
      ...spec.config(servers[i].url),
      model: spec.model,
      ...(spec.kind === "ollama" ? {} : { api_key_env: KEY_VAR }),
    };
  });
  const config: LlmConfig = {
    backends,
    pricing: { "llama-3.3-70b-versatile": { input: 1, output: 1 } },
  };
  const { handle, permissions } = await start(config);
  try {
    assert.deepEqual(permissions.net, servers.map((s) => new URL(s.url).host).sort());
    assert.ok(!permissions.env.includes("HOME"));
    for (const [i, spec] of specs.entries()) {
      servers[i].reply({ chunks: spec.chunks({ text: [`hello from ${spec.backend}`] }) });
      let text = "";
      for await (
        const e of handle.peer.stream("chat", {
          backend: spec.backend,
          messages: [{ role: "user", content: "hi" }],
        })
      ) {
        if (e.type === "text-delta") text += e.text;
      }
      assert.equal(text, `hello from ${spec.backend}`);
      assert.match(servers[i].requests[0].path, spec.chatPath);
    }
    const stats = await handle.peer.call("stats", undefined);
    assert.deepEqual(
      [...stats.providersLoaded].sort(),
      ["anthropic", "bedrock", "gemini", "ollama", "openai", "openai-compatible"],
    );
  } finally {
    await handle.stop();
    await Promise.all(servers.map((s) => s.close()));
  }
});

Deno.test("llm worker: breaker state changes arrive as `breaker` events and show in health", async () => {
  const server = await FakeProvider.start("text/event-stream");
  const config: LlmConfig = {
    default: "claude",
    retry: { max_attempts: 1 },
    breaker: { failure_threshold: 1, reset_seconds: 600 },
    backends: { claude: { type: "anthropic", base_url: `${server.url}/v1`, api_key_env: KEY_VAR } },
  };
  const { handle } = await start(config);
  const events: unknown[] = [];
  const seen = new Promise<void>((resolve) =>
    handle.peer.on("breaker", (data) => {
      events.push(data);
      resolve();
    })
  );
  try {
    server.reply({ status: 529, json: wire.anthropicError("overloaded_error", "Overloaded") });
    await assert.rejects(
      async () => {
        for await (
          const _ of handle.peer.stream("chat", { messages: [{ role: "user", content: "x" }] })
        ) {
          // drain
        }
      },
      (e: unknown) =>
        e instanceof RemoteError && e.code === "LLM_SERVER" &&
        /claude: 529 Overloaded/.test(e.message),
    );
    await seen;
    assert.deepEqual(events, [{ backend: "claude", state: "open", previous: "closed" }]);
    const health = await handle.peer.call("health", undefined);
    const claude = health.find((h) => h.backend === "claude");
    assert.equal(claude?.state, "open");
    assert.match(claude?.lastError ?? "", /529/);
    await assert.rejects(
      async () => {
        for await (
          const _ of handle.peer.stream("chat", { messages: [{ role: "user", content: "x" }] })
        ) {
          // drain
        }
      },
      (e: unknown) => e instanceof RemoteError && e.code === "LLM_CIRCUIT_OPEN",
    );
    await handle.peer.call("resetBreaker", { backend: "claude" });
    assert.equal((await handle.peer.call("health", undefined))[0].state, "closed");
  } finally {
    await handle.stop();
    await server.close();
  }
});

Deno.test("llm worker: a warm start imports its provider, serves nothing until configured once", async () => {
  const server = await FakeProvider.start("text/event-stream");
  const config: LlmConfig = {
    default: "local",
    backends: {
      local: { type: "openai-compatible", base_url: `${server.url}/v1`, model: "gpt-4.1" },
    },
  };
  const handle = await startPlugin<Llm>({
    name: "llm",
    module: MODULE,
    permissions: { ...llmWorkerPermissions(config, () => undefined), read: llmWorkerRead() },
    init: { warm: ["openai-compatible"] },
    heartbeat: false,
  });
  try {
    await assert.rejects(
      handle.peer.call("status", undefined),
      (e: unknown) => e instanceof RemoteError && e.code === "LLM_NOT_CONFIGURED",
    );
    assert.deepEqual(await handle.peer.call("health", undefined), []);
    assert.equal(server.requests.length, 0);
    await handle.peer.call("configure", { config });
    await assert.rejects(handle.peer.call("configure", { config }), /configured already/);
    server.reply({ chunks: wire.openaiChunks({ text: ["warm"] }) });
    const texts: string[] = [];
    for await (
      const e of handle.peer.stream("chat", { messages: [{ role: "user", content: "hi" }] })
    ) if (e.type === "text-delta") texts.push(e.text);
    assert.equal(texts.join(""), "warm");
    // One provider library is loaded, the warm start's.
    assert.deepEqual((await handle.peer.call("stats", undefined)).providersLoaded, [
      "openai-compatible",
    ]);
  } finally {
    await handle.stop();
    await server.close();
  }
});

Deno.test("llm worker: a provider library that cannot be loaded is said as such, not as the network, and not retried", async () => {
  const server = await FakeProvider.start("text/event-stream");
  const config: LlmConfig = {
    default: "local",
    retry: { max_attempts: 3, base_ms: 1, max_ms: 2 },
    backends: {
      local: { type: "openai-compatible", base_url: `${server.url}/v1`, model: "gpt-4.1" },
    },
  };
  // Without its one read (the provider modules' directory) the worker cannot import them.
  const handle = await startPlugin<Llm>({
    name: "llm",
    module: MODULE,
    permissions: llmWorkerPermissions(config, () => undefined),
    init: { config },
    heartbeat: false,
  });
  try {
    await assert.rejects(
      (async () => {
        for await (
          const _ of handle.peer.stream("chat", { messages: [{ role: "user", content: "hi" }] })
        ) { /* nothing arrives */ }
      })(),
      (e: unknown) =>
        e instanceof RemoteError && e.code === "LLM_PROVIDER_LOAD" &&
        /openai-compatible provider library could not be loaded/.test(e.message) &&
        !/check the network/.test(e.message),
    );
    assert.equal(server.requests.length, 0, "nothing was sent");
  } finally {
    await handle.stop();
    await server.close();
  }
});
