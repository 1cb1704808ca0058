import assert from "node:assert/strict";
import { startPlugin, type SurfaceOf } from "../../lib/plugin/mod.ts";
import {
  type MessageEntry,
  openMessageStore,
  type RemoteKvLocation,
  resolveKvLocation,
  SessionBusyError,
  storeWorkerPermissions,
} from "../../lib/store/mod.ts";
import type { storePlugin } from "../../plugins/store.ts";
import { type KvConnectServer, startKvConnectServer } from "../fixtures/store/kv_connect_server.ts";
import { fakeClock } from "./helpers.ts";

const TOKEN = "remote-test-token";

/** Runs `fn` against a fresh KV Connect server with the token exported (Deno.openKv reads it). */
async function withRemote(
  fn: (server: KvConnectServer, location: RemoteKvLocation) => Promise<void>,
) {
  const server = startKvConnectServer(TOKEN);
  const previous = Deno.env.get("DENO_KV_ACCESS_TOKEN");
  Deno.env.set("DENO_KV_ACCESS_TOKEN", TOKEN);
  try {
    const location = resolveKvLocation({
      env: {
        MCPCHAT_KV_URL: server.url,
        DENO_KV_ACCESS_TOKEN: TOKEN,
        XDG_DATA_HOME: "/nonexistent",
      },
    });
    assert.equal(location.kind, "remote");
    await fn(server, location as RemoteKvLocation);
  } finally {
    if (previous === undefined) Deno.env.delete("DENO_KV_ACCESS_TOKEN");
    else Deno.env.set("DENO_KV_ACCESS_TOKEN", previous);
    await server.close();
  }
}

Deno.test("MCPCHAT_KV_URL: the same store code runs against a remote KV Connect server", async () => {
  await withRemote(async (server, location) => {
    const clock = fakeClock();
    // "Laptop": writes a conversation with a large tool result, then exits.
    const laptop = await openMessageStore({
      location,
      clock,
      owner: { pid: 1, host: "laptop" },
      pageSize: 4,
    });
    assert.equal(laptop.info().kind, "remote");
    assert.equal(laptop.info().schemaVersion, 2);
    const view = await laptop.sessions.create({ model: "m", backend: "anthropic" });
    await view.append({ role: "user", content: "What is in /tmp?" });
    await view.append({
      role: "assistant",
      content: [{ type: "tool-call", id: "c1", name: "fs__list", arguments: { path: "/tmp" } }],
      usage: { inputTokens: 10, outputTokens: 3 },
      cost: 0.01,
    });
    const big = "listing ".repeat(20_000); // 160 KB: chunked over the wire too
    await view.append({ role: "tool", content: [{ type: "tool-result", id: "c1", content: big }] });
    for (let i = 0; i < 10; i++) await view.append({ role: "user", content: `follow-up ${i}` });
    await laptop.sessions.save(view.id, "tmp-question");

    // "Desktop", same time: the session is busy there.
    const desktop = await openMessageStore({
      location,
      clock,
      owner: { pid: 2, host: "desktop" },
      pageSize: 4,
    });
    await assert.rejects(desktop.sessions.open(view.id), (e: unknown) => {
      assert.ok(e instanceof SessionBusyError);
      assert.match(e.message, /pid 1 on host laptop/);
      return true;
    });
    await laptop.close();

    // Later, on the desktop: --continue finds it, resumes, pages back to the tool result.
    const last = await desktop.sessions.last();
    assert.equal(last?.id, view.id);
    assert.equal(last?.messageCount, 13);
    assert.equal(await desktop.sessions.resolve("tmp-question"), view.id);
    const resumed = await desktop.sessions.open(view.id);
    assert.deepEqual(resumed.recent.map((m) => m.seq), [9, 10, 11, 12]);
    const older = await resumed.history({ before: 9, limit: 20 });
    assert.equal(older.messages.length, 9);
    const tool = older.messages.find((m: MessageEntry) => m.role === "tool")!;
    assert.deepEqual(tool.content, [{ type: "tool-result", id: "c1", content: big }]);
    await resumed.append({ role: "assistant", content: "Resumed on the desktop." });

    let json = "";
    for await (const piece of desktop.transfer.exportJson(view.id)) json += piece;
    const copy = await desktop.transfer.import(json, { onConflict: "new-id" });
    assert.equal(copy.messageCount, 14);
    await desktop.sessions.clear(copy.id);
    await desktop.sessions.delete(copy.id);
    assert.deepEqual((await desktop.sessions.list()).sessions.map((s) => s.id), [view.id]);
    await desktop.close();

    assert.ok((server.requests.get("/v2/atomic_write") ?? 0) > 20, "writes went over KV Connect");
    assert.ok((server.requests.get("/v2/snapshot_read") ?? 0) > 5, "reads went over KV Connect");
  });
});

Deno.test("the store worker for a remote KV needs only net to its host and env for the token", async () => {
  await withRemote(async (server, location) => {
    const permissions = storeWorkerPermissions(location);
    assert.deepEqual(permissions, { net: [server.host], env: ["DENO_KV_ACCESS_TOKEN"] });
    const store = await startPlugin<SurfaceOf<typeof storePlugin>>({
      name: "store",
      module: new URL("../../plugins/store.ts", import.meta.url),
      permissions,
      init: { location, owner: { pid: 9, host: "worker-host" } },
      heartbeat: false,
    });
    try {
      const { session } = await store.peer.call("create", {});
      await store.peer.call("append", {
        sessionId: session.id,
        message: { role: "user", content: "over the wire" },
      });
      const page = await store.peer.call("history", { sessionId: session.id });
      assert.deepEqual(page.messages.map((m: MessageEntry) => m.content), ["over the wire"]);
      assert.equal((await store.peer.call("list", {})).sessions[0].id, session.id);
    } finally {
      await store.stop();
    }
    assert.ok(server.size() > 0);
  });
});
