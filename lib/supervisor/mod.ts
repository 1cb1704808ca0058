/**
 * OTP-style supervision for mcpchat's services.
 *
 * @example
 * ```ts
 * import { Supervisor } from "./mod.ts";
 * const root = new Supervisor({ name: "root", strategy: "rest_for_one" });
 * root.subscribe((event) => console.error(event.type, event.id));
 * await root.start([]);
 * await root.stop();
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./supervisor.ts";
