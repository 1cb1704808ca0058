/**
 * Bad config input found from outside (issue 19), each through the real CLI
 * process: devices, FIFOs, oversized files, pathological dotted keys,
 * duplicate server names in `mcpServers` JSON.
 */
import assert from "node:assert/strict";
import { isolatedEnv, runCli } from "../_helpers/cli.ts";
import { configServiceFailure } from "../../lib/cli/runtime.ts";

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "mcpchat-badcfg-" });
}

function mkfifo(path: string): void {
  const { success } = new Deno.Command("mkfifo", { args: [path] }).outputSync();
  assert.ok(success, `mkfifo ${path}`);
}

// A bound so a regression shows as a failure instead of a hung run.
const BOUND = { timeoutMs: 45_000 };

Deno.test("config validate /dev/zero is refused at once as a device, not read", async () => {
  const { code, stderr } = await runCli(["config", "validate", "/dev/zero"], BOUND);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    /\/dev\/zero: cannot read config: it is a character device, not a regular file \(expected a regular file\)/,
  );
});

Deno.test("a FIFO as the config file is refused, not waited on", async () => {
  const dir = await tempDir();
  mkfifo(`${dir}/config.toml`);
  const { code, stderr } = await runCli(["config", "validate", `${dir}/config.toml`], BOUND);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /config\.toml: cannot read config: it is a FIFO \(named pipe\)/);
});

Deno.test("a FIFO as mcp.servers_file is refused, naming where it was named", async () => {
  const env = await isolatedEnv();
  const dir = `${env.XDG_CONFIG_HOME}/mcpchat`;
  await Deno.mkdir(dir, { recursive: true });
  mkfifo(`${dir}/servers.json`);
  await Deno.writeTextFile(`${dir}/config.toml`, '[mcp]\nservers_file = "servers.json"\n');
  const validate = await runCli(["config", "validate"], { ...BOUND, env });
  assert.equal(validate.code, 2, validate.stderr);
  assert.match(
    validate.stderr,
    /servers\.json: cannot read config: it is a FIFO \(named pipe\), not a regular file \(expected a regular file, named by mcp\.servers_file at .*config\.toml:2:16\)/,
  );
  // Start-up (which also reads the file on the main thread) fails the same way.
  const list = await runCli(["servers", "list"], { ...BOUND, env });
  assert.equal(list.code, 2, list.stderr);
  assert.match(list.stderr, /servers\.json: cannot read config: it is a FIFO/);
});

Deno.test("a config file over the size cap is refused with its size", async () => {
  const dir = await tempDir();
  const file = `${dir}/huge.toml`;
  await Deno.writeTextFile(file, "# padding\n".repeat(900_000)); // 9 MB of comments
  const { code, stderr } = await runCli(["config", "validate", file], BOUND);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /huge\.toml: cannot read config: it is 8\.6 MiB, over the 8\.0 MiB limit/);
});

Deno.test("a 30,000-part dotted key gets a located error, not a crashed config worker", async () => {
  const dir = await tempDir();
  const file = `${dir}/long.toml`;
  const key = Array.from({ length: 30_000 }, (_, i) => `k${i}`).join(".");
  await Deno.writeTextFile(file, `[mcp]\n${key} = 1\n`);
  const { code, stderr } = await runCli(["config", "validate", file], BOUND);
  assert.equal(code, 2, stderr);
  assert.doesNotMatch(stderr, /crashed|heartbeat/);
  assert.match(stderr, /long\.toml:2:1: mcp\.k0: expected a key of \[mcp\]/);
});

Deno.test("a 2.5 MB config of long dotted keys is checked completely", async () => {
  const dir = await tempDir();
  const file = `${dir}/big.toml`;
  const parts = Array.from({ length: 200 }, (_, j) => `p${j}`).join(".");
  const lines = ["[mcp]"];
  for (let i = 0; lines.length * parts.length < 2_500_000; i++) lines.push(`x${i}.${parts} = 1`);
  await Deno.writeTextFile(file, lines.join("\n") + "\n");
  const { code, stderr } = await runCli(["config", "validate", file], BOUND);
  assert.equal(code, 2, stderr.slice(-500));
  assert.doesNotMatch(stderr, /crashed|heartbeat/);
  const last = lines.length; // the last key is on the last line: every key was located
  assert.match(stderr, new RegExp(`big\\.toml:${last}:1: mcp\\.x${last - 2}: expected a key`));
});

Deno.test("duplicate server names in mcpServers JSON are reported like TOML's, with position", async () => {
  const dir = await tempDir();
  const file = `${dir}/claude.json`;
  await Deno.writeTextFile(
    file,
    '{\n  "mcpServers": {\n    "fs": {"command": "a"},\n    "fs": {"command": "b"}\n  }\n}\n',
  );
  const json = await runCli(["config", "validate", file], BOUND);
  assert.equal(json.code, 2, json.stderr);
  assert.match(
    json.stderr,
    /claude\.json:4:5: mcpServers\.fs: expected each server name once, got "fs" again \(first at line 3, column 5\)/,
  );
  const toml = `${dir}/config.toml`;
  await Deno.writeTextFile(
    toml,
    '[mcp.servers.fs]\ncommand = "a"\n[mcp.servers.fs]\ncommand = "b"\n',
  );
  const same = await runCli(["config", "validate", toml], BOUND);
  assert.equal(same.code, 2, same.stderr);
  assert.match(same.stderr, /config\.toml:3:\d+: TOML syntax error/);
});

Deno.test("a failure of the config service itself names the file it was reading", () => {
  const crashed = Object.assign(
    new Error("config is not available: crashed: missed 3 heartbeats"),
    { code: "PLUGIN_UNAVAILABLE" },
  );
  const e = configServiceFailure(crashed, "/home/ada/.config/mcpchat/config.toml");
  assert.equal(
    e.message,
    "config service failed while reading /home/ada/.config/mcpchat/config.toml: " +
      "config is not available: crashed: missed 3 heartbeats " +
      "(check the file with: mcpchat config validate /home/ada/.config/mcpchat/config.toml)",
  );
  // Config errors already name their file: they pass through as they are.
  const located = Object.assign(new Error("x.toml:1:1: bad"), { code: "CONFIG_INVALID" });
  assert.equal(configServiceFailure(located, "x.toml"), located);
});

Deno.test("adding a server to a config with a 30,000-part key says what to fix, no stack overflow", async () => {
  const env = await isolatedEnv();
  const dir = `${env.XDG_CONFIG_HOME}/mcpchat`;
  await Deno.mkdir(dir, { recursive: true });
  const key = Array.from({ length: 30_000 }, (_, i) => `k${i}`).join(".");
  await Deno.writeTextFile(`${dir}/config.toml`, `[ui]\ncolor = "never"\n[tools]\n${key} = 1\n`);
  // `servers add` and `/mcp import` plan the edit the same way (planServerEdit).
  const { code, stderr } = await runCli(["servers", "add", "fs", "--", "npx", "x"], {
    ...BOUND,
    env,
  });
  assert.equal(code, 2, stderr);
  assert.doesNotMatch(stderr, /call stack/);
  assert.match(
    stderr,
    /config\.toml:4: keys are nested more than 32 levels deep \(tools\.k0\.k1\.k2…\); fix the file first \(mcpchat config validate .*config\.toml\)/,
  );
});
