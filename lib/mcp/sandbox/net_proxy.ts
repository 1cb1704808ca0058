/**
 * The domain filter of a strict server, the way `@anthropic-ai/sandbox-runtime`
 * does it on Linux: the sandbox has no network of its own (`--unshare-net`);
 * inside it `socat` listens on 127.0.0.1:3128 and forwards to a Unix socket
 * bound in from the host, where this HTTP proxy (CONNECT for HTTPS,
 * absolute-URI requests for plain HTTP) lets through only the listed
 * domains. Clients that honour `HTTP(S)_PROXY` (curl, Python requests/httpx,
 * pip, uv, git, Node ≥ 24 with `NODE_USE_ENV_PROXY=1`) reach them; anything
 * else finds no network at all.
 *
 * @module
 */

import { concatBytes } from "../../util/bytes.ts";

/** The port `socat` listens on inside the sandbox. */
export const SANDBOX_PROXY_PORT = 3128;

/**
 * Whether `host:port` matches a `network` entry (`example.com`,
 * `*.example.com`, `example.com:8080`; without a port, any port).
 *
 * @example
 * ```ts
 * import { domainAllowed } from "./net_proxy.ts";
 * domainAllowed("api.github.com", 443, ["*.github.com"]); // true
 * domainAllowed("github.com", 443, ["*.github.com"]); // false
 * domainAllowed("127.0.0.1", 8080, ["127.0.0.1:8080"]); // true
 * ```
 */
export function domainAllowed(host: string, port: number, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return allowed.some((entry) => {
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.toLowerCase());
    const pattern = m?.[1] ?? "";
    if (m?.[2] !== undefined && Number(m[2]) !== port) return false;
    if (pattern.startsWith("*.")) return h.endsWith(pattern.slice(1));
    return h === pattern;
  });
}

/** A running proxy for one server. */
export interface DomainProxy {
  /** The Unix socket it listens on (bound into the sandbox). */
  socketPath: string;
  /** Hosts it refused, most recent last (for messages). */
  refused: string[];
  /** Stops listening and closes open tunnels. */
  close(): void;
}

/**
 * Starts a filtering proxy on a Unix socket.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startDomainProxy } from "./net_proxy.ts";
 * const dir = await Deno.makeTempDir();
 * const proxy = await startDomainProxy(`${dir}/net-gh.sock`, "gh", ["api.github.com"]);
 * // What a client in the sandbox sends (through socat) for a host not on the list:
 * const conn = await Deno.connect({ transport: "unix", path: proxy.socketPath });
 * await conn.write(new TextEncoder().encode("CONNECT evil.example.com:443 HTTP/1.1\r\n\r\n"));
 * const answer = await new Response(conn.readable).text();
 * assert.match(answer, /^HTTP\/1.1 403/);
 * assert.match(answer, /mcp.servers.gh.sandbox.network = \["evil.example.com"\]/);
 * assert.deepEqual(proxy.refused, ["evil.example.com:443"]);
 * proxy.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startDomainProxy(
  socketPath: string,
  server: string,
  allowed: readonly string[],
): Promise<DomainProxy> {
  await Deno.remove(socketPath).catch(() => {});
  const listener = Deno.listen({ transport: "unix", path: socketPath });
  listener.unref();
  const open = new Set<Deno.Conn>();
  const refused: string[] = [];
  (async () => {
    for await (const conn of listener) {
      open.add(conn);
      void serve(conn, server, allowed, refused).catch(() => {}).finally(() => {
        open.delete(conn);
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      });
    }
  })().catch(() => {});
  return {
    socketPath,
    refused,
    close() {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
      for (const c of open) {
        try {
          c.close();
        } catch {
          // Already closed.
        }
      }
      void Deno.remove(socketPath).catch(() => {});
    },
  };
}

const MAX_HEAD = 64 * 1024;

async function serve(
  conn: Deno.Conn,
  server: string,
  allowed: readonly string[],
  refused: string[],
): Promise<void> {
  const { head, rest } = await readHead(conn);
  const [requestLine, ...headerLines] = head.split("\r\n");
  const [method = "", target = "", version = "HTTP/1.1"] = requestLine.split(" ");
  let host: string;
  let port: number;
  let forward: Uint8Array | undefined;
  if (method.toUpperCase() === "CONNECT") {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    if (!m) return void await reply(conn, 400, "bad CONNECT target");
    host = m[1];
    port = Number(m[2]);
  } else {
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return void await reply(conn, 400, "expected an absolute URL (this is a proxy)");
    }
    if (url.protocol !== "http:") return void await reply(conn, 400, "only http:// here");
    host = url.hostname.replace(/^\[|\]$/g, "");
    port = Number(url.port || 80);
    const line = `${method} ${url.pathname}${url.search} ${version}`;
    const head2 = [line, ...headerLines.filter((h) => !/^proxy-/i.test(h))].join("\r\n") +
      "\r\n\r\n";
    forward = concatBytes([new TextEncoder().encode(head2), rest]);
  }
  if (!domainAllowed(host, port, allowed)) {
    refused.push(`${host}:${port}`);
    if (refused.length > 20) refused.shift();
    return void await reply(
      conn,
      403,
      `mcpchat sandbox: ${host} is not allowed for this server; to allow it set ` +
        `mcp.servers.${server}.sandbox.network = ["${host}"]`,
    );
  }
  let upstream: Deno.TcpConn;
  try {
    upstream = await Deno.connect({ hostname: host, port });
  } catch (error) {
    return void await reply(
      conn,
      502,
      `cannot reach ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    if (forward) await writeAll(upstream, forward);
    else {
      await writeAll(
        conn,
        new TextEncoder().encode(`${version} 200 Connection Established\r\n\r\n`),
      );
      if (rest.length > 0) await writeAll(upstream, rest);
    }
    await Promise.race([
      conn.readable.pipeTo(upstream.writable, { preventClose: false }).catch(() => {}),
      upstream.readable.pipeTo(conn.writable, { preventClose: false }).catch(() => {}),
    ]);
  } finally {
    try {
      upstream.close();
    } catch {
      // Already closed.
    }
  }
}

async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array }> {
  let buf: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(8192);
  while (buf.length < MAX_HEAD) {
    const n = await conn.read(chunk);
    if (n === null) break;
    buf = concatBytes([buf, chunk.subarray(0, n)]);
    const end = indexOfHeadEnd(buf);
    if (end >= 0) {
      return {
        head: new TextDecoder().decode(buf.subarray(0, end)),
        rest: buf.slice(end + 4),
      };
    }
  }
  throw new Error("incomplete request head");
}

function indexOfHeadEnd(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

async function reply(conn: Deno.Conn, status: number, message: string): Promise<void> {
  const text = { 400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway" }[status] ?? "Error";
  const body = message + "\n";
  await writeAll(
    conn,
    new TextEncoder().encode(
      `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\ncontent-length: ${
        new TextEncoder().encode(body).length
      }\r\nconnection: close\r\n\r\n${body}`,
    ),
  ).catch(() => {});
}
