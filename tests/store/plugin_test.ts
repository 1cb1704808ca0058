import assert from "node:assert/strict";
import { RemoteError, startPlugin, type SurfaceOf } from "../../lib/plugin/mod.ts";
import type { PluginSpec } from "../../lib/plugin/mod.ts";
import {
  type KvLocation,
  type MessageEntry,
  resolveKvLocation,
  type SessionChangedEvent,
  storeWorkerPermissions,
} from "../../lib/store/mod.ts";
import type { StoreInit, storePlugin } from "../../plugins/store.ts";
import { tempDir } from "./helpers.ts";

type Store = SurfaceOf<typeof storePlugin>;
const module = new URL("../../plugins/store.ts", import.meta.url);

function spec(
  location: KvLocation,
  owner = { pid: 1234, host: "test-host" },
): PluginSpec<StoreInit> {
  return {
    name: "store",
    module,
    permissions: storeWorkerPermissions(location),
    init: { location, pageSize: 3, owner },
    heartbeat: false,
  };
}

Deno.test("store plugin in a worker with read/write of the data dir only: full session life cycle", async () => {
  await using tmp = await tempDir();
  // The data dir does not exist yet: the worker creates it with only its own permission.
  const location = resolveKvLocation({ env: { XDG_DATA_HOME: `${tmp.dir}/xdg` } });
  assert.deepEqual(storeWorkerPermissions(location), {
    read: [`${tmp.dir}/xdg/mcpchat`],
    write: [`${tmp.dir}/xdg/mcpchat`],
  });
  const store = await startPlugin<Store>(spec(location));
  const events: SessionChangedEvent[] = [];
  store.peer.on("session-changed", (e) => events.push(e));
  try {
    const info = await store.peer.call("info", undefined);
    assert.equal(info.location, `${tmp.dir}/xdg/mcpchat/sessions.kv`);
    assert.equal(info.schemaVersion, 2);

    const { session } = await store.peer.call("create", {
      init: { model: "m", backend: "openai" },
    });
    const id = session.id;
    for (let i = 0; i < 5; i++) {
      await store.peer.call("append", {
        sessionId: id,
        message: { role: i % 2 ? "assistant" : "user", content: `t${i}` },
      });
    }
    await store.peer.call("appendMany", {
      sessionId: id,
      messages: [
        {
          role: "assistant",
          content: [{ type: "tool-call", id: "c", name: "s__t", arguments: { q: 1 } }],
        },
        { role: "tool", content: [{ type: "tool-result", id: "c", content: "r".repeat(120_000) }] },
      ],
    });
    const recent = await store.peer.call("recent", { sessionId: id });
    assert.deepEqual(
      recent.map((m: MessageEntry) => m.seq),
      [4, 5, 6],
      "page size 3 in the worker",
    );
    const page = await store.peer.call("history", { sessionId: id, before: 4, limit: 10 });
    assert.deepEqual(page.messages.map((m: MessageEntry) => m.content), ["t0", "t1", "t2", "t3"]);

    await store.peer.call("save", { ref: id, name: "named" });
    assert.equal((await store.peer.call("resolve", { ref: "named" })).id, id);
    const listed = await store.peer.call("list", { limit: 10 });
    assert.equal(listed.sessions[0].messageCount, 7);
    assert.equal((await store.peer.call("last", {}))?.id, id);

    let md = "";
    for await (const piece of store.peer.stream("exportMarkdown", { ref: id })) md += piece;
    assert.match(md, /\*\*Tool call\*\* `s__t`/);
    let json = "";
    for await (const piece of store.peer.stream("exportJson", { ref: id })) json += piece;
    assert.equal(JSON.parse(json).messages.length, 7);
    const copy = await store.peer.call("import", { data: json, onConflict: "new-id" });
    assert.equal(copy.messageCount, 7);

    await store.peer.call("setAlias", { name: "x", commands: ["/cost"] });
    assert.deepEqual(
      (await store.peer.call("listAliases", undefined)).map((a) => a.name),
      ["x"],
    );
    await store.peer.call("oauthStorage", {
      op: "set",
      key: "mcp-oauth/gh/tokens",
      value: { access_token: "a" },
    });
    assert.deepEqual(
      await store.peer.call("oauthStorage", { op: "get", key: "mcp-oauth/gh/tokens" }),
      {
        value: { access_token: "a" },
      },
    );

    // Typed errors cross the boundary with their code.
    await assert.rejects(
      store.peer.call("append", { sessionId: id, message: { role: "nobody" } }),
      (e: unknown) => {
        assert.ok(e instanceof RemoteError);
        assert.equal(e.code, "STORE_INVALID");
        assert.match(e.message, /message\.role must be one of/);
        return true;
      },
    );
    await assert.rejects(store.peer.call("get", { ref: "missing" }), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.code, "SESSION_NOT_FOUND");
      return true;
    });

    await store.peer.call("clear", { ref: id });
    assert.equal((await store.peer.call("get", { ref: id })).messageCount, 0);
    assert.deepEqual(await store.peer.call("delete", { ref: id }), { id, messages: 0 });
    assert.deepEqual(
      events.filter((e) => e.sessionId === id).map((e) => e.change),
      ["created", ...Array(6).fill("appended"), "updated", "cleared", "deleted"],
    );
  } finally {
    await store.stop();
  }
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(`${tmp.dir}/xdg/mcpchat`)).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(`${tmp.dir}/xdg/mcpchat/sessions.kv`)).mode! & 0o777, 0o600);
  }
});

