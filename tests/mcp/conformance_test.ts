import assert from "node:assert/strict";
import { PEERS } from "./helpers.ts";

const CONFORMANCE = `${PEERS}@modelcontextprotocol/conformance/dist/index.js`;
const CLIENT = new URL("./conformance_client.ts", import.meta.url).pathname;

/** Client scenarios that must pass (see docs/mcp.md for the auth ones). */
const SCENARIOS = ["initialize", "tools_call", "elicitation-sep1034-client-defaults", "sse-retry"];

for (const scenario of SCENARIOS) {
  Deno.test(`conformance client scenario: ${scenario}`, async () => {
    const cwd = await Deno.makeTempDir();
    try {
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          CONFORMANCE,
          "client",
          "--command",
          `${Deno.execPath()} run --no-prompt -A ${CLIENT}`,
          "--scenario",
          scenario,
          "--timeout",
          "60000",
        ],
        cwd,
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(120_000),
      }).output();
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.match(text, /OVERALL: PASSED/, text.slice(-2000));
      assert.equal(out.code, 0);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
