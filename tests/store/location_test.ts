import assert from "node:assert/strict";
import {
  KvLocationError,
  type LocalKvLocation,
  resolveKvLocation,
  type ResolveKvLocationOptions,
} from "../../lib/store/mod.ts";

function local(options: ResolveKvLocationOptions): LocalKvLocation {
  const loc = resolveKvLocation(options);
  assert.equal(loc.kind, "local");
  return loc as LocalKvLocation;
}

Deno.test("local location: MCPCHAT_DATA_DIR > session.data_dir > XDG_DATA_HOME > HOME", () => {
  const env = { HOME: "/home/u", XDG_DATA_HOME: "/xdg", MCPCHAT_DATA_DIR: "/env/dir" };
  assert.deepEqual(resolveKvLocation({ env, dataDir: "/cfg" }), {
    kind: "local",
    dir: "/env/dir",
    path: "/env/dir/sessions.kv",
    source: "MCPCHAT_DATA_DIR",
  });
  assert.equal(local({ env: { ...env, MCPCHAT_DATA_DIR: "" }, dataDir: "/cfg" }).dir, "/cfg");
  assert.equal(local({ env: { HOME: "/home/u" }, dataDir: "~/mc" }).dir, "/home/u/mc");
  assert.deepEqual(resolveKvLocation({ env: { HOME: "/home/u", XDG_DATA_HOME: "/xdg" } }), {
    kind: "local",
    dir: "/xdg/mcpchat",
    path: "/xdg/mcpchat/sessions.kv",
    source: "XDG_DATA_HOME",
  });
  // A relative XDG_DATA_HOME is invalid per the XDG spec and ignored.
  assert.equal(
    local({ env: { HOME: "/home/u", XDG_DATA_HOME: "rel" } }).dir,
    "/home/u/.local/share/mcpchat",
  );
  assert.equal(
    local({ env: { LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local", HOME: "/h" }, os: "windows" })
      .source,
    "LOCALAPPDATA",
  );
  assert.equal(local({ env: { MCPCHAT_DATA_DIR: "data" }, cwd: "/work" }).dir, "/work/data");
  assert.throws(
    () => resolveKvLocation({ env: { MCPCHAT_DATA_DIR: "data" } }),
    /MCPCHAT_DATA_DIR must be an absolute path/,
  );
  assert.throws(() => resolveKvLocation({ env: {}, dataDir: "~/x" }), /HOME is not set/);
  assert.throws(() => resolveKvLocation({ env: {} }), KvLocationError);
});

Deno.test("remote location: MCPCHAT_KV_URL selects KV Connect and needs the access token", () => {
  const token = { DENO_KV_ACCESS_TOKEN: "secret" };
  const deploy = "https://api.deno.com/databases/3a1b-44/connect";
  assert.deepEqual(
    resolveKvLocation({ env: { MCPCHAT_KV_URL: deploy, ...token, MCPCHAT_DATA_DIR: "/ignored" } }),
    {
      kind: "remote",
      url: deploy,
      host: "api.deno.com",
      accessTokenEnv: "DENO_KV_ACCESS_TOKEN",
    },
  );
  // Self-hosted denokv on loopback over plain http is fine; the token is not in the result.
  const local = resolveKvLocation({ env: { MCPCHAT_KV_URL: "http://127.0.0.1:4512", ...token } });
  assert.deepEqual(local, {
    kind: "remote",
    url: "http://127.0.0.1:4512/",
    host: "127.0.0.1:4512",
    accessTokenEnv: "DENO_KV_ACCESS_TOKEN",
  });
  assert.ok(!JSON.stringify(local).includes("secret"));

  const fails: Array<[Record<string, string>, RegExp]> = [
    [{ MCPCHAT_KV_URL: deploy }, /DENO_KV_ACCESS_TOKEN is missing/],
    [{ MCPCHAT_KV_URL: deploy, DENO_KV_ACCESS_TOKEN: "  " }, /DENO_KV_ACCESS_TOKEN is missing/],
    [{ MCPCHAT_KV_URL: "not a url", ...token }, /not a valid URL/],
    [
      { MCPCHAT_KV_URL: "file:///tmp/x.kv", ...token },
      /must be an http\(s\) KV Connect URL.*MCPCHAT_DATA_DIR/,
    ],
    [{ MCPCHAT_KV_URL: "ftp://kv.example.com", ...token }, /http\(s\)/],
    [{ MCPCHAT_KV_URL: "https://user:pw@kv.example.com", ...token }, /must not carry credentials/],
    [
      { MCPCHAT_KV_URL: "http://kv.example.com", ...token },
      /plain http.*unencrypted.*MCPCHAT_KV_ALLOW_INSECURE/,
    ],
  ];
  for (const [env, pattern] of fails) {
    assert.throws(() => resolveKvLocation({ env }), (e: unknown) => {
      assert.ok(e instanceof KvLocationError, String(e));
      assert.equal(e.code, "STORE_LOCATION");
      assert.match(e.message, pattern);
      return true;
    });
  }
  assert.equal(
    resolveKvLocation({
      env: { MCPCHAT_KV_URL: "http://kv.lan:4512", MCPCHAT_KV_ALLOW_INSECURE: "1", ...token },
    }).kind,
    "remote",
  );
});
