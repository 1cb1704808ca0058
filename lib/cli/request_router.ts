/**
 * Who answers a sampling or elicitation request from one of mcpchat's MCP
 * servers, when several chats share the servers: the REPL's person, and each
 * MCP client chatting through server mode.
 *
 * The MCP manager takes its host handlers once, from the first command that
 * starts it; so every command of one run hands it the same router
 * ({@linkcode requestRouter}), and the router picks per request. A request
 * names only its server (MCP links it to no call of ours: over stdio nothing
 * says which `tools/call` it belongs to), so a chat *enters* a server for
 * the duration of each tool call it makes there ({@linkcode McpRequestRouter.enter}):
 *
 * - one chat is calling that server: that chat's route answers (a served
 *   chat forwards to its own MCP client);
 * - nobody is: the run's own answer (the REPL's person, or `serve`'s policy);
 * - several chats are: no one may see a request that may be another's, so
 *   a route's `shared` answer (server mode's policy) is used, else the run's.
 *
 * @module
 */

import type { McpHostHandlers } from "./runtime.ts";

/** How one chat answers its servers' requests (a missing kind: the run's own answer). */
export interface RequestRoute extends McpHostHandlers {
  /**
   * What answers when this chat is one of several calling the same server (server mode's
   * policy): then nobody sees a request that may be another's.
   */
  shared?: McpHostHandlers;
}

type Sampling = NonNullable<McpHostHandlers["sampling"]>;
type Elicit = NonNullable<McpHostHandlers["elicit"]>;

/**
 * The routing of one run. The handlers it gives the manager never change;
 * what they call does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { McpRequestRouter } from "./request_router.ts";
 * const answer = (text: string) => () =>
 *   Promise.resolve({ role: "assistant" as const, model: "m", content: { type: "text" as const, text } });
 * const decline = () => Promise.resolve({ action: "decline" as const });
 * const router = new McpRequestRouter();
 * router.fallbackTo({ sampling: answer("the person"), elicit: decline });
 * const handlers = router.handlers();
 * const request = { server: "everything", params: { messages: [], maxTokens: 5 } };
 * const signal = new AbortController().signal;
 * const leave = router.enter("everything", { sampling: answer("client A"), elicit: decline });
 * assert.deepEqual((await handlers.sampling!(request, { signal })).content, { type: "text", text: "client A" });
 * leave();
 * assert.deepEqual((await handlers.sampling!(request, { signal })).content, { type: "text", text: "the person" });
 * ```
 */
export class McpRequestRouter {
  #fallback: McpHostHandlers = {};
  /** Per server, the routes with a call in flight there (and how many calls each). */
  readonly #inFlight = new Map<string, Map<RequestRoute, number>>();

  /**
   * Who answers when no chat is calling the server. `onlyIfUnset`: keep one
   * already given (the REPL's person outranks server mode's policy).
   */
  fallbackTo(handlers: McpHostHandlers, options: { onlyIfUnset?: boolean } = {}): this {
    if (options.onlyIfUnset && (this.#fallback.sampling || this.#fallback.elicit)) return this;
    this.#fallback = handlers;
    return this;
  }

  /** `route` is calling `server` until the returned function is called. */
  enter(server: string, route: RequestRoute): () => void {
    let routes = this.#inFlight.get(server);
    if (!routes) this.#inFlight.set(server, routes = new Map());
    routes.set(route, (routes.get(route) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const count = (routes.get(route) ?? 1) - 1;
      if (count > 0) routes.set(route, count);
      else routes.delete(route);
      if (routes.size === 0 && this.#inFlight.get(server) === routes) this.#inFlight.delete(server);
    };
  }

  /** Who answers `server`'s request now. */
  #answerer(server: string): McpHostHandlers {
    const routes = [...(this.#inFlight.get(server)?.keys() ?? [])];
    if (routes.length === 1) {
      const [route] = routes;
      return {
        sampling: route.sampling ?? this.#fallback.sampling,
        elicit: route.elicit ?? this.#fallback.elicit,
      };
    }
    if (routes.length > 1) return routes.find((r) => r.shared)?.shared ?? this.#fallback;
    return this.#fallback;
  }

  /** The handlers to give the MCP manager (sampling and elicitation are always offered). */
  handlers(): Required<McpHostHandlers> {
    const sampling: Sampling = (request, ctx) => {
      const answer = this.#answerer(request.server).sampling;
      if (!answer) return Promise.reject(new Error("mcpchat cannot answer sampling requests here"));
      return answer(request, ctx);
    };
    const elicit: Elicit = (request, ctx) => {
      const answer = this.#answerer(request.server).elicit;
      return answer ? answer(request, ctx) : Promise.resolve({ action: "decline" });
    };
    return { sampling, elicit };
  }
}

const routers = new WeakMap<object, McpRequestRouter>();

/**
 * The router of one run (keyed by its runtime), made on first use.
 *
 * @example
 * ```ts
 * import { requestRouter } from "./request_router.ts";
 * const runtime = {};
 * console.log(requestRouter(runtime) === requestRouter(runtime)); // true
 * ```
 */
export function requestRouter(runtime: object): McpRequestRouter {
  let router = routers.get(runtime);
  if (!router) routers.set(runtime, router = new McpRequestRouter());
  return router;
}
