/**
 * Client entry for `@modelcontextprotocol/conformance` client scenarios that
 * goes through the real CLI, as a user would: it writes a config for the
 * scenario's server and runs `mcpchat tools list` and `mcpchat tools call`
 * (the elicitation scenario under a pseudo-terminal, answering each question
 * with Enter to take the defaults). OAuth is the user's flow too: mcpchat
 * opens `$BROWSER`, here a headless browser that approves and follows the
 * redirect back to mcpchat's loopback callback.
 *
 * `conformance client --command "deno run --no-prompt -A tests/mcp/conformance_cli_client.ts"`;
 * the runner appends the server URL and sets `MCP_CONFORMANCE_SCENARIO`.
 *
 * @module
 */

import { cliArgs, isolatedEnv, ROOT, runCli } from "../_helpers/cli.ts";

const BROWSER = new URL("../fixtures/mcp/headless_browser.ts", import.meta.url).pathname;

interface ScenarioContext {
  client_id?: string;
  client_secret?: string;
  private_key_pem?: string;
  signing_algorithm?: string;
  /** SEP-990 cross-app access: the identity provider and the user's ID token. */
  idp_client_id?: string;
  idp_id_token?: string;
  idp_token_endpoint?: string;
}

function toml(value: unknown): string {
  return JSON.stringify(value); // strings and arrays of strings: JSON is valid TOML here
}

/** The config for one scenario's server. */
export function scenarioConfig(scenario: string, url: string, context: ScenarioContext): string {
  const lines = ["[mcp.servers.conf]", `type = "http"`, `url = ${toml(url)}`];
  if (scenario.startsWith("auth/")) {
    const oauth: Record<string, string | string[] | undefined> = {
      // No allowed_hosts: the authorization server (another localhost port) is discovered.
      grant: scenario.startsWith("auth/client-credentials")
        ? "client_credentials"
        : scenario.startsWith("auth/cross-app-access")
        ? "cross_app_access"
        : undefined,
      idp_token_endpoint: context.idp_token_endpoint,
      idp_client_id: context.idp_client_id,
      id_token: context.idp_id_token,
      client_id: context.client_id,
      client_secret: context.client_secret,
      private_key_pem: context.private_key_pem,
      signing_algorithm: context.signing_algorithm,
      client_metadata_url: scenario === "auth/basic-cimd"
        ? "https://conformance-test.local/client-metadata.json"
        : undefined,
    };
    lines.push("[mcp.servers.conf.oauth]");
    for (const [key, value] of Object.entries(oauth)) {
      if (value !== undefined) lines.push(`${key} = ${toml(value)}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** Runs `mcpchat ARGS` under a pseudo-terminal, pressing Enter at every question. */
async function runInTerminal(args: string[], env: Record<string, string>): Promise<number> {
  const inner = [Deno.execPath(), ...cliArgs(args)]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qfec", `exec ${inner}`, "/dev/null"],
    cwd: ROOT,
    env: { ...env, TERM: "xterm-256color" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const decoder = new TextDecoder();
  let screen = "";
  const reading = (async () => {
    for await (const chunk of child.stdout) {
      const text = decoder.decode(chunk, { stream: true });
      screen += text;
      // A question ends with ": " and waits: take its default.
      if (/: $/.test(screen)) await writer.write(new TextEncoder().encode("\r"));
    }
  })();
  const status = await child.status;
  await reading;
  await writer.close().catch(() => {});
  console.error(screen);
  return status.code;
}

/** Runs one scenario against `url` through the CLI. */
export async function runScenario(scenario: string, url: string): Promise<void> {
  const context = JSON.parse(Deno.env.get("MCP_CONFORMANCE_CONTEXT") ?? "{}") as ScenarioContext;
  const env = await isolatedEnv({ BROWSER: `${Deno.execPath()} run --no-prompt -A ${BROWSER}` });
  const config = `${env.HOME}/conformance.toml`;
  await Deno.writeTextFile(config, scenarioConfig(scenario, url, context));
  const listed = await runCli(["--config", config, "tools", "list", "conf", "--json"], { env });
  console.error(listed.stderr);
  if (listed.code !== 0) throw new Error(`tools list exited ${listed.code}`);
  const { tools } = JSON.parse(listed.stdout) as {
    tools: { tool: string; inputSchema?: { properties?: Record<string, unknown> } }[];
  };
  for (const tool of tools) {
    const name = tool.tool;
    const args: Record<string, unknown> = {};
    for (const p of Object.keys(tool.inputSchema?.properties ?? {})) {
      args[p] = p === "a" ? 2 : p === "b" ? 3 : "x";
    }
    const call = ["--config", config, "tools", "call", "conf", name, JSON.stringify(args)];
    const code = scenario.includes("elicitation")
      ? await runInTerminal(call, env)
      : await runCli(call, { env }).then((r) => (console.error(r.stderr), r.code));
    if (code !== 0) console.error(`tools call ${name} exited ${code}`);
  }
}

if (import.meta.main) {
  const url = Deno.args.at(-1);
  if (!url) {
    console.error("usage: conformance_cli_client.ts <server-url>");
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
