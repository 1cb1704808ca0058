import assert from "node:assert/strict";
import {
  followRedirectForCode,
  McpOAuthProvider,
  MemoryOAuthStorage,
} from "../../lib/mcp/oauth.ts";
import { transportPluginPermissions } from "../../lib/mcp/host_wiring.ts";
import { harness, until } from "./helpers.ts";

Deno.test("oauth provider: state in pluggable storage, per server, invalidation", async () => {
  const storage = new MemoryOAuthStorage();
  const a = new McpOAuthProvider("a", storage, { scope: "read" });
  const b = new McpOAuthProvider("b", storage, {});
  await a.saveTokens({ access_token: "tok-a", token_type: "Bearer" });
  await a.saveClientInformation({ client_id: "cid" });
  await a.saveCodeVerifier("verifier");
  assert.equal((await a.tokens())?.access_token, "tok-a");
  assert.equal(await b.tokens(), undefined, "servers do not share tokens");
  assert.equal(await a.codeVerifier(), "verifier");
  assert.equal(a.clientMetadata.scope, "read");
  assert.deepEqual(a.clientMetadata.redirect_uris, [a.redirectUrl]);
  await a.invalidateCredentials("tokens");
  assert.equal(await a.tokens(), undefined);
  assert.equal((await a.clientInformation())?.client_id, "cid");
  await a.invalidateCredentials("all");
  await assert.rejects(a.codeVerifier(), /no PKCE verifier saved for a/);
  // A pre-registered client wins over storage.
  const pre = new McpOAuthProvider("p", storage, { client_id: "fixed", client_secret: "s" });
  assert.deepEqual(await pre.clientInformation(), { client_id: "fixed", client_secret: "s" });
  assert.equal(pre.clientMetadata.token_endpoint_auth_method, "client_secret_basic");
  a.redirectToAuthorization(new URL("https://auth.example/authorize?x=1"));
  assert.equal(a.pendingAuthorization?.host, "auth.example");
});

