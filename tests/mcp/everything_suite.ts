/**
 * The feature suite run against server-everything over each transport.
 *
 * @module
 */

import assert from "node:assert/strict";
// @ts-types="@modelcontextprotocol/sdk/types"
import type {
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
} from "@modelcontextprotocol/sdk/types.js";
import type { ServerConfigInput as ServerConfig } from "../../lib/mcp/config.ts";
import type { McpHostCallbacks } from "../../lib/mcp/connection.ts";
import { harness, until, within } from "./helpers.ts";

/** A host stub: canned sampling and elicitation answers, requests recorded. */
export function hostStub(): McpHostCallbacks & {
  samplingRequests: CreateMessageRequest["params"][];
  elicitRequests: ElicitRequest["params"][];
} {
  const samplingRequests: CreateMessageRequest["params"][] = [];
  const elicitRequests: ElicitRequest["params"][] = [];
  return {
    samplingRequests,
    elicitRequests,
    sampling(req) {
      samplingRequests.push(req.params);
      const result: CreateMessageResult = {
        role: "assistant",
        model: "stub-model-1",
        stopReason: "endTurn",
        content: { type: "text", text: "canned answer from the host" },
      };
      return Promise.resolve(result);
    },
    elicit(req) {
      elicitRequests.push(req.params);
      const result: ElicitResult = {
        action: "accept",
        content: { name: "Ada Lovelace", check: true, email: "ada@example.com" },
      };
      return Promise.resolve(result);
    },
  };
}

const text = (r: { content: unknown[] }) => JSON.stringify(r.content);

