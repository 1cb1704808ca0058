/**
 * OAuth for HTTP MCP servers, on the SDK's `OAuthClientProvider` interface
 * (discovery, dynamic client registration, PKCE and token refresh are the
 * SDK's). What mcpchat adds: a provider whose state lives in a pluggable
 * {@linkcode OAuthStorage} (the host backs it with the KV store), and an
 * injected `authorize` step (the host opens the browser and catches the
 * redirect; tests follow the redirect headlessly).
 *
 * In the process layout the provider runs inside the server's thin
 * transport worker; storage and authorization are calls to the host.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/client/auth"
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthSettings } from "./oauth_settings.ts";
// Loaded on demand (below); this names its types only.
// @ts-types="@modelcontextprotocol/sdk/client/auth-extensions"
import type * as AuthExtensions from "@modelcontextprotocol/sdk/client/auth-extensions.js";
// @ts-types="@modelcontextprotocol/sdk/shared/auth"
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from "@modelcontextprotocol/sdk/shared/auth.js";

/** Where OAuth state is kept (client registration, tokens, PKCE verifier). */
export interface OAuthStorage {
  /** The value stored under `key`, or `undefined`. */
  get(key: string): Promise<unknown | undefined>;
  /** Stores `value` (structured-clonable) under `key`. */
  set(key: string, value: unknown): Promise<void>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
}

/**
 * Storage in memory (tests, or a session that must not persist tokens).
 *
 * @example
 * ```ts
 * import { MemoryOAuthStorage } from "./oauth.ts";
 * const s = new MemoryOAuthStorage();
 * await s.set("k", 1);
 * await s.get("k"); // 1
 * ```
 */
export class MemoryOAuthStorage implements OAuthStorage {
  readonly #map = new Map<string, unknown>();
  /** The value stored under `key`, or `undefined`. */
  get(key: string): Promise<unknown | undefined> {
    return Promise.resolve(structuredClone(this.#map.get(key)));
  }
  /** Stores a copy of `value` under `key`. */
  set(key: string, value: unknown): Promise<void> {
    this.#map.set(key, structuredClone(value));
    return Promise.resolve();
  }
  /** Removes `key`. */
  delete(key: string): Promise<void> {
    this.#map.delete(key);
    return Promise.resolve();
  }
}

export type { OAuthSettings } from "./oauth_settings.ts";

/** Default loopback redirect (the host's listener). */
export const DEFAULT_REDIRECT_URL = "http://127.0.0.1:8976/oauth/callback";

/**
 * The SDK auth provider with mcpchat's storage. `redirectToAuthorization`
 * only records the URL; the transport session then runs the injected
 * `authorize` step and calls `finishAuth` with the code.
 *
 * @example
 * ```ts
 * import { McpOAuthProvider, MemoryOAuthStorage } from "./oauth.ts";
 * const p = new McpOAuthProvider("remote", new MemoryOAuthStorage(), {});
 * p.clientMetadata.client_name; // "mcpchat"
 * ```
 */
export class McpOAuthProvider implements OAuthClientProvider {
  readonly #server: string;
  readonly #storage: OAuthStorage;
  readonly #settings: OAuthSettings;
  /** The authorization URL the last flow asked for, if any. */
  pendingAuthorization?: URL;
  /** Client ID Metadata Document URL (SEP-991), when configured. */
  clientMetadataUrl?: string;

  /** A provider for `server`, keeping its state in `storage`. */
  constructor(server: string, storage: OAuthStorage, settings: OAuthSettings) {
    this.#server = server;
    this.#storage = storage;
    this.#settings = settings;
    this.clientMetadataUrl = settings.client_metadata_url;
  }

  #key(kind: string): string {
    return `mcp-oauth/${this.#server}/${kind}`;
  }

  /** Where the authorization server sends the user back. */
  get redirectUrl(): string {
    return this.#settings.redirect_url ?? DEFAULT_REDIRECT_URL;
  }

  /** Metadata for dynamic client registration. */
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.#settings.client_name ?? "mcpchat",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: this.#settings.client_secret ? "client_secret_basic" : "none",
      ...(this.#settings.scope ? { scope: this.#settings.scope } : {}),
    };
  }

  /** A fresh `state` parameter per authorization request. */
  state(): string {
    return crypto.randomUUID();
  }

