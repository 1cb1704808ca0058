import assert from "node:assert/strict";
import { isolatedEnv, peersConfig, PtySession, ROOT, runCli } from "../_helpers/cli.ts";
import { VERSION } from "../../lib/cli/version.ts";
import { parseCommandLine, UsageError } from "../../lib/cli/args.ts";
import { shellWords, TokenizeError } from "../../lib/cli/shell_words.ts";
import { parseToolArguments } from "../../lib/cli/commands/mcp.ts";

Deno.test("VERSION matches deno.json", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.equal(VERSION, denoJson.version);
});

Deno.test("--version prints the version on stdout and exits 0", async () => {
  const { code, stdout, stderr } = await runCli(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout, `mcpchat ${VERSION}\n`);
  assert.equal(stderr, "");
});

Deno.test("--help and help <command> document commands and exit 0", async () => {
  const main = await runCli(["--help"]);
  assert.equal(main.code, 0);
  for (const word of ["tools list|call", "--output-format", "--allow-tool", "Exit codes"]) {
    assert.ok(main.stdout.includes(word), `help mentions ${word}`);
  }
  assert.match(main.stdout, /sessions list\|show\|export\|import\|delete/);
  const tools = await runCli(["help", "tools"]);
  assert.match(tools.stdout, /mcpchat tools call SERVER TOOL/);
  const config = await runCli(["config", "--help"]);
  assert.match(config.stdout, /config validate \[FILE\]/);
});

Deno.test("an unknown flag or command is a usage error: exit 2, message on stderr", async () => {
  const flag = await runCli(["--frobnicate"]);
  assert.equal(flag.code, 2);
  assert.equal(flag.stdout, "");
  assert.match(flag.stderr, /unknown option '--frobnicate'/);
  const command = await runCli(["frobnicate"]);
  assert.equal(command.code, 2);
  assert.match(command.stderr, /unknown command "frobnicate"/);
  assert.match(command.stderr, /-p "frobnicate"/);
  // `help NAME` of no command says so too, instead of the main help and exit 0.
  const help = await runCli(["help", "frob"]);
  assert.equal(help.code, 2);
  assert.equal(help.stdout, "");
  assert.match(help.stderr, /no help on "frob": not a command\ncommands: tools, .*sessions/);
});

Deno.test("parseCommandLine reads global flags, -p prompts and command words", () => {
  const p = parseCommandLine([
    "-p",
    "hello",
    "world",
    "--output-format",
    "json",
    "--allow-tool",
    "a__*",
    "--allow-tool",
    "b__x",
  ]);
  assert.equal(p.options.print, "hello world");
  assert.equal(p.options.outputFormat, "json");
  assert.deepEqual(p.options.allowTool, ["a__*", "b__x"]);
  const c = parseCommandLine(["sessions", "export", "abc", "--format", "markdown"]);
  assert.deepEqual(c.command, ["sessions", "export", "abc"]);
  assert.equal(c.flags.format, "markdown");
  assert.throws(() => parseCommandLine(["--max-turns", "0"]), UsageError);
  assert.throws(() => parseCommandLine(["--output-format", "xml"]), /text, json or stream-json/);
  assert.equal(parseCommandLine(["--no-color"]).options.color, "never");
});

Deno.test("slash-command arguments are tokenized shell-style", () => {
  assert.deepEqual(shellWords(`mcp tool fs read path="/tmp/a b.txt" 'x y' z\\ w`), [
    "mcp",
    "tool",
    "fs",
    "read",
    "path=/tmp/a b.txt",
    "x y",
    "z w",
  ]);
  assert.deepEqual(shellWords(`alias add hi "say \\"hi\\" $1"`), [
    "alias",
    "add",
    "hi",
    `say "hi" $1`,
  ]);
  assert.deepEqual(shellWords(`a '' b`), ["a", "", "b"]);
  assert.throws(() => shellWords(`say "unclosed`), TokenizeError);
});

Deno.test("tool arguments parse as JSON or key=value with JSON values", () => {
  assert.deepEqual(parseToolArguments(["message=hello", "n=3", "on=true", "list=[1,2]"]), {
    message: "hello",
    n: 3,
    on: true,
    list: [1, 2],
  });
  assert.deepEqual(parseToolArguments(['{"a":{"b":1}}']), { a: { b: 1 } });
  assert.throws(() => parseToolArguments(["{bad json"]), /not valid JSON/);
  assert.throws(() => parseToolArguments(["novalue"]), /key=value/);
});

