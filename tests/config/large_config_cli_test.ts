/**
 * A 2.5 MB config through the real CLI: parsing it keeps the config worker
 * busy for a while (about a second here, more under load), during which it
 * cannot answer heartbeats; it must not be taken for dead and restarted.
 * The heartbeat is set short (`MCPCHAT_HEALTH_HEARTBEAT_MS=50`, three missed
 * = 150 ms) so the parse outlasts the plain window many times over.
 */
import assert from "node:assert/strict";
import { isolatedEnv, runCli } from "../_helpers/cli.ts";

/** About `bytes` of valid TOML: aliases, then (disabled) servers. */
function largeConfig(dataDir: string, bytes: number): string {
  const lines = [`[session]\ndata_dir = "${dataDir}"\n[aliases]\n`];
  let size = lines[0].length;
  for (let i = 0; size < bytes / 2; i++) {
    const line =
      `a${i} = ["/model gpt-4.1", "/system you are alias number ${i}; answer briefly"]\n`;
    lines.push(line);
    size += line.length;
  }
  for (let i = 0; size < bytes; i++) {
    const block =
      `[mcp.servers.s${i}]\ncommand = "node"\nargs = ["server-${i}.js", "--flag", "value"]\n` +
      `enabled = false\n`;
    lines.push(block);
    size += block.length;
  }
  return lines.join("");
}

Deno.test("a 2.5 MB config loads without the config worker being declared dead mid-parse", async () => {
  const env = await isolatedEnv({
    MCPCHAT_HEALTH_HEARTBEAT_MS: "50",
    MCPCHAT_HEALTH_MISSED_HEARTBEATS: "3",
  });
  const path = `${env.HOME}/config.toml`;
  const text = largeConfig(`${env.HOME}/data`, 2_500_000);
  await Deno.writeTextFile(path, text);
  try {
    const r = await runCli(["config", "validate", path], { env, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /missed \d+ heartbeats|crashed|restarted/);
    assert.ok(text.length >= 2_500_000);
  } finally {
    await Deno.remove(env.HOME, { recursive: true });
  }
});