  /** The registered (or pre-registered) client. */
  async clientInformation(): Promise<OAuthClientInformationMixed | undefined> {
    if (this.#settings.client_id) {
      return {
        client_id: this.#settings.client_id,
        ...(this.#settings.client_secret ? { client_secret: this.#settings.client_secret } : {}),
      };
    }
    return (await this.#storage.get(this.#key("client"))) as
      | OAuthClientInformationMixed
      | undefined;
  }

  /** Keeps the client registered dynamically. */
  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    await this.#storage.set(this.#key("client"), info);
  }

  /** The current tokens. */
  async tokens(): Promise<OAuthTokens | undefined> {
    return (await this.#storage.get(this.#key("tokens"))) as OAuthTokens | undefined;
  }

  /** Keeps new tokens (after the code exchange or a refresh). */
  async saveTokens(tokens: OAuthTokens): Promise<void> {
    await this.#storage.set(this.#key("tokens"), tokens);
  }

  /** Records the URL the user must visit; the session asks the host to run that step. */
  redirectToAuthorization(url: URL): void {
    this.pendingAuthorization = url;
  }

  /** Keeps the PKCE verifier until the code comes back. */
  async saveCodeVerifier(verifier: string): Promise<void> {
    await this.#storage.set(this.#key("verifier"), verifier);
  }

  /** The PKCE verifier of the pending authorization. */
  async codeVerifier(): Promise<string> {
    const v = await this.#storage.get(this.#key("verifier"));
    if (typeof v !== "string") {
      throw new Error(`no PKCE verifier saved for ${this.#server}; restart the authorization`);
    }
    return v;
  }

  /** Forgets credentials the server rejected. */
  async invalidateCredentials(
    scope: "all" | "client" | "tokens" | "verifier" | "discovery",
  ): Promise<void> {
    if (scope === "all" || scope === "client") await this.#storage.delete(this.#key("client"));
    if (scope === "all" || scope === "tokens") await this.#storage.delete(this.#key("tokens"));
    if (scope === "all" || scope === "verifier") await this.#storage.delete(this.#key("verifier"));
  }
}

/**
 * Headless authorization: follows the authorization URL without a browser
 * and returns the `code` from the redirect. For servers that approve
 * without user interaction (conformance tests, machine-to-machine setups).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { followRedirectForCode } from "./oauth.ts";
 * // An authorization endpoint that approves at once (fetch is injected).
 * const approve = () =>
 *   Promise.resolve(
 *     new Response(null, {
 *       status: 302,
 *       headers: { location: "http://127.0.0.1:8976/oauth/callback?code=c0de&state=s1" },
 *     }),
 *   );
 * const { code } = await followRedirectForCode(
 *   new URL("https://auth.example.com/authorize?client_id=mcpchat&state=s1"),
 *   approve,
 * );
 * assert.equal(code, "c0de");
 * ```
 */
export async function followRedirectForCode(
  url: URL,
  fetchFn: typeof fetch = fetch,
): Promise<{ code: string }> {
  const res = await fetchFn(url, { redirect: "manual" });
  await res.body?.cancel();
  const location = res.headers.get("location");
  if (!location) {
    throw new Error(`authorization endpoint answered ${res.status} without a redirect`);
  }
  const code = new URL(location, url).searchParams.get("code");
  if (!code) throw new Error(`authorization redirect carried no code: ${location}`);
  return { code };
}

/**
 * The SDK provider for the `client_credentials` grant (SEP-1046):
 * `client_secret_basic` with a secret, `private_key_jwt` with a PEM key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { clientCredentialsProvider } from "./oauth.ts";
 * const provider = await clientCredentialsProvider({
 *   grant: "client_credentials",
 *   client_id: "svc",
 *   client_secret: "s3cret",
 * });
 * assert.equal((await provider.clientInformation())?.client_id, "svc");
 * assert.deepEqual(provider.clientMetadata.grant_types, ["client_credentials"]);
 * ```
 */
export async function clientCredentialsProvider(
  settings: OAuthSettings,
): Promise<OAuthClientProvider> {
  const { ClientCredentialsProvider, PrivateKeyJwtProvider }: typeof AuthExtensions = await import(
    "@modelcontextprotocol/sdk/client/auth-extensions.js"
  );
  if (!settings.client_id) {
    throw new Error('oauth.grant = "client_credentials" needs oauth.client_id');
  }
  if (settings.private_key_pem) {
    return new PrivateKeyJwtProvider({
      clientId: settings.client_id,
      privateKey: settings.private_key_pem,
      algorithm: settings.signing_algorithm ?? "ES256",
      clientName: settings.client_name,
      scope: settings.scope,
    });
  }
  if (!settings.client_secret) {
    throw new Error(
      'oauth.grant = "client_credentials" needs oauth.client_secret or oauth.private_key_pem',
    );
  }
  return new ClientCredentialsProvider({
    clientId: settings.client_id,
    clientSecret: settings.client_secret,
    clientName: settings.client_name,
    scope: settings.scope,
  });
}

/**
 * The provider of SEP-990 cross-app access (enterprise-managed
 * authorization): no browser; the user's ID token from the identity
 * provider is exchanged there for an ID-JAG (RFC 8693 token exchange), which
 * the authorization server takes as a JWT-bearer grant (RFC 7523), the client
 * authenticating with `client_secret_basic`. Tokens stay in memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossAppAccessProvider } from "./oauth.ts";
 * // The resource names its authorization server; the identity provider exchanges the ID
 * // token for an ID-JAG (fetch is injected).
 * const fetch = (url: string | URL | Request) =>
 *   Promise.resolve(
 *     String(url) === "https://idp.example.com/token"
 *       ? Response.json({ access_token: "id-jag-123", token_type: "N_A" })
 *       : String(url).includes("/.well-known/oauth-protected-resource")
 *       ? Response.json({ authorization_servers: ["https://auth.example.com"] })
 *       : new Response(null, { status: 404 }),
 *   );
 * const provider = await crossAppAccessProvider("https://mcp.example.com/mcp", {
 *   grant: "cross_app_access",
 *   client_id: "app",
 *   client_secret: "s3cret",
 *   idp_token_endpoint: "https://idp.example.com/token",
 *   idp_client_id: "app-at-idp",
 *   id_token: "eyJ.id.token",
 * }, { fetch });
 * const request = await provider.prepareTokenRequest!("read");
 * assert.equal(request?.get("grant_type"), "urn:ietf:params:oauth:grant-type:jwt-bearer");
 * assert.equal(request?.get("assertion"), "id-jag-123");
 * ```
 */
export async function crossAppAccessProvider(
  resourceUrl: string,
  settings: OAuthSettings,
  options: { fetch?: typeof fetch } = {},
): Promise<OAuthClientProvider> {
  const missing = ["client_id", "client_secret", "idp_token_endpoint", "id_token"].filter((k) =>
    !settings[k as keyof OAuthSettings]
  );
  if (missing.length) {
    throw new Error(
      `oauth.grant = "cross_app_access" needs ${missing.map((k) => `oauth.${k}`).join(", ")}`,
    );
  }
  const { ClientCredentialsProvider }: typeof AuthExtensions = await import(
    "@modelcontextprotocol/sdk/client/auth-extensions.js"
  );
  const { authorizationServerOf } = await import("./oauth_discovery.ts");
  const doFetch = options.fetch ?? fetch;
  // As the interface: its token request may be async (the SDK awaits it); the class's is not.
  const provider: OAuthClientProvider = new ClientCredentialsProvider({
    clientId: settings.client_id!,
    clientSecret: settings.client_secret!,
    clientName: settings.client_name,
    scope: settings.scope,
  });
  // The grant differs from client_credentials only in the token request.
  provider.clientMetadata.grant_types = [JWT_BEARER];
  provider.prepareTokenRequest = async (scope?: string) => {
    const audience = await authorizationServerOf(resourceUrl, { fetch: doFetch });
    const exchange = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      requested_token_type: "urn:ietf:params:oauth:token-type:id-jag",
      subject_token: settings.id_token!,
      subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
      audience,
      resource: resourceUrl,
      ...(settings.idp_client_id ? { client_id: settings.idp_client_id } : {}),
      ...(scope ? { scope } : {}),
    });
    const response = await doFetch(settings.idp_token_endpoint!, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: exchange,
    });
    const body = await response.json().catch(() => ({})) as {
      access_token?: string;
      error?: string;
      error_description?: string;
    };
    if (!response.ok || !body.access_token) {
      throw new Error(
        `the identity provider refused the token exchange: ${
          body.error_description ?? body.error ?? `HTTP ${response.status}`
        }`,
      );
    }
    const params = new URLSearchParams({ grant_type: JWT_BEARER, assertion: body.access_token });
    if (scope) params.set("scope", scope);
    return params;
  };
  return provider;
}