Deno.test("oauth: headless redirect following returns the code, or says what went wrong", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/ok") {
      return Response.redirect("http://localhost:1/cb?code=abc&state=s", 302);
    }
    if (u.pathname === "/nocode") {
      return Response.redirect("http://localhost:1/cb?error=denied", 302);
    }
    return new Response("login page", { status: 200 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    assert.deepEqual(await followRedirectForCode(new URL(`${base}/ok`)), { code: "abc" });
    await assert.rejects(followRedirectForCode(new URL(`${base}/nocode`)), /carried no code/);
    await assert.rejects(
      followRedirectForCode(new URL(`${base}/page`)),
      /answered 200 without a redirect/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("oauth: the transport worker may reach only the server and the named auth hosts", () => {
  assert.deepEqual(
    transportPluginPermissions({
      kind: "http",
      name: "x",
      url: "https://mcp.example.com/mcp",
      oauth: { allowed_hosts: ["auth.example.com:443"] },
    }),
    { net: ["mcp.example.com:443", "auth.example.com:443"] },
  );
});

Deno.test("oauth: the loopback redirect step returns the code, checks state, reports refusals and timeouts", async () => {
  const { authorizeInBrowser } = await import("../../lib/mcp/oauth.ts");
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (l.addr as Deno.NetAddr).port;
    l.close();
    return p;
  })();
  const redirectUrl = `http://127.0.0.1:${port}/oauth/callback`;
  const authUrl = new URL("https://auth.example/authorize?client_id=c&state=s123");
  // The "browser": follows the authorization by calling the redirect like a server would.
  const visit = (query: string) => async () => {
    const wrong = await fetch(`${redirectUrl}?code=x&state=other`);
    await wrong.body?.cancel();
    assert.equal(wrong.status, 400, "a foreign state is refused");
    const res = await fetch(`${redirectUrl}?${query}`);
    await res.body?.cancel();
  };
  assert.deepEqual(
    await authorizeInBrowser(authUrl, { redirectUrl, open: visit("code=abc&state=s123") }),
    { code: "abc" },
  );
  await assert.rejects(
    authorizeInBrowser(authUrl, {
      redirectUrl,
      open: visit("error=access_denied&error_description=no&state=s123"),
    }),
    /authorization refused: access_denied: no/,
  );
  await assert.rejects(
    authorizeInBrowser(authUrl, { redirectUrl, open: () => {}, timeoutMs: 50 }),
    /no sign-in within 0 s/,
  );
  await assert.rejects(
    authorizeInBrowser(authUrl, { redirectUrl: "https://example.com/cb", open: () => {} }),
    /must be a loopback http URL/,
  );
});

Deno.test("oauth: two sign-ins at once take turns on the redirect port, the second told why it waits", async () => {
  const { authorizeInBrowser } = await import("../../lib/mcp/oauth.ts");
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const redirectUrl = `http://127.0.0.1:${probe.addr.port}/oauth/callback`;
  probe.close();
  const authUrl = (state: string) =>
    new URL(`https://auth.example/authorize?client_id=c&state=${state}`);
  // The first person signs in slowly; the second sign-in starts meanwhile.
  const firstOpened = Promise.withResolvers<void>();
  const releaseFirst = Promise.withResolvers<void>();
  const comeBack = (state: string) => async () => {
    const res = await fetch(`${redirectUrl}?code=code-${state}&state=${state}`);
    await res.body?.cancel();
  };
  const first = authorizeInBrowser(authUrl("one"), {
    redirectUrl,
    open: async () => {
      firstOpened.resolve();
      await releaseFirst.promise;
      await comeBack("one")();
    },
    timeoutMs: 20_000,
  });
  await firstOpened.promise;
  const told: string[] = [];
  const second = authorizeInBrowser(authUrl("two"), {
    redirectUrl,
    open: comeBack("two"),
    timeoutMs: 20_000,
    onPortBusy: (address) => {
      told.push(address);
      releaseFirst.resolve();
    },
  });
  assert.deepEqual(await first, { code: "code-one" });
  assert.deepEqual(await second, { code: "code-two" });
  assert.deepEqual(told, [`127.0.0.1:${probe.addr.port}`]);
});

Deno.test("oauth: a redirect port held by another program fails the sign-in at its deadline, saying what to do", async () => {
  const { authorizeInBrowser } = await import("../../lib/mcp/oauth.ts");
  using holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const redirectUrl = `http://127.0.0.1:${holder.addr.port}/oauth/callback`;
  await assert.rejects(
    authorizeInBrowser(new URL("https://auth.example/authorize?state=s"), {
      redirectUrl,
      open: () => {},
      timeoutMs: 600,
    }),
    /stayed in use by another program: close it, or set redirect_url/,
  );
});

Deno.test("oauth: a failed sign-in fails the server once; the browser is not reopened on every reconnect", async () => {
  let base = "";
  const server: Deno.HttpServer<Deno.NetAddr> = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, async (req): Promise<Response> => {
    const u = new URL(req.url);
    await req.body?.cancel();
    if (u.pathname === "/mcp") {
      return new Response("sign in", {
        status: 401,
        headers: {
          "www-authenticate":
            `Bearer resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
        },
      });
    }
    if (u.pathname.startsWith("/.well-known/oauth-protected-resource")) {
      return Response.json({ resource: `${base}/mcp`, authorization_servers: [base] });
    }
    if (u.pathname === "/.well-known/oauth-authorization-server") {
      return Response.json({
        issuer: base,
        authorization_endpoint: `${base}/authorize`,
        token_endpoint: `${base}/token`,
        registration_endpoint: `${base}/register`,
        response_types_supported: ["code"],
        code_challenge_methods_supported: ["S256"],
      });
    }
    if (u.pathname === "/register") {
      return Response.json({
        client_id: "c1",
        redirect_uris: ["http://127.0.0.1:8976/callback"],
      }, { status: 201 });
    }
    return new Response("not found", { status: 404 });
  });
  base = `http://127.0.0.1:${server.addr.port}`;
  let browserOpened = 0;
  const url = `${base}/mcp`;
  const h = harness(
    { locked: { type: "http", url, oauth: { redirect_url: "http://127.0.0.1:8976/callback" } } },
    { reconnect: { max_attempts: 5, base_ms: 20, max_ms: 50 } },
    {
      oauth: {
        storage: new MemoryOAuthStorage(),
        authorize: () => {
          browserOpened++;
          return Promise.reject(new Error("the user closed the browser"));
        },
      },
    },
  );
  try {
    await h.manager.connect("locked").catch(() => {});
    await until(() => h.manager.servers()[0].state.status === "failed", 10_000, "failed");
    assert.match(
      h.manager.servers()[0].status,
      /signing in to locked failed: .*closed the browser/,
    );
    // Past the whole backoff schedule: still one sign-in.
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(browserOpened, 1);
    assert.equal(h.manager.servers()[0].state.status, "failed");
  } finally {
    await h.close();
    await server.shutdown();
  }
});
