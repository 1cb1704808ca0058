import assert from "node:assert/strict";
import {
  CONFIG_ERROR_EXIT_CODE,
  ConfigError,
  ConfigSyntaxError,
  ConfigValidationError,
  loadConfig,
  validateConfigFile,
} from "../../lib/config/mod.ts";
import { isConfigError } from "../../lib/config/errors.ts";
import { fixture, HOME, memoryFiles } from "./_helpers.ts";

/** Loads `path` and returns the ConfigError it must throw. */
async function failure(path: string, files?: Record<string, string>): Promise<ConfigError> {
  try {
    await loadConfig({ path, env: { HOME }, readTextFile: files ? memoryFiles(files) : undefined });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: `${path} loaded without error` });
}

Deno.test("exit code for config errors is 2", () => {
  assert.equal(CONFIG_ERROR_EXIT_CODE, 2);
});

Deno.test("bad TOML syntax: file:line:column of the bad value, and what was expected", async () => {
  const path = fixture("bad_syntax.toml");
  const e = await failure(path);
  assert.ok(e instanceof ConfigSyntaxError);
  assert.equal(e.code, "CONFIG_TOML_SYNTAX");
  assert.equal(e.file, path);
  assert.equal(e.line, 5);
  assert.equal(e.column, 16);
  assert.equal(e.expected, 'a value; strings need quotes, e.g. "eager"');
  assert.equal(
    e.message,
    `${path}:5:16: TOML syntax error: invalid value (expected a value; strings need quotes, e.g. "eager")`,
  );
});

Deno.test("other TOML syntax errors: broken table header, duplicate key, missing newline, open string", async () => {
  const cases: [string, string][] = [
    [
      "[mcp\nstartup_mode = 1\n",
      "/c.toml:1:5: TOML syntax error: illegal character in key (expected a key of letters, digits, _ and - (or a quoted key))",
    ],
    [
      '[ui]\ncolor = "auto"\ncolor = "never"\n',
      "/c.toml:3:1: TOML syntax error: trying to redefine an already defined table or value (expected each key and table to be defined only once)",
    ],
    [
      '[ui]\ncolor = "auto" markdown = true\n',
      "/c.toml:2:16: TOML syntax error: each key-value declaration must be followed by an end-of-line (expected a new line after the value (one key = value per line))",
    ],
    [
      '[ui]\ncolor = "auto\n',
      '/c.toml:2:14: TOML syntax error: control characters are not allowed in strings (expected a closing quote before the end of the line (use """ for multi-line strings))',
    ],
  ];
  for (const [text, message] of cases) {
    const e = await failure("/c.toml", { "/c.toml": text });
    assert.equal(e.code, "CONFIG_TOML_SYNTAX");
    assert.equal(e.message, message);
  }
});

Deno.test("wrong type: points at the value, says what type was expected and what was found", async () => {
  const path = fixture("wrong_type.toml");
  const e = await failure(path);
  assert.ok(e instanceof ConfigValidationError);
  assert.equal(e.code, "CONFIG_INVALID");
  assert.equal(e.line, 4);
  assert.equal(e.column, 14);
  assert.equal(e.keyPath, "context.max_tokens");
  assert.equal(e.expected, "a number");
  assert.equal(e.message, `${path}:4:14: context.max_tokens: expected a number, got "lots"`);
});

Deno.test("unknown key: points at the key and suggests the right one", async () => {
  const path = fixture("unknown_key.toml");
  const e = await failure(path);
  assert.ok(e instanceof ConfigValidationError);
  assert.equal(e.code, "CONFIG_UNKNOWN_KEY");
  assert.equal(e.line, 6);
  assert.equal(e.column, 1);
  assert.equal(e.issues.length, 1);
  assert.equal(e.issues[0].hint, 'did you mean "startup_mode"?');
  assert.equal(
    e.message,
    `${path}:6:1: mcp.startup_mod: expected a key of [mcp]: startup_mode, servers_file, ` +
      `request_timeout_seconds, roots, reconnect, servers, got unknown key "startup_mod" ` +
      `(did you mean "startup_mode"?)`,
  );
});

