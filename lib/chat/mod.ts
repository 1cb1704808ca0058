/**
 * The chat engine: the agentic tool loop, tool approval, and the bridges
 * between model messages, stored messages and MCP results.
 *
 * @example
 * ```ts
 * import { ApprovalPolicy } from "./mod.ts";
 * const policy = new ApprovalPolicy({ allow: ["everything__echo"] });
 * console.log(policy.isAllowed({ name: "everything__echo", server: "everything", tool: "echo", arguments: {} }));
 * ```
 *
 * @module
 */

export * from "./agent.ts";
export * from "./approval.ts";
export * from "./convert.ts";
export * from "./sampling.ts";
export * from "./elicitation.ts";
export * from "./context.ts";
export * from "./checkpoint.ts";
export * from "./supervisor.ts";