Deno.test("two store workers: the second writer of a session gets SESSION_BUSY naming the first", async () => {
  await using tmp = await tempDir();
  const location = resolveKvLocation({ env: { MCPCHAT_DATA_DIR: tmp.dir } });
  const a = await startPlugin<Store>(spec(location, { pid: 111, host: "box-a" }));
  const b = await startPlugin<Store>(spec(location, { pid: 222, host: "box-b" }));
  try {
    const { session } = await a.peer.call("create", {});
    await a.peer.call("append", {
      sessionId: session.id,
      message: { role: "user", content: "hi" },
    });
    await assert.rejects(b.peer.call("open", { ref: session.id }), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.code, "SESSION_BUSY");
      assert.match(e.message, /pid 111 on host box-a/);
      return true;
    });
    const ro = await b.peer.call("open", { ref: session.id, readOnly: true });
    assert.equal(ro.recent.length, 1);
    await a.peer.call("close", { sessionId: session.id });
    const rw = await b.peer.call("open", { ref: session.id });
    assert.equal(rw.readOnly, false);
  } finally {
    await a.stop();
    await b.stop();
  }
});

Deno.test("remote KV: the worker reaches the KV Connect URL with the token, nothing else; errors are clear", async () => {
  const requests: Array<{ path: string; auth: string | null; body: string }> = [];
  await using server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    async (req) => {
      requests.push({
        path: new URL(req.url).pathname,
        auth: req.headers.get("authorization"),
        body: await req.text(),
      });
      return new Response("invalid token", { status: 401 });
    },
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  const location = resolveKvLocation({
    env: { MCPCHAT_KV_URL: url, DENO_KV_ACCESS_TOKEN: "tok-123" },
  });
  assert.deepEqual(storeWorkerPermissions(location), {
    net: [`127.0.0.1:${server.addr.port}`],
    env: ["DENO_KV_ACCESS_TOKEN"],
  });
  // Deno.openKv(url) reads the token from the process environment itself.
  const previous = Deno.env.get("DENO_KV_ACCESS_TOKEN");
  Deno.env.set("DENO_KV_ACCESS_TOKEN", "tok-123");
  try {
    await assert.rejects(startPlugin<Store>(spec(location)), (e: unknown) => {
      assert.ok(e instanceof Error);
      assert.match(
        e.message,
        new RegExp(
          `cannot open the remote session store ${url}/.*401.*check MCPCHAT_KV_URL and DENO_KV_ACCESS_TOKEN`,
        ),
      );
      return true;
    });
  } finally {
    if (previous === undefined) Deno.env.delete("DENO_KV_ACCESS_TOKEN");
    else Deno.env.set("DENO_KV_ACCESS_TOKEN", previous);
  }
  assert.equal(requests.length, 1);
  assert.equal(requests[0].auth, "Bearer tok-123");
  assert.match(requests[0].body, /supportedVersions/);
});

Deno.test("a store worker without write access to the data dir fails to start with STORE_PERMISSION", async () => {
  await using tmp = await tempDir();
  const location = resolveKvLocation({ env: { MCPCHAT_DATA_DIR: `${tmp.dir}/data` } });
  const spec_ = spec(location);
  spec_.permissions = { read: [tmp.dir] }; // write left out: denied under --no-prompt
  await assert.rejects(startPlugin<Store>(spec_), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(
      e.message,
      /cannot open the session store .*sessions\.kv: .*make sure .* is yours and writable/,
    );
    return true;
  });
  // Nothing was created.
  assert.equal(await Deno.stat(`${tmp.dir}/data`).then(() => true, () => false), false);
});
