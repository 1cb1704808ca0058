/**
 * What every HTTP request to `mcpchat serve --http` passes before any MCP
 * code sees it: the `Host`/`Origin` allow-list (DNS-rebinding protection),
 * the bearer token, the body cap, a per-client rate limit, and a JSON-RPC
 * shape check. Each refusal is a small JSON-RPC error response that names
 * what to do, never a stack trace.
 *
 * @module
 */

import { concatBytes } from "../util/bytes.ts";
import { type Clock, systemClock } from "../util/clock.ts";

/** Host names that mean "this machine". */
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/**
 * Whether `hostname` is a loopback address (only this machine can reach it).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./guard.ts";
 * console.log(isLoopback("127.0.0.1"), isLoopback("0.0.0.0")); // true false
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return LOOPBACK_NAMES.has(name) || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/** A refusal: HTTP status, JSON-RPC error code and a message for the client. */
export interface Refusal {
  status: number;
  code: number;
  message: string;
  headers?: Record<string, string>;
}

/**
 * The JSON-RPC error response of a refusal (`id: null`: the request was not read).
 *
 * @example
 * ```ts
 * import { refusalResponse } from "./guard.ts";
 * const r = refusalResponse({ status: 403, code: -32000, message: "forbidden" });
 * console.log(r.status); // 403
 * ```
 */
export function refusalResponse(refusal: Refusal): Response {
  return new Response(
    JSON.stringify({
      jsonrpc: "2.0",
      error: { code: refusal.code, message: refusal.message },
      id: null,
    }),
    {
      status: refusal.status,
      headers: { "content-type": "application/json", ...refusal.headers },
    },
  );
}

/** Options of {@linkcode OriginPolicy}. */
export interface OriginPolicyOptions {
  /** The address the server is bound to. */
  hostname: string;
  /** The port it listens on. */
  port: number;
  /** Extra origins allowed (e.g. `https://my-ide.example`), exact match. */
  allowedOrigins?: readonly string[];
}

/**
 * DNS-rebinding protection. On a loopback bind the `Host` header must name
 * this machine (a rebound attacker domain carries its own name there), and a
 * browser `Origin`, when present, must be a loopback origin on this port or
 * one of the configured origins. Off loopback the bearer token is the
 * boundary; `Origin` is still checked.
 *
 * @example
 * ```ts
 * import { OriginPolicy } from "./guard.ts";
 * const policy = new OriginPolicy({ hostname: "127.0.0.1", port: 8931 });
 * console.log(policy.check("evil.example.com", "http://evil.example.com")?.status); // 403
 * console.log(policy.check("127.0.0.1:8931", undefined)); // undefined
 * ```
 */
export class OriginPolicy {
  readonly #loopback: boolean;
  readonly #origins: Set<string>;

  constructor(options: OriginPolicyOptions) {
    this.#loopback = isLoopback(options.hostname);
    const p = options.port;
    this.#origins = new Set([
      `http://localhost:${p}`,
      `http://127.0.0.1:${p}`,
      `http://[::1]:${p}`,
      `https://localhost:${p}`,
      `https://127.0.0.1:${p}`,
      ...(options.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, "").toLowerCase()),
    ]);
  }

  /** The refusal for these headers, or `undefined` when they may pass. */
  check(host: string | null | undefined, origin: string | null | undefined): Refusal | undefined {
    if (this.#loopback) {
      const name = hostOnly(host ?? "");
      if (!isLoopback(name)) {
        return {
          status: 403,
          code: -32000,
          message: "forbidden: this server answers only requests addressed to localhost",
        };
      }
    }
    if (origin && origin !== "null" && !this.#origins.has(origin.toLowerCase())) {
      return {
        status: 403,
        code: -32000,
        message:
          "forbidden: Origin not allowed (add it to mcp_server.allowed_origins to allow a browser client)",
      };
    }
    if (origin === "null") {
      return { status: 403, code: -32000, message: "forbidden: opaque Origin not allowed" };
    }
    return undefined;
  }
}

/** `example.com:80` → `example.com`, `[::1]:80` → `[::1]`. */
function hostOnly(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon >= 0 ? host.slice(0, colon) : host;
}

/**
 * Compares a presented bearer token with the expected one in time that does
 * not depend on where they differ.
 *
 * @example
 * ```ts
 * import { checkBearer } from "./guard.ts";
 * console.log(checkBearer("Bearer s3cret", "s3cret")); // undefined (passes)
 * console.log(checkBearer(null, "s3cret")?.status); // 401
 * ```
 */
export function checkBearer(
  authorization: string | null | undefined,
  token: string | undefined,
): Refusal | undefined {
  if (!token) return undefined;
  const presented = /^Bearer\s+(.+)$/i.exec(authorization ?? "")?.[1]?.trim() ?? "";
  const a = new TextEncoder().encode(presented);
  const b = new TextEncoder().encode(token);
  let diff = a.length ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (a[i] ?? 0) ^ b[i];
  if (diff === 0) return undefined;
  return {
    status: 401,
    code: -32001,
    message: "unauthorized: send the server's token as 'Authorization: Bearer <token>'",
    headers: { "www-authenticate": 'Bearer realm="mcpchat"' },
  };
}