Deno.test("a broken config file: exit 2 and file:line:column on stderr", async () => {
  const env = await isolatedEnv();
  const file = `${env.HOME}/broken.toml`;
  await Deno.writeTextFile(file, `[llm]\ndefault = "anthropic"\n\n[mcp]\nstartup_mode = "soon"\n`);
  const validate = await runCli(["config", "validate", file], { env });
  assert.equal(validate.code, 2);
  assert.match(
    validate.stderr,
    new RegExp(
      `${file}:5:16: mcp.startup_mode: expected one of "lazy", "eager", "background", got "soon"`,
    ),
  );
  const syntax = `${env.HOME}/syntax.toml`;
  await Deno.writeTextFile(syntax, `[llm\ndefault = 1\n`);
  const start = await runCli(["--config", syntax, "config", "show"], { env });
  assert.equal(start.code, 2);
  assert.match(start.stderr, new RegExp(`${syntax}:1:\\d+`));
  const good = `${env.HOME}/good.toml`;
  await Deno.writeTextFile(good, `[mcp]\nstartup_mode = "eager"\n`);
  const ok = await runCli(["config", "validate", good], { env });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${good}: ok\n`);
});

Deno.test("-p with a broken config that names servers: exit 2 and only the config error", async () => {
  // The MCP manager starts beside the config load here; the config error is what is said.
  const env = await isolatedEnv();
  const file = `${env.HOME}/broken.toml`;
  await Deno.writeTextFile(
    file,
    `[mcp.servers.x]\ncommand = "node"\nargs = ["x.js"]\n[mcp]\nstartup_mode = "soon"\n`,
  );
  for (const format of ["text", "json"]) {
    const r = await runCli(["--config", file, "-p", "hi", "--output-format", format], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`${file}:5:16: mcp.startup_mode: expected one of`));
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});

Deno.test("config path follows XDG_CONFIG_HOME; config show works with no file at all", async () => {
  const env = await isolatedEnv();
  const path = await runCli(["config", "path"], { env });
  assert.equal(path.code, 0, path.stderr);
  assert.equal(path.stdout, `${env.XDG_CONFIG_HOME}/mcpchat/config.toml\n`);
  const show = await runCli(["config", "show"], { env });
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /startup_mode/);
});

Deno.test("tools list/call against a real server-everything over stdio", async () => {
  const config = await peersConfig(["everything"]);
  const list = await runCli(["--config", config, "tools", "list", "--json"]);
  assert.equal(list.code, 0, list.stderr);
  const { tools } = JSON.parse(list.stdout);
  const echo = tools.find((t: { tool: string }) => t.tool === "echo");
  assert.equal(echo.name, "everything__echo");
  const call = await runCli([
    "--config",
    config,
    "tools",
    "call",
    "everything",
    "echo",
    "message=hi there",
  ]);
  assert.equal(call.code, 0, call.stderr);
  assert.equal(call.stdout, "Echo: hi there\n");
  const sum = await runCli([
    "--config",
    config,
    "tools",
    "call",
    "everything",
    "get-sum",
    '{"a": 2, "b": 40}',
    "--json",
  ]);
  assert.equal(sum.code, 0, sum.stderr);
  assert.match(JSON.parse(sum.stdout).content[0].text, /42/);
  const bad = await runCli(["--config", config, "tools", "call", "everything"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /missing TOOL/);
});

Deno.test("with no MCP servers, MCP commands say how to add one, and that command works", async () => {
  const env = await isolatedEnv();
  const { code, stderr } = await runCli(["tools", "list"], { env });
  assert.equal(code, 2);
  assert.match(stderr, /no MCP servers are configured; add one with mcpchat servers add NAME -- /);
  assert.match(
    stderr,
    /mcpchat servers add everything -- npx -y @modelcontextprotocol\/server-everything/,
  );
  // The suggestion as typed (node and the installed peer instead of npx: no download in tests).
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  const entry = peers.mcpServers.everything.args[0];
  const add = await runCli(["servers", "add", "everything", "--", "node", entry], { env });
  assert.equal(add.code, 0, add.stderr);
  const call = await runCli(["tools", "call", "everything", "echo", "message=hello"], { env });
  assert.equal(call.code, 0, call.stderr);
  assert.equal(call.stdout, "Echo: hello\n");
});

Deno.test("an unknown subcommand is named in the error (exit 2)", async () => {
  for (const [command, known] of [["tools", "list, call"], ["resources", "list, read"]]) {
    const r = await runCli([command, "frob"]);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, new RegExp(`unknown ${command} command "frob" \\(${known}\\)`));
  }
  const missing = await runCli(["prompts"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /prompts needs a command: list, get/);
});

Deno.test("servers test NAME reports why a server failed, without telling the user to run it", async () => {
  const env = await isolatedEnv();
  const add = await runCli(["servers", "add", "broken", "--", "mcpchat-no-such-command"], { env });
  assert.equal(add.code, 0, add.stderr);
  const r = await runCli(["servers", "test", "broken"], { env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /FAIL\s+broken\s+.*command not found: mcpchat-no-such-command/);
  assert.doesNotMatch(r.stdout + r.stderr, /servers test/);
  // On a terminal, the seconds of retries (a server that starts, then exits) are said.
  const exits = await runCli(["servers", "add", "exits", "--", "sh", "-c", "exit 1"], { env });
  assert.equal(exits.code, 0, exits.stderr);
  const pty = await PtySession.start(["servers", "test", "exits"], { env });
  await pty.waitFor("testing exits…");
  await pty.waitFor(/FAIL\s+exits\s+.*exited with code 1/);
  assert.equal((await pty.exited).code, 1);
});

Deno.test("a server name the config lacks is a usage error (exit 2) that lists the configured ones", async () => {
  const env = await isolatedEnv();
  const add = await runCli(["servers", "add", "broken", "--", "mcpchat-no-such-command"], { env });
  assert.equal(add.code, 0, add.stderr);
  for (
    const args of [["servers", "test", "nope"], ["tools", "list", "nope"], [
      "tools",
      "call",
      "nope",
      "x",
    ]]
  ) {
    const r = await runCli(args, { env });
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /no (MCP )?server named "nope" \(configured: broken\)/, args.join(" "));
  }
  const json = await runCli(["resources", "list", "nope", "--json"], { env });
  assert.equal(json.code, 2);
  assert.equal(JSON.parse(json.stderr).error.exit_code, 2);
});

Deno.test("the REPL starts, answers /help, survives Ctrl-C and exits on /exit (real pty)", async () => {
  const pty = await PtySession.start([]);
  try {
    await pty.waitFor("no model yet: set ANTHROPIC_API_KEY");
    await pty.waitFor("Type /help");
    let mark = await pty.waitFor("› ");
    await pty.type("/help\r");
    mark = await pty.waitFor("/exit", mark);
    await pty.waitFor("Ctrl-C cancel", mark);
    await pty.type("\x03");
    mark = await pty.waitFor("press Ctrl-C again to quit, or Ctrl-D", mark);
    await pty.type("hello model\r");
    mark = await pty.waitFor("no model configured", mark);
    await pty.waitFor("ANTHROPIC_API_KEY", mark);
    await pty.type("/exit\r");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});

Deno.test("Ctrl-D at the prompt exits cleanly (real pty)", async () => {
  const pty = await PtySession.start([]);
  try {
    await pty.waitFor("› ");
    await pty.type("\x04");
  } finally {
    const status = await pty.close();
    assert.equal(status.code, 0, pty.output);
  }
});

Deno.test("alias expansion fills $1…$9 and $*, quoting only inside slash commands", async () => {
  const { expandAlias } = await import("../../lib/cli/repl.ts");
  assert.deepEqual(
    expandAlias(["/mcp tool fs read_file path=$1", "summarise $* please", "$3|$2"], [
      "a b.txt",
      "x",
    ]),
    ["/mcp tool fs read_file path='a b.txt'", "summarise a b.txt x please", "|x"],
  );
  assert.deepEqual(shellWords(expandAlias(["/t say=$1"], ["it's"])[0]), ["/t", "say=it's"]);
});

Deno.test("a server's refusal is said once: prompts get and resources read of a name it lacks", async () => {
  const config = await peersConfig(["everything"]);
  const prompt = await runCli(["--config", config, "prompts", "get", "everything", "nosuch"]);
  assert.equal(prompt.code, 1, prompt.stderr);
  assert.match(prompt.stderr, /prompts\/get failed: MCP error -32602: Prompt nosuch not found/);
  const read = await runCli(["--config", config, "resources", "read", "everything", "nosuch://x"]);
  assert.equal(read.code, 1, read.stderr);
  assert.match(
    read.stderr,
    /resources\/read failed: MCP error -32602: Resource nosuch:\/\/x not found/,
  );
});

Deno.test("a server that exits before reading: servers test gives its exit code and stderr, not 'Broken pipe'", async () => {
  const env = await isolatedEnv();
  // Closes its stdin at once (the first write fails), says why on stderr, then exits. Outside
  // the sandbox nothing else holds the pipe; one attempt, so its reason is the one shown.
  const script = 'exec 0<&-; echo "fatal: MY_TOKEN is not set" >&2; sleep 0.3; exit 3';
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[mcp.reconnect]\nmax_attempts = 0\n[mcp.servers.early]\ncommand = "sh"\nsandbox = false\n` +
      `args = ["-c", ${JSON.stringify(script)}]\n`,
  );
  const r = await runCli(["--config", config, "servers", "test", "early"], { env });
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /FAIL\s+early\s+.*\(failed: process exited with code 3; stderr: fatal: MY_TOKEN is not set/,
  );
  assert.doesNotMatch(r.stdout, /Broken pipe|gave up after 0/);
});

Deno.test("servers add of a name already there says how to go on (TOML and mcpServers JSON)", async () => {
  const env = await isolatedEnv();
  const first = await runCli(["servers", "add", "fs", "--", "npx", "x"], { env });
  assert.equal(first.code, 0, first.stderr);
  const again = await runCli(["servers", "add", "fs", "--", "npx", "y"], { env });
  assert.equal(again.code, 2);
  assert.match(
    again.stderr,
    /config\.toml:1: a server named "fs" already exists; give this one another name, or remove that one first \(mcpchat servers remove fs\)/,
  );
  const json = `${env.HOME}/mcp.json`;
  await Deno.writeTextFile(json, JSON.stringify({ mcpServers: { fs: { command: "npx" } } }));
  const inJson = await runCli(["--config", json, "servers", "add", "fs", "--", "npx"], { env });
  assert.equal(inJson.code, 2);
  assert.match(inJson.stderr, /already exists; .*\(mcpchat servers remove fs\)/);
});