Deno.test("unknown keys: sections, nested tables, case and separator variants, inline tables", async () => {
  const text = [
    "[LLM]", // 1
    "[ui]",
    "progress-interval-ms = 5", // 3
    "[mcp.servers.fs]",
    'command = "x"',
    "disabled = true", // 6
    "[mcp.reconnect]",
    "maxAttempts = 2", // 8
    "[notifications]",
    "categories = { progres = false }", // 10
  ].join("\n");
  const e = await failure("/c.toml", { "/c.toml": text });
  assert.ok(e instanceof ConfigValidationError);
  const lines = e.message.split("\n");
  assert.equal(lines.length, 5);
  assert.match(
    lines[0],
    /^\/c\.toml:1:1: LLM: expected a key of the top level: llm, mcp, .*, got unknown key "LLM" \(did you mean "llm"\?\)$/,
  );
  assert.match(
    lines[1],
    /^\/c\.toml:3:1: ui\.progress-interval-ms: .* \(did you mean "progress_interval_ms"\?\)$/,
  );
  assert.match(
    lines[2],
    /^\/c\.toml:6:1: mcp\.servers\.fs\.disabled: .*got unknown key "disabled" \(use enabled = false\)$/,
  );
  assert.match(
    lines[3],
    /^\/c\.toml:8:1: mcp\.reconnect\.maxAttempts: .* \(did you mean "max_attempts"\?\)$/,
  );
  assert.match(
    lines[4],
    /^\/c\.toml:10:16: notifications\.categories\.progres: .* \(did you mean "progress"\?\)$/,
  );
});

Deno.test("mcpServers pasted into TOML gets a pointed hint", async () => {
  const e = await failure("/c.toml", { "/c.toml": '[mcpServers.fs]\ncommand = "npx"\n' });
  assert.match(
    e.message,
    /^\/c\.toml:1:1: mcpServers: .* \(in TOML servers go in \[mcp\.servers\.NAME\] tables; .*\)$/,
  );
});

Deno.test("bad enum value: the example message, exactly", async () => {
  const path = fixture("bad_enum.toml");
  const e = await failure(path);
  assert.equal(e.code, "CONFIG_INVALID");
  assert.equal(e.line, 2);
  assert.equal(e.column, 18);
  assert.equal(e.expected, 'one of "lazy", "eager", "background"');
  assert.equal(
    e.message,
    `${path}:2:18: mcp.startup_mode: expected one of "lazy", "eager", "background", got "soon"`,
  );
});

Deno.test("bad enum close to a valid one suggests it", async () => {
  const e = await failure("/c.toml", { "/c.toml": '[context]\nstrategy = "sliding-window"\n' });
  assert.equal(
    e.message,
    '/c.toml:2:12: context.strategy: expected one of "sliding_window", "smart", got "sliding-window" (did you mean "sliding_window"?)',
  );
});

/** A broken JSON file on disk (kept out of the fixtures: `deno fmt` would "fix" it). */
const BAD_JSON = `{
  "mcpServers": {
    "fs": {
      "command": "npx",
      "args": ["-y", "server",],
    }
  }
}
`;

async function withBadJson(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mcpchat-config-" });
  try {
    const path = `${dir}/bad.json`;
    await Deno.writeTextFile(path, BAD_JSON);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bad JSON: line and column computed from the offset, with the expectation", async () => {
  await withBadJson(async (path) => {
    const e = await failure(path);
    assert.ok(e instanceof ConfigSyntaxError);
    assert.equal(e.code, "CONFIG_JSON_SYNTAX");
    assert.equal(e.file, path);
    assert.equal(e.line, 5);
    assert.equal(e.column, 31);
    assert.equal(e.expected, "a value");
    assert.equal(
      e.message,
      `${path}:5:31: JSON syntax error: unexpected "]" (JSON allows no trailing comma) (expected a value)`,
    );
  });
});

Deno.test("more JSON syntax errors", async () => {
  const cases: [string, string][] = [
    [
      "",
      '/m.json:1:1: JSON syntax error: empty document (expected a JSON object such as {"mcpServers": {}})',
    ],
    [
      "{\n  'mcpServers': {}\n}",
      '/m.json:2:3: JSON syntax error: unexpected "\'" (expected a double-quoted property name)',
    ],
    [
      '{"mcpServers": {"a": {"command": "x"}}',
      '/m.json:1:39: JSON syntax error: unexpected end of file (expected "," or "}")',
    ],
    [
      '{"mcpServers": {}} x',
      '/m.json:1:20: JSON syntax error: unexpected "x" (expected end of file)',
    ],
    [
      '{"a": "line\nbreak"}',
      '/m.json:1:12: JSON syntax error: control character in string (expected a closing " on the same line (or \\n))',
    ],
    [
      '{"a": tru}',
      '/m.json:1:7: JSON syntax error: unexpected "t" (expected a value (an object, array, "string", number, true, false or null))',
    ],
  ];
  for (const [text, message] of cases) {
    const e = await failure("/m.json", { "/m.json": text });
    assert.equal(e.code, "CONFIG_JSON_SYNTAX", text);
    assert.equal(e.message, message);
  }
});

