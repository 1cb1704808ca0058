/**
 * Crash guard for plugin workers. Import it FIRST in every plugin module.
 *
 * Deno gives the main thread only a message string for a worker's uncaught
 * error, nothing at all for `self.close()`, and prints the worker's stack to
 * stderr (which corrupts a TUI). This guard turns uncaught errors and
 * unhandled rejections into a structured `crash` message, suppresses the
 * default report, and closes the worker so it cannot limp on.
 *
 * @example
 * ```ts
 * import "./guard.ts"; // first line of a plugin module
 * ```
 *
 * @module
 */

import { serializeError } from "../rpc/errors.ts";
import { type LifecycleMessage, workerScope } from "./lifecycle.ts";

/** Whether the guard is active in this context (only inside workers). */
export const guardInstalled: boolean = installGuard();

function installGuard(): boolean {
  const scope = workerScope();
  if (!scope) return false;
  const crash = (error: unknown) => {
    try {
      const message: LifecycleMessage = { t: "sys", kind: "crash", error: serializeError(error) };
      scope.postMessage(message);
    } finally {
      scope.close();
    }
  };
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    crash(event.error ?? new Error(event.message));
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    crash(event.reason);
  });
  return true;
}