const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/**
 * The authorization server sent the user back with an error, or nobody came
 * back in time.
 *
 * @example
 * ```ts
 * import { OAuthRedirectError } from "./oauth.ts";
 * console.log(new OAuthRedirectError("access_denied: the user said no").code);
 * ```
 */
export class OAuthRedirectError extends Error {
  /** Stable code. */
  readonly code = "MCP_OAUTH_REDIRECT";
  constructor(message: string) {
    super(message);
    this.name = "OAuthRedirectError";
  }
}

/** Options of {@linkcode authorizeInBrowser}. */
export interface BrowserAuthorizeOptions {
  /** The provider's redirect URL; a loopback `http://127.0.0.1:PORT/path` the host listens on. */
  redirectUrl: string;
  /** Opens the authorization URL for the user (e.g. `xdg-open`, `open`, or print it). */
  open: (url: URL) => void | Promise<void>;
  /** How long to wait for the user (default 5 minutes), the wait for a busy port included. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Told once when the redirect port is taken, before waiting for it: by
   * another sign-in of this mcpchat (a second server) or of another one.
   */
  onPortBusy?: (address: string) => void;
}

/**
 * The authorization-code step for a person: listens on the loopback
 * redirect URL, opens the authorization URL, and resolves with the code the
 * authorization server sends back (checking `state` when the request had
 * one). Runs on the host (it needs `net` for the loopback port).
 *
 * The redirect URL is registered with the authorization server, so its port
 * is fixed; while another sign-in holds it (two servers signing in at once,
 * or two mcpchats), this one waits its turn (`onPortBusy` says so) instead
 * of failing, within the same time limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorizeInBrowser } from "./oauth.ts";
 * // A free loopback port for the redirect (the default is 8976).
 * const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * const redirectUrl = `http://127.0.0.1:${probe.addr.port}/oauth/callback`;
 * probe.close();
 * const authUrl = new URL("https://auth.example.com/authorize?client_id=mcpchat&state=s1");
 * const { code } = await authorizeInBrowser(authUrl, {
 *   redirectUrl,
 *   // A person would sign in in the browser; here the "browser" comes straight back.
 *   open: async (url) => {
 *     const back = await fetch(`${redirectUrl}?code=c0de&state=${url.searchParams.get("state")}`);
 *     await back.body?.cancel();
 *   },
 *   timeoutMs: 10_000,
 * });
 * assert.equal(code, "c0de");
 * ```
 */
