/**
 * Client entry for `@modelcontextprotocol/conformance` client scenarios:
 * `conformance client --command "deno run --no-prompt -A tests/mcp/conformance_client.ts"`.
 * The runner appends the server URL and sets `MCP_CONFORMANCE_SCENARIO`.
 * Everything goes through mcpchat's own stack: `McpManager` (SDK client) →
 * bridge → thin transport worker narrowed to `net` for the URL's host:port.
 *
 * @module
 */

import { harness } from "./helpers.ts";
import { followRedirectForCode, MemoryOAuthStorage } from "../../lib/mcp/oauth.ts";

/** Runs one scenario against `url`. */
export async function runScenario(scenario: string, url: string): Promise<void> {
  const context = JSON.parse(Deno.env.get("MCP_CONFORMANCE_CONTEXT") ?? "{}") as {
    client_id?: string;
    client_secret?: string;
    private_key_pem?: string;
    signing_algorithm?: string;
  };
  const oauth = scenario.startsWith("auth/")
    ? {
      // No allowed_hosts: the authorization server (on another localhost port) is
      // discovered from the resource's metadata and granted by the host.
      redirect_url: "http://localhost:3000/callback",
      grant: scenario.startsWith("auth/client-credentials")
        ? "client_credentials" as const
        : undefined,
      client_id: context.client_id,
      client_secret: context.client_secret,
      private_key_pem: context.private_key_pem,
      signing_algorithm: context.signing_algorithm,
      client_metadata_url: scenario === "auth/basic-cimd"
        ? "https://conformance-test.local/client-metadata.json"
        : undefined,
    }
    : undefined;
  const h = harness({ conf: { type: "http", url, oauth } }, {
    request_timeout_ms: 20_000,
    host: {
      // Accept with nothing filled in: the client applies the schema's defaults.
      elicit: () => Promise.resolve({ action: "accept", content: {} }),
      sampling: () =>
        Promise.resolve({
          role: "assistant",
          model: "conformance",
          content: { type: "text", text: "ok" },
        }),
    },
  }, {
    oauth: {
      storage: new MemoryOAuthStorage(),
      // Headless: the test authorization server approves without a user.
      authorize: (_server, authUrl) => followRedirectForCode(authUrl),
    },
  });
  try {
    await h.manager.connect("conf");
    const state = h.manager.servers()[0];
    if (state.state.status !== "ready") throw new Error(`not ready: ${state.status}`);
    const { tools } = await h.manager.listTools({ server: "conf" });
    for (const tool of tools) {
      const props = Object.keys(tool.inputSchema.properties ?? {});
      const args: Record<string, unknown> = {};
      for (const p of props) args[p] = p === "a" ? 2 : p === "b" ? 3 : "x";
      await h.manager.callTool({ server: "conf", tool: tool.tool, arguments: args }).catch((e) => {
        console.error(`tool ${tool.tool} failed: ${e.message}`);
      });
    }
    if (scenario === "initialize") await h.manager.ping({ server: "conf" }).catch(() => {});
  } finally {
    await h.close();
  }
}

if (import.meta.main) {
  const url = Deno.args.at(-1);
  if (!url) {
    console.error("usage: conformance_client.ts <server-url>");
    Deno.exit(2);
  }
  const scenario = Deno.env.get("MCP_CONFORMANCE_SCENARIO") ?? "initialize";
  try {
    await runScenario(scenario, url);
    Deno.exit(0);
  } catch (e) {
    console.error(`scenario ${scenario} failed: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
