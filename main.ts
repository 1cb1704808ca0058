/**
 * mcpchat: a terminal chat client for LLMs that speaks the Model Context
 * Protocol.
 *
 * ```sh
 * deno run --no-prompt -A --unstable-kv --unstable-worker-options main.ts --help
 * ```
 *
 * @module
 */

import { main } from "./lib/cli/main.ts";

export { main };

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
