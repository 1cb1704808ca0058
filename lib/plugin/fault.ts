/**
 * Test-only fault injection from outside a running mcpchat: the reliability
 * suite sets `MCPCHAT_TEST_FAULT` to make a worker die in the middle of a
 * call, the way a real crash would, in a real CLI process.
 *
 * `MCPCHAT_TEST_FAULT=TARGET@METHOD[#exit][,…]`: the first call of `METHOD`
 * made through the plugin `TARGET` (e.g. `llm@chat`, `store@append`) kills
 * `TARGET`'s worker as soon as the call has started there. The worker that
 * holds the MCP servers' transports, `mcp-transports`, is killed once a call of
 * `METHOD` through `mcp-manager` was sent (e.g. `mcp-transports@callTool`). `#exit` makes the worker vanish silently
 * (found by missed heartbeats) instead of crashing. Each entry fires once.
 * A plugin whose calls to its host are wrapped by {@linkcode withHostFaults}
 * (the `mcp-serve` worker) also dies on the first call of `METHOD` it makes
 * to the host (e.g. `mcp-serve@listSessions`: a client's `list_sessions` is
 * in flight when the server dies).
 *
 * @module
 */

import type { PluginFault } from "./lifecycle.ts";

/** One armed fault. */
export interface ArmedFault {
  target: string;
  method: string;
  fault: PluginFault;
}

/** Finds the running handle of a target, if any (the runtime knows its plugins). */
export type FaultTargetResolver = (
  target: string,
) => { injectFault(fault: PluginFault, method?: string): void } | undefined;

let armed: ArmedFault[] = [];
let resolveTarget: FaultTargetResolver | undefined;

/**
 * Parses `MCPCHAT_TEST_FAULT`.
 *
 * @throws {Error} an entry that is not `TARGET@METHOD[#exit]`
 *
 * @example
 * ```ts
 * import { parseFaults } from "./fault.ts";
 * console.log(parseFaults("llm@chat, mcp-server:fs@callTool#exit"));
 * // [ { target: "llm", method: "chat", fault: "crash" },
 * //   { target: "mcp-server:fs", method: "callTool", fault: "exit" } ]
 * ```
 */
export function parseFaults(spec: string): ArmedFault[] {
  return spec.split(",").map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const match = /^([^@#]+)@([^@#]+)(?:#(crash|exit))?$/.exec(entry);
    if (!match) {
      throw new Error(
        `MCPCHAT_TEST_FAULT: "${entry}" is not TARGET@METHOD or TARGET@METHOD#exit (e.g. llm@chat)`,
      );
    }
    return { target: match[1], method: match[2], fault: match[3] === "exit" ? "exit" : "crash" };
  });
}

/**
 * Arms faults (replacing any armed before) and tells where their targets run.
 *
 * @example
 * ```ts
 * import { armFaults, takeFault } from "./fault.ts";
 * const hits: string[] = [];
 * armFaults("llm@chat", (target) => ({ injectFault: (f) => void hits.push(`${target} ${f}`) }));
 * takeFault("llm", "chat", {});
 * takeFault("llm", "chat", {}); // fires once only
 * console.log(hits); // [ "llm crash" ]
 * armFaults("", undefined);
 * ```
 */
export function armFaults(spec: string, resolver: FaultTargetResolver | undefined): void {
  armed = parseFaults(spec);
  resolveTarget = resolver;
}

/**
 * Called before a call is sent through plugin `via`: fires the first armed
 * fault that matches it. A fault on `via` itself is armed in the worker for
 * this method (it dies once the call has started there); a server's
 * transport worker, which the call reaches through the manager, is killed by
 * the returned function, to run once the call was sent.
 */
export function takeFault(via: string, method: string, params: unknown): (() => void) | undefined {
  if (armed.length === 0) return undefined;
  const server = typeof params === "object" && params !== null && "server" in params
    ? params.server
    : undefined;
  const index = armed.findIndex((f) =>
    f.method === method &&
    (f.target === via ||
      (via === "mcp-manager" &&
        (f.target === "mcp-transports" || f.target === `mcp-server:${server}`)))
  );
  if (index < 0) return undefined;
  // A target not running yet (a server that connects on this very call) keeps the fault armed.
  const target = resolveTarget?.(armed[index].target);
  if (!target) return undefined;
  const [fault] = armed.splice(index, 1);
  if (fault.target === via) {
    target.injectFault(fault.fault, method);
    return undefined;
  }
  return () => target.injectFault(fault.fault);
}

/**
 * Wraps the host handlers of plugin `via` so that an armed `via@METHOD`
 * fault fires when the plugin calls `METHOD` on its host: the worker dies at
 * once, with that call in flight. Without `MCPCHAT_TEST_FAULT` the handlers
 * are returned as they are.
 *
 * @example
 * ```ts
 * import { armFaults, withHostFaults } from "./fault.ts";
 * const hits: string[] = [];
 * armFaults("serve@list", () => ({ injectFault: (f) => void hits.push(f) }));
 * const handlers = withHostFaults("serve", { list: () => [1, 2] });
 * console.log(handlers.list(), hits); // [ 1, 2 ] [ "crash" ]
 * armFaults("", undefined);
 * ```
 */
export function withHostFaults<H extends object>(via: string, handlers: H): H {
  if (armed.length === 0) return handlers;
  const wrapped: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(handlers)) {
    wrapped[method] = typeof fn !== "function" ? fn : (...args: unknown[]) => {
      const index = armed.findIndex((f) => f.target === via && f.method === method);
      const target = index < 0 ? undefined : resolveTarget?.(via);
      if (target) target.injectFault(armed.splice(index, 1)[0].fault);
      return fn.apply(handlers, args);
    };
  }
  return wrapped as H;
}