Deno.test("JSON schema errors point into the JSON file with JSON key paths", async () => {
  const text = [
    "{",
    '  "mcpServers": {',
    '    "fs": {"command": "npx", "args": "-y"},',
    '    "web": {"type": "http", "url": "ftp://x"},',
    '    "both": {"command": "x", "url": "https://x"},',
    '    "neither": {},',
    '    "typo": {"comand": "x"}',
    "  }",
    "}",
  ].join("\n");
  const e = await failure("/m.json", { "/m.json": text });
  assert.ok(e instanceof ConfigValidationError);
  assert.deepEqual(e.message.split("\n"), [
    '/m.json:3:38: mcpServers.fs.args: expected an array, got "-y"',
    '/m.json:4:36: mcpServers.web.url: expected an http:// or https:// URL such as "https://example.com/mcp", got "ftp://x"',
    '/m.json:5:25: mcpServers.both.command: expected either "command" (stdio) or "url" (http), not both, got "x"',
    '/m.json:6:16: mcpServers.neither: expected "command" (a stdio server) or "url" (an http/sse server)',
    '/m.json:7:14: mcpServers.typo.comand: expected a server key: type, command, args, env, cwd, url, headers, oauth, startup_mode, enabled, sandbox, got unknown key "comand" (did you mean "command"?)',
  ]);
});

Deno.test("a JSON file without mcpServers says so, suggesting a near miss", async () => {
  const near = await failure("/m.json", { "/m.json": '{\n  "mcpServer": {}\n}' });
  assert.equal(
    near.message,
    '/m.json:2:3: mcpServer: expected a top-level "mcpServers" object (Claude Desktop / Claude Code format), got unknown key "mcpServer" (did you mean "mcpServers"?)',
  );
  const none = await failure("/m.json", { "/m.json": "[1, 2]" });
  assert.equal(
    none.message,
    '/m.json:1:1: expected a JSON object such as {"mcpServers": {"name": {"command": "..."}}}, got an array',
  );
  const notObject = await failure("/m.json", { "/m.json": '{"mcpServers": []}' });
  assert.equal(
    notObject.message,
    "/m.json:1:16: mcpServers: expected an object mapping server names to server definitions, got an array",
  );
});

Deno.test("server table errors in TOML: stdio/remote mix-ups, bad name, missing url", async () => {
  const text = [
    '[mcp.servers."my server"]', // 1
    'command = "x"',
    "[mcp.servers.web]", // 3
    'type = "sse"',
    'args = ["x"]', // 5
    "[mcp.servers.ok]",
    'command = "node"',
    'headers = { A = "b" }', // 8
  ].join("\n");
  const e = await failure("/c.toml", { "/c.toml": text });
  assert.deepEqual(e.message.split("\n"), [
    `/c.toml:1:1: mcp.servers."my server": expected a server name of 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit, got "my server"`,
    '/c.toml:3:1: mcp.servers.web: expected "url" (required for a server of type "sse")',
    '/c.toml:5:8: mcp.servers.web.args: expected no "args" on an http/sse server ("args" is for stdio servers), got an array',
    '/c.toml:8:11: mcp.servers.ok.headers: expected no "headers" on a stdio server (it has a "command"; for a remote server drop "command" and set type = "http" or "sse"), got a table',
  ]);
});

Deno.test("llm errors: unknown default backend with a suggestion; custom backend needs base_url", async () => {
  const e = await failure("/c.toml", { "/c.toml": '[llm]\ndefault = "opnai"\n' });
  assert.equal(
    e.message,
    '/c.toml:2:11: llm.default: expected the name of a backend: "anthropic", "openai", "ollama", "gemini", "bedrock" (or add a [llm.backends.opnai] table), got "opnai" (did you mean "openai"?)',
  );
  const custom = await failure("/c.toml", {
    "/c.toml": '[llm]\ndefault = "groq"\n[llm.backends.groq]\nmodel = "llama"\n',
  });
  assert.equal(
    custom.message,
    '/c.toml:3:1: llm.backends.groq.base_url: expected a base URL such as "https://api.groq.com/openai/v1" (required for an openai-compatible backend) (or set type to one of "anthropic", "openai", "openai-compatible", "ollama", "gemini", "bedrock")',
  );
});

Deno.test("range and integer errors", async () => {
  const text =
    "[llm]\ntemperature = 3\nmax_tokens = 0\n[mcp_server]\nport = 70000\n[health]\nmax_queue = 2.5\n";
  const e = await failure("/c.toml", { "/c.toml": text });
  assert.deepEqual(e.message.split("\n"), [
    "/c.toml:2:15: llm.temperature: expected a number <= 2, got 3",
    "/c.toml:3:14: llm.max_tokens: expected a number > 0, got 0",
    "/c.toml:5:8: mcp_server.port: expected a number <= 65535, got 70000",
    "/c.toml:7:13: health.max_queue: expected an integer, got 2.5 (use a whole number)",
  ]);
});