/** The body is larger than the cap. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Reads a request body as text, refusing more than `limit` bytes without
 * reading the rest (a declared `Content-Length` over the cap is refused at once).
 *
 * @throws {BodyTooLargeError}
 *
 * @example
 * ```ts
 * import { readBodyCapped } from "./guard.ts";
 * const text = await readBodyCapped(new Request("http://x/", { method: "POST", body: "{}" }), 10);
 * console.log(text); // "{}"
 * ```
 */
export async function readBodyCapped(request: Request, limit: number): Promise<string> {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw new BodyTooLargeError(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(limit);
    }
    parts.push(value);
  }
  return new TextDecoder().decode(concatBytes(parts));
}

/** The refusal for a body over the cap. */
export function tooLarge(limit: number): Refusal {
  return {
    status: 413,
    code: -32600,
    message: `request body too large (limit ${limit} bytes; raise mcp_server.max_body_bytes)`,
  };
}

/** A JSON-RPC message as far as the shape check goes. */
export interface JsonRpcLike {
  jsonrpc: "2.0";
  method?: string;
  id?: string | number | null;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/**
 * Parses a POST body into JSON-RPC messages (one, or a batch), or says why not.
 *
 * @example
 * ```ts
 * import { parseJsonRpc } from "./guard.ts";
 * console.log(parseJsonRpc("{oops").ok); // false
 * console.log(parseJsonRpc('{"jsonrpc":"2.0","id":1,"method":"ping"}').ok); // true
 * ```
 */
export function parseJsonRpc(
  text: string,
): { ok: true; messages: JsonRpcLike[]; batch: boolean; raw: unknown } | {
  ok: false;
  refusal: Refusal;
} {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      refusal: { status: 400, code: -32700, message: "parse error: the body is not valid JSON" },
    };
  }
  const batch = Array.isArray(raw);
  const list = batch ? raw as unknown[] : [raw];
  const valid = list.length > 0 &&
    list.every((m) =>
      typeof m === "object" && m !== null && !Array.isArray(m) &&
      (m as JsonRpcLike).jsonrpc === "2.0" &&
      (typeof (m as JsonRpcLike).method === "string" ||
        "result" in (m as object) || "error" in (m as object))
    );
  if (!valid) {
    return {
      ok: false,
      refusal: {
        status: 400,
        code: -32600,
        message: 'invalid request: expected a JSON-RPC 2.0 message ({"jsonrpc": "2.0", …})',
      },
    };
  }
  return { ok: true, messages: list as JsonRpcLike[], batch, raw };
}

/** Options of {@linkcode RateLimiter}. */
export interface RateLimitOptions {
  /** Sustained requests per second per client. */
  perSecond: number;
  /** Requests a client may make at once before the rate applies (default 5 s worth, ≥ 20). */
  burst?: number;
  /** Clients remembered at most (the idlest are forgotten first). */
  maxClients?: number;
  clock?: Clock;
}

/**
 * A token bucket per client key (an MCP session, or an address before a
 * session exists).
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./guard.ts";
 * const limiter = new RateLimiter({ perSecond: 1, burst: 2 });
 * console.log(limiter.take("a"), limiter.take("a"), limiter.take("a") !== undefined); // undefined undefined true
 * ```
 */
export class RateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(options: RateLimitOptions) {
    this.#rate = options.perSecond;
    this.#burst = options.burst ?? Math.max(20, options.perSecond * 5);
    this.#max = options.maxClients ?? 10_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Takes one request from `key`'s bucket; the refusal when it is empty. */
  take(key: string): Refusal | undefined {
    if (this.#rate <= 0) return undefined;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(key);
    if (bucket) {
      this.#buckets.delete(key);
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#rate / 1000);
      bucket.at = now;
    } else {
      bucket = { tokens: this.#burst, at: now };
      if (this.#buckets.size >= this.#max) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
    }
    this.#buckets.set(key, bucket); // most recently used last
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    const wait = Math.ceil((1 - bucket.tokens) / this.#rate);
    return {
      status: 429,
      code: -32000,
      message: `too many requests: slow down (limit ${this.#rate}/s per client)`,
      headers: { "retry-after": String(Math.max(1, wait)) },
    };
  }

  /** Forgets a client (its session ended). */
  forget(key: string): void {
    this.#buckets.delete(key);
  }
}

/**
 * Reads a POST body under the size cap and parses it as JSON-RPC: the
 * messages, or the refusal to answer with (413 over the cap, 400 malformed).
 *
 * @example
 * ```ts
 * import { readJsonRpcBody } from "./guard.ts";
 * const body = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
 * const parsed = await readJsonRpcBody(new Request("http://x/", { method: "POST", body }), 10);
 * console.log(parsed.ok ? "parsed" : parsed.refusal.status); // 413
 * ```
 */
export async function readJsonRpcBody(
  request: Request,
  limit: number,
): Promise<ReturnType<typeof parseJsonRpc>> {
  try {
    return parseJsonRpc(await readBodyCapped(request, limit));
  } catch (error) {
    if (error instanceof BodyTooLargeError) return { ok: false, refusal: tooLarge(error.limit) };
    throw error;
  }
}
