import assert from "node:assert/strict";
import { PEERS } from "./helpers.ts";

const CONFORMANCE = `${PEERS}@modelcontextprotocol/conformance/dist/index.js`;
// The client under test is the real CLI: `mcpchat tools list` and `tools call` in a child process.
const CLIENT = new URL("./conformance_cli_client.ts", import.meta.url).pathname;

/** Every client scenario of conformance 0.1.16 (`conformance list`): all 26 pass through the CLI. */
const SCENARIOS = [
  "initialize",
  "tools_call",
  "elicitation-sep1034-client-defaults",
  "sse-retry",
  "auth/metadata-default",
  "auth/metadata-var1",
  "auth/metadata-var2",
  "auth/metadata-var3",
  "auth/basic-cimd",
  "auth/scope-from-www-authenticate",
  "auth/scope-from-scopes-supported",
  "auth/scope-omitted-when-undefined",
  "auth/scope-step-up",
  "auth/scope-retry-limit",
  "auth/token-endpoint-auth-basic",
  "auth/token-endpoint-auth-post",
  "auth/token-endpoint-auth-none",
  "auth/pre-registration",
  "auth/2025-03-26-oauth-metadata-backcompat",
  "auth/2025-03-26-oauth-endpoint-fallback",
  "auth/resource-mismatch",
  "auth/offline-access-scope",
  "auth/offline-access-not-supported",
  "auth/client-credentials-jwt",
  "auth/client-credentials-basic",
  "auth/cross-app-access-complete-flow",
];

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
      // On failure: the checks that failed and what the CLI said, not the runner's chatter.
      const telling = text.split("\n").filter((l) => !/INFO|SUCCESS/.test(l)).join("\n");
      assert.match(text, /OVERALL: PASSED/, telling.slice(-4000));
      assert.equal(out.code, 0);
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  });
}
