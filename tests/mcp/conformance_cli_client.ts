/**
 * Client entry for `@modelcontextprotocol/conformance` client scenarios that
 * drives the REAL CLI process, as a user or a script would:
 * `mcpchat --config FILE --yes servers test conf`, `tools list --json`, and
 * `tools call` for each tool. The runner appends the server URL and sets
 * `MCP_CONFORMANCE_SCENARIO` (and `MCP_CONFORMANCE_CONTEXT` for credentials).
 * OAuth's browser step goes through `$BROWSER`: a fetch that follows the
 * authorization server's redirect to mcpchat's loopback listener.
 *
 * @module
 */

import { cliArgs, isolatedEnv, ROOT } from "../_helpers/cli.ts";

export {};

const url = Deno.args.at(-1);
if (!url) {
  console.error("usage: conformance_cli_client.ts <server-url>");
  Deno.exit(2);
}
const scenario = Deno.env.get("MCP_CONFORMANCE_SCENARIO") ?? "";
const context = JSON.parse(Deno.env.get("MCP_CONFORMANCE_CONTEXT") ?? "{}") as Record<
  string,
  string | undefined
>;
const env = await isolatedEnv({
  BROWSER: `${Deno.execPath()} run --no-prompt -A ${
    new URL("./follow_redirects.ts", import.meta.url).pathname
  }`,
});
const oauth: Record<string, string> = {};
if (scenario.startsWith("auth/")) {
  oauth.redirect_url = "http://localhost:3000/callback";
  if (scenario.startsWith("auth/client-credentials")) oauth.grant = "client_credentials";
  for (const key of ["client_id", "client_secret", "private_key_pem", "signing_algorithm"]) {
    if (context[key]) oauth[key] = context[key]!;
  }
  if (scenario === "auth/basic-cimd") {
    oauth.client_metadata_url = "https://conformance-test.local/client-metadata.json";
  }
}
const config = `${env.HOME}/conformance.json`;
await Deno.writeTextFile(
  config,
  JSON.stringify({
    mcpServers: {
      conf: { type: "http", url, ...(Object.keys(oauth).length ? { oauth } : {}) },
    },
  }),
);

async function mcpchat(args: string[]): Promise<{ code: number; stdout: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: cliArgs(["--config", config, "--yes", ...args]),
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

/**
 * The same at a terminal (util-linux `script` gives it a pty), with a person
 * pressing Enter at every question: an elicitation form keeps its defaults.
 */
async function mcpchatAtTerminal(args: string[]): Promise<number> {
  const quote = (a: string) => `'${a.replaceAll("'", `'\\''`)}'`;
  const command = [Deno.execPath(), ...cliArgs(["--config", config, ...args])].map(quote).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 100));
    await writer.write(new TextEncoder().encode("\r")).catch(() => {});
  }
  await writer.close().catch(() => {});
  return (await child.status).code;
}

let failed = false;
const list = await mcpchat(["tools", "list", "conf", "--json"]);
if (list.code !== 0) failed = true;
else {
  const { tools } = JSON.parse(list.stdout) as {
    tools: { tool: string; inputSchema?: { properties?: Record<string, unknown> } }[];
  };
  for (const tool of tools) {
    const args: Record<string, unknown> = {};
    for (const p of Object.keys(tool.inputSchema?.properties ?? {})) {
      args[p] = p === "a" ? 2 : p === "b" ? 3 : "x";
    }
    const call = ["tools", "call", "conf", tool.tool, JSON.stringify(args)];
    const code = scenario.startsWith("elicitation")
      ? await mcpchatAtTerminal(call)
      : (await mcpchat(call)).code;
    if (code !== 0) console.error(`tool ${tool.tool} exited ${code}`);
  }
}
await Deno.remove(env.HOME, { recursive: true }).catch(() => {});
Deno.exit(failed ? 1 : 0);
