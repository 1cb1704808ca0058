/**
 * Messages on the `MessagePort` between the `mcp-manager` (which holds the SDK
 * client) and a thin `mcp-server:<name>` transport worker (which owns the
 * process or HTTP connection). Plain structured-clonable data only.
 *
 * Every transport session is numbered by the manager (`s`); the worker tags
 * what it relays with that number so lines from a previous child process can
 * never be mistaken for the current one.
 *
 * @module
 */

import type { OAuthSettings } from "./oauth_settings.ts";
import type { SandboxSummary } from "./sandbox/explain.ts";

/** What the transport worker should connect to. Sent once, in `init`. */
export type TransportSpec =
  | {
    kind: "stdio";
    /** Server name (for messages). */
    name: string;
    command: string;
    args: string[];
    /** Complete child environment (resolved by the host; the worker reads none). */
    env: Record<string, string>;
    cwd?: string;
    /** Milliseconds to wait after closing stdin before SIGTERM, then before SIGKILL. */
    killGraceMs?: number;
    /** Milliseconds after closing stdin before SIGTERM, when not `killGraceMs`. */
    stdinGraceMs?: number;
    /** Characters of stderr kept for error messages. */
    stderrChars?: number;
    /** Set when the process runs in an OS sandbox: what the worker needs to explain a denial. */
    sandbox?: SandboxSummary;
  }
  | {
    kind: "http" | "sse";
    name: string;
    url: string;
    headers?: Record<string, string>;
    oauth?: OAuthSettings;
  };

/** Manager → transport worker. */
export type ToTransport =
  | { t: "start"; s: number }
  | { t: "send"; s: number; m: string }
  | { t: "close"; s: number }
  | { t: "protocol-version"; s: number; v: string };

/** Transport worker → manager. */
export type FromTransport =
  | { t: "started"; s: number; pid?: number; sessionId?: string }
  /** A message: a raw JSON line (stdio) or an already parsed object (HTTP). */
  | { t: "message"; s: number; m: string | Record<string, unknown> }
  /** Several messages, in order (bursts are batched by the worker). */
  | { t: "batch"; s: number; m: (string | Record<string, unknown>)[] }
  /** `id` names the request a failed send carried, so the manager can fail it at once. */
  | { t: "error"; s: number; message: string; code?: string; id?: string | number }
  | { t: "closed"; s: number; reason?: string; code?: string; stderr?: string };

const TO_TRANSPORT: ReadonlySet<unknown> = new Set(["start", "send", "close", "protocol-version"]);
const FROM_TRANSPORT: ReadonlySet<unknown> = new Set([
  "started",
  "message",
  "batch",
  "error",
  "closed",
]);

/**
 * Whether a message that arrived on the port (from the manager's isolate) is
 * a {@linkcode ToTransport}: its tag and session number are checked.
 *
 * @example
 * ```ts
 * import { isToTransport } from "./port_protocol.ts";
 * console.log(isToTransport({ t: "start", s: 1 }), isToTransport({ t: "start" })); // true false
 * ```
 */
export function isToTransport(value: unknown): value is ToTransport {
  return isTagged(value, TO_TRANSPORT);
}

/**
 * Whether a message that arrived on the port (from the transport pool's
 * isolate) is a {@linkcode FromTransport}: its tag and session number are checked.
 *
 * @example
 * ```ts
 * import { isFromTransport } from "./port_protocol.ts";
 * console.log(isFromTransport({ t: "closed", s: 2 }), isFromTransport("x")); // true false
 * ```
 */
export function isFromTransport(value: unknown): value is FromTransport {
  return isTagged(value, FROM_TRANSPORT);
}

function isTagged(value: unknown, tags: ReadonlySet<unknown>): boolean {
  return typeof value === "object" && value !== null && "t" in value && tags.has(value.t) &&
    "s" in value && typeof value.s === "number";
}