Deno.test("a string where a table belongs, and quotes hint for a number where a string belongs", async () => {
  const e = await failure("/c.toml", { "/c.toml": 'mcp = "eager"\n[llm]\ndefault = 3\n' });
  assert.deepEqual(e.message.split("\n"), [
    '/c.toml:1:7: mcp: expected a table, got "eager"',
    '/c.toml:3:11: llm.default: expected a string, got 3 (strings need quotes: "3")',
  ]);
});

Deno.test("secrets are never echoed in error messages", async () => {
  const e = await failure("/c.toml", {
    "/c.toml": '[mcp_server]\ntoken = ""\n[llm.backends.openai]\nbase_url = "sk-secret-123"\n',
  });
  assert.ok(!e.message.includes("sk-secret-123"), e.message);
  assert.match(e.message, /got a value \(hidden: it looks like a secret\)/);
});

Deno.test("a bad MCPCHAT_* value names the variable", async () => {
  await assert.rejects(
    () =>
      loadConfig({
        env: { HOME, MCPCHAT_MCP_STARTUP_MODE: "soon", MCPCHAT_CACHE_MAX_BYTES: "lots" },
        readTextFile: memoryFiles({}),
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigValidationError);
      assert.equal(e.code, "CONFIG_ENV");
      assert.equal(e.file, "$MCPCHAT_MCP_STARTUP_MODE");
      assert.equal(e.line, undefined);
      assert.deepEqual(e.message.split("\n"), [
        '$MCPCHAT_MCP_STARTUP_MODE: mcp.startup_mode: expected one of "lazy", "eager", "background", got "soon"',
        '$MCPCHAT_CACHE_MAX_BYTES: cache.max_bytes: expected a number, got "lots"',
      ]);
      return true;
    },
  );
  await assert.rejects(
    () => loadConfig({ env: { HOME, OLLAMA_HOST: "::bad::" }, readTextFile: memoryFiles({}) }),
    {
      message:
        '$OLLAMA_HOST: llm.backends.ollama.base_url: expected an http:// or https:// URL such as "https://example.com/mcp", got "::bad::"',
    },
  );
});

Deno.test("errors carry plain data for the worker boundary, and are recognisable by code", async () => {
  const e = await failure(fixture("bad_enum.toml"));
  const data = structuredClone(e.toJSON());
  assert.equal(data.name, "ConfigValidationError");
  assert.equal(data.code, "CONFIG_INVALID");
  assert.equal(data.line, 2);
  assert.equal(data.issues?.length, 1);
  assert.ok(isConfigError(e));
  assert.ok(isConfigError(Object.assign(new Error("x"), { code: "CONFIG_TOML_SYNTAX" })));
  assert.ok(!isConfigError(Object.assign(new Error("x"), { code: "RPC_TIMEOUT" })));
});

Deno.test("validateConfigFile reports every error without throwing", async () => {
  const bad = await validateConfigFile(fixture("unknown_key.toml"), { env: { HOME } });
  assert.equal(bad.ok, false);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0].line, 6);
  assert.equal(bad.errors[0].code, "CONFIG_UNKNOWN_KEY");
  assert.match(bad.errors[0].message, /unknown_key\.toml:6:1: mcp\.startup_mod: /);
  await withBadJson(async (path) => {
    const syntax = await validateConfigFile(path, { env: { HOME } });
    assert.equal(syntax.ok, false);
    assert.equal(syntax.errors[0].code, "CONFIG_JSON_SYNTAX");
    assert.equal(syntax.errors[0].column, 31);
    assert.match(syntax.errors[0].message, /bad\.json:5:31: JSON syntax error/);
  });
  const good = await validateConfigFile(fixture("full.toml"), { env: { HOME } });
  assert.deepEqual(good, { ok: true, errors: [], warnings: [] });
  const missing = await validateConfigFile("/does/not/exist.toml", { env: { HOME } });
  assert.equal(missing.ok, false);
  assert.equal(missing.errors[0].code, "CONFIG_NOT_FOUND");
});

Deno.test("CRLF files and a BOM: positions are the same as with LF", async () => {
  const crlf = '\ufeff# windows\r\n[mcp]\r\nstartup_mode = "soon"\r\n';
  const e = await failure("/c.toml", { "/c.toml": crlf });
  assert.equal(e.line, 3);
  assert.equal(e.column, 16);
  const json = '{\r\n  "mcpServers": {\r\n    "a": {"command": 1}\r\n  }\r\n}\r\n';
  const j = await failure("/m.json", { "/m.json": json });
  assert.equal(j.message, "/m.json:3:22: mcpServers.a.command: expected a string, got 1");
});
