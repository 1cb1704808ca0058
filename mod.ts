/**
 * mcpchat as a library: the supervisor, the plugin contract and typed RPC
 * its services run on, the agentic tool loop, and
 * the CLI entry.
 *
 * @example
 * ```ts
 * import { Supervisor } from "./mod.ts";
 * const root = new Supervisor({ name: "root", strategy: "one_for_one" });
 * await root.start([]);
 * await root.stop();
 * ```
 *
 * @module
 */

export * from "./lib/supervisor/mod.ts";
export * from "./lib/plugin/mod.ts";
export { type MessageEndpoint, RpcPeer } from "./lib/rpc/mod.ts";
export {
  type AgentDeps,
  type AgentEvent,
  type AgentOptions,
  type AgentResult,
  ApprovalPolicy,
  fitContext,
  runAgentTurn,
} from "./lib/chat/mod.ts";
export { main } from "./lib/cli/main.ts";
export { VERSION } from "./lib/cli/version.ts";
