/**
 * Finds the hosts an OAuth flow of a remote server will reach, before its
 * transport starts, so the pooled transport worker can be granted exactly
 * those (`net` is fixed when a worker starts): the authorization servers
 * named by the resource's protected-resource metadata (RFC 9728, located the
 * way the SDK does: the `resource_metadata` of a 401's `WWW-Authenticate`,
 * then the path-inserted and root well-known URLs), and the endpoints in
 * their metadata (RFC 8414 / OpenID). Runs on the host (main thread), bounded
 * in time; whatever it cannot find, `oauth.allowed_hosts` still adds.
 *
 * @module
 */

/**
 * Unauthenticated requests whose 401 may point at the metadata: the
 * stream GET, then a `ping` POST (a protected server checks the token
 * before anything else; nothing is initialized).
 */
const probes: RequestInit[] = [
  { headers: { accept: "text/event-stream" } },
  {
    method: "POST",
    headers: { accept: "application/json, text/event-stream", "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: "mcpchat-auth-probe", method: "ping" }),
  },
];

/** How discovery fetches (injected for tests). */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * `host:port` entries (Deno `net` form) for the authorization servers of the
 * resource at `url`. Never throws; an empty list when nothing is found.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { discoverAuthHosts } from "./oauth_discovery.ts";
 * // What the resource and its authorization server publish (fetch is injected).
 * const published: Record<string, unknown> = {
 *   "https://mcp.example.com/.well-known/oauth-protected-resource/mcp": {
 *     authorization_servers: ["https://auth.example.com"],
 *   },
 *   "https://auth.example.com/.well-known/oauth-authorization-server": {
 *     token_endpoint: "https://auth.example.com/token",
 *     registration_endpoint: "https://register.example.com/clients",
 *   },
 * };
 * const fetch = (url: string) =>
 *   Promise.resolve(url in published ? Response.json(published[url]) : new Response(null, { status: 404 }));
 * assert.deepEqual(await discoverAuthHosts("https://mcp.example.com/mcp", { fetch }), [
 *   "auth.example.com:443",
 *   "register.example.com:443",
 * ]);
 * ```
 */
export async function discoverAuthHosts(
  url: string,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<string[]> {
  const fetcher = options.fetch ?? ((u, init) => fetch(u, init));
  const signal = AbortSignal.timeout(options.timeoutMs ?? 5_000);
  const get = async (u: string, init: RequestInit = {}): Promise<Response | undefined> => {
    try {
      return await fetcher(u, { ...init, signal, redirect: "follow" });
    } catch {
      return undefined;
    }
  };
  const json = async (u: string): Promise<Record<string, unknown> | undefined> => {
    const r = await get(u, { headers: { accept: "application/json" } });
    if (!r?.ok) {
      await r?.body?.cancel();
      return undefined;
    }
    try {
      return await r.json() as Record<string, unknown>;
    } catch {
      return undefined;
    }
  };
  const resource = new URL(url);
  // 1. The resource's own pointer, from an unauthenticated request's 401.
  const candidates: string[] = [];
  let header = "";
  for (const init of probes) {
    const probe = await get(url, init);
    await probe?.body?.cancel().catch(() => {});
    if (probe?.status === 401) {
      header = probe.headers.get("www-authenticate") ?? "";
      break;
    }
  }
  const pointer = /resource_metadata="?([^",\s]+)"?/i.exec(header)?.[1];
  if (pointer) candidates.push(new URL(pointer, url).href);
  // 2. The well-known locations (path-inserted, then root).
  const path = resource.pathname.replace(/\/+$/, "");
  if (path) candidates.push(`${resource.origin}/.well-known/oauth-protected-resource${path}`);
  candidates.push(`${resource.origin}/.well-known/oauth-protected-resource`);
  let servers: string[] = [];
  for (const candidate of candidates) {
    const prm = await json(candidate);
    const list = prm?.authorization_servers;
    if (Array.isArray(list) && list.length > 0) {
      servers = list.filter((s): s is string => typeof s === "string");
      break;
    }
  }
  const hosts = new Set<string>();
  const add = (u: unknown) => {
    if (typeof u !== "string") return;
    try {
      const p = new URL(u);
      if (p.protocol !== "https:" && p.protocol !== "http:") return;
      hosts.add(`${p.hostname}:${p.port || (p.protocol === "https:" ? "443" : "80")}`);
    } catch {
      // Not a URL.
    }
  };
  for (const server of servers) {
    add(server);
    const as = new URL(server);
    const asPath = as.pathname.replace(/\/+$/, "");
    const metadataUrls = [
      `${as.origin}/.well-known/oauth-authorization-server${asPath}`,
      `${as.origin}/.well-known/openid-configuration${asPath}`,
      `${as.origin}${asPath}/.well-known/openid-configuration`,
    ];
    for (const m of metadataUrls) {
      const meta = await json(m);
      if (!meta) continue;
      for (const key of ["token_endpoint", "registration_endpoint", "revocation_endpoint"]) {
        add(meta[key]);
      }
      break;
    }
  }
  return [...hosts];
}

/**
 * The first authorization server the resource at `url` names in its
 * protected-resource metadata (the audience of a SEP-990 ID-JAG), or the
 * resource's origin when it names none (the 2025-03-26 convention).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorizationServerOf } from "./oauth_discovery.ts";
 * const fetch = (url: string) =>
 *   Promise.resolve(
 *     url === "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
 *       ? Response.json({ authorization_servers: ["https://auth.example.com"] })
 *       : new Response(null, { status: 404 }),
 *   );
 * assert.equal(
 *   await authorizationServerOf("https://mcp.example.com/mcp", { fetch }),
 *   "https://auth.example.com",
 * );
 * // A resource that names none: its own origin.
 * assert.equal(
 *   await authorizationServerOf("https://other.example.com/mcp", { fetch }),
 *   "https://other.example.com",
 * );
 * ```
 */
export async function authorizationServerOf(
  url: string,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<string> {
  const fetcher = options.fetch ?? ((u, init) => fetch(u, init));
  const resource = new URL(url);
  const path = resource.pathname.replace(/\/+$/, "");
  const candidates = [
    ...(path ? [`${resource.origin}/.well-known/oauth-protected-resource${path}`] : []),
    `${resource.origin}/.well-known/oauth-protected-resource`,
  ];
  for (const candidate of candidates) {
    try {
      const r = await fetcher(candidate, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      if (!r.ok) {
        await r.body?.cancel();
        continue;
      }
      const list = (await r.json() as { authorization_servers?: unknown }).authorization_servers;
      if (Array.isArray(list) && typeof list[0] === "string") return list[0];
    } catch {
      // Try the next location.
    }
  }
  return resource.origin;
}