export async function authorizeInBrowser(
  authorizationUrl: URL,
  options: BrowserAuthorizeOptions,
): Promise<{ code: string }> {
  const redirect = new URL(options.redirectUrl);
  if (
    redirect.protocol !== "http:" ||
    !["127.0.0.1", "localhost", "[::1]"].includes(redirect.hostname)
  ) {
    throw new OAuthRedirectError(
      `redirect_url must be a loopback http URL (http://127.0.0.1:PORT/…), got ${options.redirectUrl}`,
    );
  }
  const expectedState = authorizationUrl.searchParams.get("state");
  let settle!: { resolve: (v: { code: string }) => void; reject: (e: Error) => void };
  const result = new Promise<{ code: string }>((resolve, reject) => (settle = { resolve, reject }));
  // The answer may come while `open` is still running; it is awaited below.
  result.catch(() => {});
  const page = (text: string, status = 200) =>
    new Response(`<!doctype html><meta charset="utf-8"><title>mcpchat</title><p>${text}</p>`, {
      status,
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const server = await listenForRedirect(redirect, deadline, options, (req) => {
    const url = new URL(req.url);
    if (url.pathname !== redirect.pathname) return page("Not found.", 404);
    const error = url.searchParams.get("error");
    if (error) {
      const detail = url.searchParams.get("error_description");
      settle.reject(
        new OAuthRedirectError(`authorization refused: ${error}${detail ? `: ${detail}` : ""}`),
      );
      return page("Authorization was refused. You can close this tab.");
    }
    const code = url.searchParams.get("code");
    if (!code) return page("No authorization code in this request.", 400);
    if (expectedState !== null && url.searchParams.get("state") !== expectedState) {
      return page("This sign-in link does not belong to the pending authorization.", 400);
    }
    settle.resolve({ code });
    return page("Signed in. You can close this tab and go back to mcpchat.");
  });
  const timer = setTimeout(
    () =>
      settle.reject(new OAuthRedirectError(`no sign-in within ${Math.round(timeoutMs / 1000)} s`)),
    Math.max(0, deadline - Date.now()),
  );
  const onAbort = () => settle.reject(new OAuthRedirectError("sign-in cancelled"));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await options.open(authorizationUrl);
    return await result;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await server.shutdown();
  }
}

/**
 * Listens on the redirect URL's loopback address; while the port is taken,
 * tries again every 250 ms until `deadline` (epoch ms) or the abort.
 */
async function listenForRedirect(
  redirect: URL,
  deadline: number,
  options: Pick<BrowserAuthorizeOptions, "signal" | "onPortBusy">,
  handler: Deno.ServeHandler,
): Promise<Deno.HttpServer> {
  const hostname = redirect.hostname.replace(/^\[|\]$/g, "");
  const port = Number(redirect.port || 80);
  const address = `${redirect.hostname}:${port}`;
  let told = false;
  while (true) {
    try {
      return Deno.serve({ hostname, port, onListen: () => {} }, handler);
    } catch (error) {
      if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    }
    if (options.signal?.aborted) throw new OAuthRedirectError("sign-in cancelled");
    if (Date.now() >= deadline) {
      throw new OAuthRedirectError(
        `the sign-in's redirect address ${address} stayed in use by another program: ` +
          `close it, or set redirect_url in the server's [oauth] table to a free loopback port`,
      );
    }
    if (!told) options.onPortBusy?.(address);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
