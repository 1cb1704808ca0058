import assert from "node:assert/strict";
import { isolatedEnv, peersConfig, runCli } from "../_helpers/cli.ts";
import { completionScript } from "../../lib/cli/commands/completions.ts";

Deno.test("doctor on a broken config names the file, line and column and exits 1", async () => {
  const env = await isolatedEnv();
  const file = `${env.HOME}/bad.toml`;
  await Deno.writeTextFile(file, `[mcp]\nstartup_mode = 3\n`);
  const r = await runCli(["--config", file, "doctor"], { env });
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`✗ config: config file .*${file}:2:16`));
  assert.match(r.stdout, /fix: correct the file/);
});

Deno.test("doctor --json reports keys, servers and a missing command", async () => {
  const env = await isolatedEnv({ OPENAI_API_KEY: "sk-test" });
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  peers.mcpServers.ghost = { command: "definitely-not-a-command-xyz" };
  const file = `${env.HOME}/servers.json`;
  await Deno.writeTextFile(file, JSON.stringify(peers));
  const r = await runCli(["--config", file, "-b", "openai", "doctor", "--json"], { env });
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, false);
  const find = (area: string, name: string) =>
    report.checks.filter((c: { area: string; name: string }) => c.area === area && c.name === name);
  assert.equal(find("llm", "openai")[0].status, "ok");
  assert.equal(find("store", "sessions")[0].status, "ok");
  assert.match(find("store", "sessions")[0].detail, /local store at .*sessions\.kv/);
  assert.equal(find("mcp", "everything")[0].status, "ok");
  const ghost = find("mcp", "ghost");
  assert.ok(
    ghost.some((c: { detail: string }) =>
      /command not found: definitely-not-a-command-xyz/.test(c.detail)
    ),
  );
  assert.ok(ghost.every((c: { status: string }) => c.status === "fail"));
});

Deno.test("completion scripts cover commands and subcommands; bash accepts its script", async () => {
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const script = completionScript(shell);
    for (const word of ["tools", "sessions", "export", "output-format"]) {
      assert.ok(script.includes(word), `${shell} script mentions ${word}`);
    }
  }
  const r = await runCli(["completions", "bash"]);
  assert.equal(r.code, 0);
  const check = await new Deno.Command("bash", { args: ["-n"], stdin: "piped" }).spawn();
  const writer = check.stdin.getWriter();
  await writer.write(new TextEncoder().encode(r.stdout));
  await writer.close();
  assert.equal((await check.status).code, 0, "bash -n accepts the script");
  const bad = await runCli(["completions", "tcsh"]);
  assert.equal(bad.code, 2);
});

Deno.test("doctor names a foreign file at the store path and leaves it alone", async () => {
  const env = await isolatedEnv();
  const dir = `${env.XDG_DATA_HOME}/mcpchat`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(`${dir}/sessions.kv`, "my notes, not a database\n");
  const r = await runCli(["doctor", "--json"], { env });
  const store = JSON.parse(r.stdout).checks.find((c: { area: string }) => c.area === "store");
  assert.equal(store.status, "fail");
  assert.match(store.detail, /sessions\.kv/);
  assert.equal(await Deno.readTextFile(`${dir}/sessions.kv`), "my notes, not a database\n");
});
