/**
 * Which tool calls may run without asking: config allow-lists, `--allow-tool`
 * globs, `--yes`, and "always" answers given during a session.
 *
 * @module
 */

/** A tool call awaiting a decision. */
export interface ToolCallRequest {
  /** Namespaced name given to the model (`server__tool`). */
  name: string;
  server: string;
  tool: string;
  arguments: unknown;
}

/** The outcome for one call. */
export type ApprovalDecision = "allow" | "deny";

/** An answer a person can give at the approval prompt. */
export type ApprovalAnswer = "yes" | "no" | "always-tool" | "always-server";

/**
 * Turns a glob (`*` any run of characters, `?` one character) into a
 * whole-string regular expression.
 *
 * @example
 * ```ts
 * import { globToRegExp } from "./approval.ts";
 * globToRegExp("everything__get-*").test("everything__get-sum"); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`);
}

/**
 * The approval policy of a session.
 *
 * @example
 * ```ts
 * import { ApprovalPolicy } from "./approval.ts";
 * const policy = new ApprovalPolicy({ allow: ["memory__*"] });
 * policy.isAllowed({ name: "memory__read_graph", server: "memory", tool: "read_graph", arguments: {} }); // true
 * policy.isAllowed({ name: "fs__write_file", server: "fs", tool: "write_file", arguments: {} }); // false
 * ```
 */
export class ApprovalPolicy {
  #patterns: RegExp[];
  #approveAll: boolean;
  #tools = new Set<string>();
  #servers = new Set<string>();

  constructor(options: { allow?: readonly string[]; approveAll?: boolean } = {}) {
    this.#patterns = (options.allow ?? []).map(globToRegExp);
    this.#approveAll = options.approveAll ?? false;
  }

  /** Whether `call` may run without asking. Globs match `server__tool` or `server.tool`. */
  isAllowed(call: ToolCallRequest): boolean {
    if (this.#approveAll) return true;
    if (this.#tools.has(call.name) || this.#servers.has(call.server)) return true;
    const dotted = `${call.server}.${call.tool}`;
    const joined = `${call.server}__${call.tool}`;
    return this.#patterns.some((p) => p.test(call.name) || p.test(joined) || p.test(dotted));
  }

  /** Records a person's answer; "always" answers allow later calls without asking. */
  remember(call: ToolCallRequest, answer: ApprovalAnswer): ApprovalDecision {
    if (answer === "always-tool") this.#tools.add(call.name);
    if (answer === "always-server") this.#servers.add(call.server);
    return answer === "no" ? "deny" : "allow";
  }
}