/** Runs every feature server-everything exercises, over one transport. */
export async function exerciseEverything(config: ServerConfig): Promise<void> {
  const host = hostStub();
  const h = harness({ everything: config }, {
    host,
    roots: [{ uri: "file:///tmp/mcpchat-root-a", name: "a" }],
    progress_interval_ms: 50,
  });
  const m = h.manager;
  try {
    // Tools, including those registered after initialization (tools/list_changed).
    let names: string[] = [];
    await within(
      (async () => {
        for (let i = 0; i < 100; i++) {
          names = (await m.listTools()).tools.map((t) => t.name);
          if (names.includes("everything__trigger-sampling-request")) return;
          await new Promise((r) => setTimeout(r, 50));
        }
      })(),
      20_000,
      "conditional tools",
    );
    for (
      const t of [
        "echo",
        "get-sum",
        "trigger-long-running-operation",
        "trigger-elicitation-request",
        "get-roots-list",
      ]
    ) {
      assert.ok(names.includes(`everything__${t}`), `missing ${t} in ${names}`);
    }
    assert.ok(names.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n)));
    // Tools registered after initialization are announced with tools/list_changed.
    // (Over streamable HTTP the server sends it before our standalone SSE stream
    // is open, so it is lost on the wire: the listing above found them anyway.)
    if (config.type !== "http") {
      await until(
        () => h.events.some((e) => e.event === "tools-changed"),
        5_000,
        "tools-changed event",
      );
      assert.ok(m.notifications({ categories: ["tools"] }).length > 0);
    }

    // Structured content and images.
    const structured = await within(
      m.callTool({
        name: "everything__get-structured-content",
        arguments: { location: "New York" },
      }),
      10_000,
      "structured",
    );
    assert.ok(structured.structuredContent, "structuredContent");
    const image = await within(
      m.callTool({ name: "everything__get-tiny-image", arguments: {} }),
      10_000,
      "image",
    );
    assert.ok(image.content.some((c: { type: string }) => c.type === "image"));

    // Progress: every update reaches the caller; events are coalesced and tagged.
    const updates: number[] = [];
    const progressed = await within(
      m.callTool(
        {
          name: "everything__trigger-long-running-operation",
          arguments: { duration: 1, steps: 5 },
          callId: "call-1",
        },
        undefined,
        (p) => updates.push(p.progress),
      ),
      15_000,
      "long running",
    );
    assert.match(text(progressed), /completed/i);
    assert.deepEqual(updates, [1, 2, 3, 4, 5]);
    const progressEvents = h.events.filter((e) => e.event === "progress").map((e) =>
      e.data as { callId?: string; progress: number }
    );
    assert.ok(progressEvents.length >= 1 && progressEvents.length <= 5);
    assert.equal(progressEvents.at(-1)?.progress, 5);
    assert.ok(progressEvents.every((e) => e.callId === "call-1"));

    // Cancellation: abort after the first progress update.
    const ac = new AbortController();
    const cancelled = m.callTool(
      {
        name: "everything__trigger-long-running-operation",
        arguments: { duration: 20, steps: 20 },
      },
      ac.signal,
      () => ac.abort(),
    );
    await assert.rejects(
      within(cancelled, 10_000, "cancel"),
      (e: Error & { code?: string }) => e.code === "MCP_CANCELLED",
    );

    // Sampling routed to the host.
    const sampled = await within(
      m.callTool({
        name: "everything__trigger-sampling-request",
        arguments: { prompt: "Say hi", maxTokens: 20 },
      }),
      10_000,
      "sampling",
    );
    assert.match(text(sampled), /canned answer from the host/);
    assert.equal(host.samplingRequests.length, 1);
    assert.match(JSON.stringify(host.samplingRequests[0].messages), /Say hi/);

    // Elicitation routed to the host.
    const elicited = await within(
      m.callTool({ name: "everything__trigger-elicitation-request", arguments: {} }),
      10_000,
      "elicitation",
    );
    assert.match(text(elicited), /Ada Lovelace/);
    assert.equal(host.elicitRequests.length, 1);

    // Roots: the configured ones, then a change announced with roots/list_changed.
    const roots1 = await within(
      m.callTool({ name: "everything__get-roots-list", arguments: {} }),
      10_000,
      "roots",
    );
    assert.match(text(roots1), /mcpchat-root-a/);
    await m.setRoots([{ uri: "file:///tmp/mcpchat-root-b", name: "b" }]);
    await within(
      (async () => {
        for (let i = 0; i < 100; i++) {
          const r = await m.callTool({ name: "everything__get-roots-list", arguments: {} });
          if (/mcpchat-root-b/.test(text(r))) return;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error("roots never updated");
      })(),
      10_000,
      "roots change",
    );

    // Resources, templates, read through the cache.
    const { resources } = await within(
      m.listResources({ server: "everything" }),
      10_000,
      "resources",
    );
    assert.ok(resources.length > 0);
    const { resourceTemplates } = await within(
      m.listResourceTemplates({ server: "everything" }),
      10_000,
      "templates",
    );
    assert.ok(resourceTemplates.some((t) => t.uriTemplate.includes("{resourceId}")));
    const uri = "demo://resource/dynamic/text/1";
    const first = await within(m.readResource({ server: "everything", uri }), 10_000, "read");
    assert.equal(first.cached, false);
    assert.ok(first.contents.length > 0);
    const second = await within(
      m.readResource({ server: "everything", uri }),
      10_000,
      "read again",
    );
    assert.equal(second.cached, true);
    assert.ok(m.cacheStats().hits >= 1);
    assert.ok(m.connection("everything").subscriptions().includes(uri), "subscribed on read");

    // Subscriptions: updates invalidate the cached copy.
    await within(
      m.callTool({ name: "everything__toggle-subscriber-updates", arguments: {} }),
      10_000,
      "toggle subs",
    );
    await until(
      () =>
        m.notifications({ categories: ["resources"] }).some((n) =>
          n.method === "notifications/resources/updated"
        ),
      12_000,
      "resources/updated",
    );
    assert.ok(m.cacheStats().invalidations >= 1);
    assert.equal((await m.readResource({ server: "everything", uri })).cached, false);
    await m.callTool({ name: "everything__toggle-subscriber-updates", arguments: {} });
    await m.unsubscribe({ server: "everything", uri });

    // Prompts and completion.
    const { prompts } = await within(m.listPrompts({ server: "everything" }), 10_000, "prompts");
    assert.ok(prompts.some((p) => p.name === "args-prompt"));
    const prompt = await within(
      m.getPrompt({
        server: "everything",
        name: "args-prompt",
        arguments: { city: "Paris", state: "IDF" },
      }),
      10_000,
      "getPrompt",
    );
    assert.match(JSON.stringify(prompt.messages), /Paris/);
    const done = await within(
      m.complete({
        server: "everything",
        ref: { type: "ref/prompt", name: "completable-prompt" },
        argument: { name: "department", value: "Eng" },
      }),
      10_000,
      "complete prompt",
    );
    assert.deepEqual(done.completion.values, ["Engineering"]);
    const team = await m.complete({
      server: "everything",
      ref: { type: "ref/prompt", name: "completable-prompt" },
      argument: { name: "name", value: "" },
      context: { arguments: { department: "Engineering" } },
    });
    assert.ok(team.completion.values.length > 0);
    const tmpl = await m.complete({
      server: "everything",
      ref: { type: "ref/resource", uri: "demo://resource/dynamic/text/{resourceId}" },
      argument: { name: "resourceId", value: "7" },
    });
    assert.deepEqual(tmpl.completion.values, ["7"]);

    // Logging: set the level, receive messages into the history.
    await within(m.setLogLevel({ server: "everything", level: "debug" }), 10_000, "setLevel");
    await within(
      m.callTool({ name: "everything__toggle-simulated-logging", arguments: {} }),
      10_000,
      "toggle log",
    );
    await until(
      () => m.notifications({ categories: ["logging"], server: "everything" }).length > 0,
      8_000,
      "log message",
    );
    await m.callTool({ name: "everything__toggle-simulated-logging", arguments: {} });

    // Ping and capabilities.
    const caps = await m.capabilities({ server: "everything" });
    assert.ok(caps.capabilities.tools && caps.capabilities.resources && caps.capabilities.prompts);
    assert.ok((await m.ping({ server: "everything" })).ms >= 0);
    const info = m.servers()[0];
    assert.equal(info.state.status, "ready");
  } finally {
    await h.close();
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Waits until something accepts TCP connections on the port. */
export async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`nothing listening on ${port} after ${ms} ms`);
}

/** Starts server-everything over HTTP (`streamableHttp` or `sse`) on a free port. */
export async function startEverythingHttp(
  mode: "streamableHttp" | "sse",
  entry: string,
  port = freePort(),
): Promise<{ port: number; child: Deno.ChildProcess; stop(): Promise<void> }> {
  const child = new Deno.Command("node", {
    args: [entry, mode],
    env: { PORT: String(port) },
    stdout: "null",
    stderr: "null",
    stdin: "null",
  }).spawn();
  await waitForPort(port, 15_000);
  return {
    port,
    child,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
    },
  };
}
