import assert from "node:assert/strict";
import { dirname } from "node:path";
import {
  ConfigReadError,
  ConfigSchema,
  loadConfig,
  type StdioServerConfig,
} from "../../lib/config/mod.ts";
import { DEFAULT_PATH, fixture, HOME, memoryFiles } from "./_helpers.ts";

const noFiles = memoryFiles({});

Deno.test("no config file at all: a complete default config, no sources, no warnings", async () => {
  const { config, sources, warnings, serverOrigins } = await loadConfig({
    env: { HOME },
    readTextFile: noFiles,
  });
  assert.deepEqual(sources, []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(serverOrigins, {});
  assert.equal(config.llm.default, "anthropic");
  assert.equal(config.llm.max_tokens, 4096);
  assert.equal(config.llm.temperature, undefined);
  assert.deepEqual(Object.keys(config.llm.backends), [
    "anthropic",
    "openai",
    "ollama",
    "gemini",
    "bedrock",
  ]);
  assert.deepEqual(config.llm.backends.openai, {
    type: "openai",
    model: "gpt-4.1",
    api_key_env: "OPENAI_API_KEY",
    configured: false,
    missing: "set OPENAI_API_KEY",
  });
  assert.deepEqual(config.llm.breaker, {
    failure_threshold: 3,
    reset_seconds: 60,
    half_open_successes: 1,
  });
  assert.deepEqual(config.llm.retry, { max_attempts: 3, base_ms: 500, max_ms: 20_000 });
  assert.deepEqual(config.mcp, {
    startup_mode: "lazy",
    request_timeout_seconds: 60,
    roots: ["."],
    reconnect: { max_attempts: 5, base_ms: 500, max_ms: 30_000 },
    servers: {},
  });
  assert.deepEqual(config.mcp_server, {
    stdio_enabled: false,
    http_enabled: false,
    host: "127.0.0.1",
    port: 8931,
    allow_tools: [],
    allowed_origins: [],
    max_body_bytes: 4 * 1024 * 1024,
    rate_limit_per_second: 50,
  });
  assert.deepEqual(config.ui, {
    color: "auto",
    markdown: true,
    progress_interval_ms: 100,
    cache_refresh_ms: 1000,
  });
  assert.deepEqual(config.context, {
    strategy: "sliding_window",
    max_tokens: 100_000,
    reserve_tokens: 4096,
  });
  assert.deepEqual(config.session, {
    data_dir: "/home/ada/.local/share/mcpchat",
    autosave: true,
    page_size: 200,
  });
  assert.deepEqual(config.aliases, {});
  assert.equal(config.notifications.history_size, 1000);
  assert.ok(Object.values(config.notifications.categories).every((on) => on === true));
  assert.deepEqual(config.cache, { max_entries: 500, max_bytes: 52_428_800 });
  assert.deepEqual(config.health, {
    heartbeat_ms: 2000,
    missed_heartbeats: 3,
    max_heap_mb: 100,
    max_queue: 1000,
  });
  assert.deepEqual(config.telemetry, { enabled: false });
  assert.deepEqual(config.tools, { allow: [] });
});

Deno.test("the schema alone turns {} into the same defaults", async () => {
  const parsed = ConfigSchema.parse({});
  const { config } = await loadConfig({ env: { HOME }, readTextFile: noFiles });
  assert.deepEqual(Object.keys(parsed), Object.keys(config));
  assert.deepEqual(parsed.mcp, config.mcp);
  assert.equal(parsed.session.data_dir, ""); // resolved by the loader
});

Deno.test("an empty file is the same as no file, and is listed as a source", async () => {
  const { config, sources } = await loadConfig({
    env: { HOME },
    readTextFile: memoryFiles({ [DEFAULT_PATH]: "# nothing here\n" }),
  });
  const defaults = await loadConfig({ env: { HOME }, readTextFile: noFiles });
  assert.deepEqual(config, defaults.config);
  assert.deepEqual(sources, [DEFAULT_PATH]);
});

Deno.test("the default file honours XDG_CONFIG_HOME", async () => {
  const { config, sources } = await loadConfig({
    env: { HOME, XDG_CONFIG_HOME: "/xdg" },
    readTextFile: memoryFiles({ "/xdg/mcpchat/config.toml": '[ui]\ncolor = "never"\n' }),
  });
  assert.equal(config.ui.color, "never");
  assert.deepEqual(sources, ["/xdg/mcpchat/config.toml"]);
});

Deno.test("an explicit --config file that does not exist is an error; MCPCHAT_CONFIG names one too", async () => {
  await assert.rejects(
    () => loadConfig({ path: "/nope/x.toml", env: { HOME }, readTextFile: noFiles }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigReadError);
      assert.equal(e.code, "CONFIG_NOT_FOUND");
      assert.equal(e.file, "/nope/x.toml");
      assert.equal(
        e.message,
        "/nope/x.toml: cannot read config: no such file (expected an existing file)",
      );
      return true;
    },
  );
  const { config, sources } = await loadConfig({
    env: { HOME, MCPCHAT_CONFIG: "/etc/mcpchat.toml" },
    readTextFile: memoryFiles({ "/etc/mcpchat.toml": "[telemetry]\nenabled = true\n" }),
  });
  assert.equal(config.telemetry.enabled, true);
  assert.deepEqual(sources, ["/etc/mcpchat.toml"]);
});

Deno.test("a directory given as the config file is a read error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(() => loadConfig({ path: dir, env: { HOME } }), (e: unknown) => {
      assert.ok(e instanceof ConfigReadError);
      assert.ok(e.code === "CONFIG_READ" || e.code === "CONFIG_PERMISSION", e.code);
      assert.ok(e.message.startsWith(`${dir}: cannot read config: `));
      return true;
    });
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("env overrides: MCPCHAT_<SECTION>_<KEY> parsed as TOML scalars, over the file", async () => {
  const file = [
    "[llm]",
    'default = "anthropic"',
    "[mcp]",
    'startup_mode = "lazy"',
    "[llm.retry]",
    "max_attempts = 2",
  ].join("\n");
  const { config, sources, warnings } = await loadConfig({
    env: {
      HOME,
      MCPCHAT_LLM_DEFAULT: "openai",
      MCPCHAT_MCP_STARTUP_MODE: "eager",
      MCPCHAT_SESSION_DATA_DIR: "/srv/mcpchat",
      MCPCHAT_LLM_RETRY_MAX_ATTEMPTS: "7",
      MCPCHAT_LLM_TEMPERATURE: "0.5",
      MCPCHAT_UI_MARKDOWN: "false",
      MCPCHAT_TOOLS_ALLOW: '["everything__*", "fs__read_file"]',
      MCPCHAT_MCP_ROOTS: "/a, /b",
      MCPCHAT_MCP_SERVER_TOKEN: '"quoted-token"',
      MCPCHAT_LLM_BACKENDS_OPENAI_MODEL: "gpt-5",
      MCPCHAT_CACHE_MAX_ENTRIES: "", // empty = unset
    },
    readTextFile: memoryFiles({ [DEFAULT_PATH]: file }),
  });
  assert.deepEqual(warnings, []);
  assert.equal(config.llm.default, "openai");
  assert.equal(config.mcp.startup_mode, "eager");
  assert.equal(config.session.data_dir, "/srv/mcpchat");
  assert.equal(config.llm.retry.max_attempts, 7);
  assert.equal(config.llm.temperature, 0.5);
  assert.equal(config.ui.markdown, false);
  assert.deepEqual(config.tools.allow, ["everything__*", "fs__read_file"]);
  assert.deepEqual(config.mcp.roots, ["/a", "/b"]);
  assert.equal(config.mcp_server.token, "quoted-token");
  assert.equal(config.llm.backends.openai.model, "gpt-5");
  assert.equal(config.llm.backends.openai.api_key_env, "OPENAI_API_KEY");
  assert.equal(config.cache.max_entries, 500);
  assert.deepEqual(sources, [
    DEFAULT_PATH,
    "$MCPCHAT_LLM_DEFAULT",
    "$MCPCHAT_LLM_TEMPERATURE",
    "$MCPCHAT_LLM_BACKENDS_OPENAI_MODEL",
    "$MCPCHAT_LLM_RETRY_MAX_ATTEMPTS",
    "$MCPCHAT_MCP_STARTUP_MODE",
    "$MCPCHAT_MCP_ROOTS",
    "$MCPCHAT_MCP_SERVER_TOKEN",
    "$MCPCHAT_UI_MARKDOWN",
    "$MCPCHAT_SESSION_DATA_DIR",
    "$MCPCHAT_TOOLS_ALLOW",
  ]);
});

Deno.test("env overrides: provider variables set base URLs and the bedrock region", async () => {
  const { config, sources } = await loadConfig({
    env: {
      HOME,
      OPENAI_BASE_URL: "https://proxy.example.com/v1",
      OLLAMA_HOST: "0.0.0.0",
      AWS_REGION: "eu-central-1",
      AWS_DEFAULT_REGION: "us-west-2",
    },
    readTextFile: noFiles,
  });
  assert.equal(config.llm.backends.openai.base_url, "https://proxy.example.com/v1");
  assert.equal(config.llm.backends.ollama.base_url, "http://127.0.0.1:11434");
  assert.equal(config.llm.backends.ollama.configured, true);
  assert.equal(config.llm.backends.bedrock.region, "eu-central-1");
  assert.deepEqual(sources, ["$OPENAI_BASE_URL", "$OLLAMA_HOST", "$AWS_REGION"]);

  const forms: [string, string][] = [
    ["gpu-box:9999", "http://gpu-box:9999"],
    ["gpu-box", "http://gpu-box:11434"],
    ["https://ollama.example.com/", "https://ollama.example.com"],
    ["http://127.0.0.1:11434/api", "http://127.0.0.1:11434"],
  ];
  for (const [host, expected] of forms) {
    const loaded = await loadConfig({ env: { HOME, OLLAMA_HOST: host }, readTextFile: noFiles });
    assert.equal(loaded.config.llm.backends.ollama.base_url, expected, host);
  }
  const fallback = await loadConfig({
    env: { HOME, AWS_DEFAULT_REGION: "us-west-2" },
    readTextFile: noFiles,
  });
  assert.equal(fallback.config.llm.backends.bedrock.region, "us-west-2");
});

Deno.test("keys: only their presence is recorded (configured), never their value", async () => {
  const secret = "sk-ant-very-secret-value";
  const { config } = await loadConfig({
    env: {
      HOME,
      ANTHROPIC_API_KEY: secret,
      GOOGLE_GENERATIVE_AI_API_KEY: "AIzaSyExampleExampleExample00",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE00",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
      AWS_REGION: "us-east-1",
      OPENAI_API_KEY: "   ", // blank is unset
    },
    readTextFile: noFiles,
  });
  const { anthropic, openai, gemini, bedrock, ollama } = config.llm.backends;
  assert.equal(anthropic.configured, true);
  assert.equal(anthropic.missing, undefined);
  assert.equal(openai.configured, false);
  assert.equal(openai.missing, "set OPENAI_API_KEY");
  // GEMINI_API_KEY unset: the Google SDK's own variable is used instead.
  assert.equal(gemini.configured, true);
  assert.equal(gemini.api_key_env, "GOOGLE_GENERATIVE_AI_API_KEY");
  assert.equal(bedrock.configured, true);
  assert.equal(ollama.configured, false);
  assert.equal(ollama.missing, "set OLLAMA_HOST or add a [llm.backends.ollama] table");
  const serialized = JSON.stringify(config);
  for (const value of [secret, "AIzaSyExampleExampleExample00", "aws-secret", "AKIAEXAMPLE"]) {
    assert.ok(!serialized.includes(value), `config must not contain ${value}`);
  }
});

Deno.test("bedrock: keys without a region, and no keys at all, say what to set", async () => {
  const noRegion = await loadConfig({
    env: { HOME, AWS_BEARER_TOKEN_BEDROCK: "t" },
    readTextFile: noFiles,
  });
  assert.equal(
    noRegion.config.llm.backends.bedrock.missing,
    "set AWS_REGION or llm.backends.bedrock.region",
  );
  const none = await loadConfig({ env: { HOME, AWS_REGION: "us-east-1" }, readTextFile: noFiles });
  assert.equal(
    none.config.llm.backends.bedrock.missing,
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK)",
  );
});

Deno.test("a custom backend's key variable: checked when readable, reported when not", async () => {
  const file = [
    "[llm.backends.groq]",
    'base_url = "https://api.groq.com/openai/v1"',
    'model = "llama-3.3-70b-versatile"',
    'api_key_env = "GROQ_API_KEY"',
    "[llm.backends.local]",
    'base_url = "http://127.0.0.1:1234/v1"',
    'model = "qwen"',
    "[llm.backends.corp]",
    'type = "openai-compatible"',
    'base_url = "https://llm.corp.example/v1"',
    'model = "m"',
    'api_key_env = "CORP_LLM_KEY"',
  ].join("\n");
  const { config } = await loadConfig({
    env: { HOME, GROQ_API_KEY: "gsk_x", CORP_LLM_KEY: "k" },
    readTextFile: memoryFiles({ [DEFAULT_PATH]: file }),
    readableEnv: new Set(["HOME", "GROQ_API_KEY"]),
  });
  assert.equal(config.llm.backends.groq.type, "openai-compatible");
  assert.equal(config.llm.backends.groq.configured, true);
  // No api_key_env: a local server that needs no key.
  assert.equal(config.llm.backends.local.configured, true);
  assert.equal(config.llm.backends.corp.configured, false);
  assert.match(
    config.llm.backends.corp.missing ?? "",
    /^CORP_LLM_KEY cannot be checked by the config service/,
  );
});

Deno.test("unknown MCPCHAT_* variables are warned about, with a suggestion", async () => {
  const { warnings } = await loadConfig({
    env: { HOME, MCPCHAT_UI_COLOUR: "never", MCPCHAT_KV_URL: "http://kv", MCPCHAT_XYZZY: "1" },
    readTextFile: noFiles,
  });
  assert.deepEqual(warnings, [
    "$MCPCHAT_UI_COLOUR: not a config setting, ignored (did you mean $MCPCHAT_UI_COLOR?)",
    "$MCPCHAT_XYZZY: not a config setting, ignored",
  ]);
});

Deno.test("full sample TOML: every section is read", async () => {
  const path = fixture("full.toml");
  const { config, sources, warnings } = await loadConfig({
    path,
    env: { HOME, GROQ_API_KEY: "gsk_test" },
  });
  assert.deepEqual(sources, [path]);
  assert.deepEqual(warnings, []);
  assert.equal(config.llm.default, "groq");
  assert.equal(config.llm.max_tokens, 8192);
  assert.equal(config.llm.temperature, 0.2);
  assert.equal(config.llm.timeout_seconds, 120);
  assert.equal(config.llm.idle_timeout_seconds, 30);
  assert.deepEqual(config.llm.backends.groq, {
    type: "openai-compatible",
    model: "llama-3.3-70b-versatile",
    api_key_env: "GROQ_API_KEY",
    base_url: "https://api.groq.com/openai/v1",
    headers: { "X-Title": "mcpchat" },
    configured: true,
  });
  assert.equal(config.llm.backends.anthropic.model, "claude-opus-4-1");
  assert.equal(config.llm.backends.anthropic.api_key_env, "ANTHROPIC_API_KEY");
  assert.equal(config.llm.backends.openai.base_url, "https://openai.proxy.example.com/v1");
  assert.equal(config.llm.backends.ollama.configured, true); // declared in the file
  assert.equal(config.llm.backends.bedrock.region, "eu-west-1");
  assert.deepEqual(config.llm.breaker, {
    failure_threshold: 5,
    reset_seconds: 30,
    half_open_successes: 2,
  });
  assert.deepEqual(config.llm.retry, { max_attempts: 4, base_ms: 250, max_ms: 10_000 });
  assert.deepEqual(config.llm.pricing, {
    "claude-opus-4-1": { input: 15, output: 75, cached_input: 1.5 },
    "gpt-4o-mini": { input: 0.15, output: 0.6 },
  });
  assert.equal(config.mcp.startup_mode, "eager");
  assert.equal(config.mcp.request_timeout_seconds, 45);
  assert.deepEqual(config.mcp.roots, [".", "~/src"]);
  assert.deepEqual(config.mcp.reconnect, { max_attempts: 8, base_ms: 1000, max_ms: 60_000 });
  assert.deepEqual(config.mcp.servers, {
    everything: {
      type: "stdio",
      command: "node",
      args: ["tests/peers/node_modules/.bin/mcp-server-everything"],
      env: { DEBUG: "1" },
      startup_mode: "lazy",
      enabled: true,
    },
    remote: {
      type: "http",
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "Bearer abc.def" },
      enabled: true,
    },
    legacy: { type: "sse", url: "http://127.0.0.1:3001/sse", headers: {}, enabled: false },
  });
  assert.deepEqual(config.mcp_server, {
    stdio_enabled: false,
    http_enabled: true,
    host: "0.0.0.0",
    port: 9000,
    token: "serve-token-123",
    allow_tools: [],
    allowed_origins: [],
    max_body_bytes: 4 * 1024 * 1024,
    rate_limit_per_second: 50,
  });
  assert.deepEqual(config.ui, {
    color: "never",
    markdown: false,
    progress_interval_ms: 250,
    cache_refresh_ms: 1000,
  });
  assert.deepEqual(config.context, { strategy: "smart", max_tokens: 64_000, reserve_tokens: 2048 });
  // A relative data_dir is relative to the config file's directory.
  assert.deepEqual(config.session, {
    data_dir: `${dirname(path)}/sessions`,
    autosave: false,
    page_size: 50,
  });
  assert.deepEqual(config.aliases, {
    review: ["/prompt code_review"],
    morning: ["/new", "/mcp connect everything", "/tools"],
  });
  assert.deepEqual(config.notifications, {
    history_size: 200,
    categories: {
      progress: false,
      logging: true,
      resources: true,
      tools: false,
      prompts: true,
      cancelled: false,
      elicitation: true,
      tasks: true,
      connection: true,
      other: true,
    },
  });
  assert.deepEqual(config.cache, { max_entries: 100, max_bytes: 1_048_576 });
  assert.deepEqual(config.health, {
    heartbeat_ms: 1000,
    missed_heartbeats: 5,
    max_heap_mb: 256,
    max_queue: 5000,
  });
  assert.deepEqual(config.telemetry, { enabled: true });
  assert.deepEqual(config.tools, { allow: ["everything__echo", "fs__read_*"] });
});

Deno.test("Claude Desktop's claude_desktop_config.json is accepted verbatim", async () => {
  const path = fixture("claude_desktop_config.json");
  const { config, sources, warnings, serverOrigins } = await loadConfig({ path, env: { HOME } });
  assert.deepEqual(sources, [path]);
  assert.deepEqual(warnings, []); // app preferences beside mcpServers are not ours to judge
  assert.deepEqual(config.mcp.servers.filesystem, {
    type: "stdio",
    command: "npx",
    args: [
      "-y",
      "@modelcontextprotocol/server-filesystem",
      "/Users/username/Desktop",
      "/Users/username/Downloads",
    ],
    env: {},
    enabled: true,
  });
  const github = config.mcp.servers.github as StdioServerConfig;
  assert.equal(github.command, "docker");
  assert.deepEqual(github.env, { GITHUB_PERSONAL_ACCESS_TOKEN: "ghp_exampleexampleexample" });
  // Cline/Cursor-style `"disabled": true` keeps the server, switched off.
  assert.equal(config.mcp.servers.memory.enabled, false);
  assert.deepEqual(serverOrigins, { filesystem: path, github: path, memory: path });
  // Everything else is the defaults.
  assert.equal(config.mcp.startup_mode, "lazy");
  assert.equal(config.llm.default, "anthropic");
});

Deno.test("Claude Code's .mcp.json with explicit types (stdio, http, sse, streamable-http, bare url)", async () => {
  const path = fixture("claude_code.mcp.json");
  const { config } = await loadConfig({ path, env: { HOME } });
  assert.deepEqual(config.mcp.servers, {
    everything: {
      type: "stdio",
      command: "npx",
      args: ["-y", "@modelcontextprotocol/server-everything"],
      env: {},
      enabled: true,
    },
    "api-server": {
      type: "http",
      url: "https://api.example.com/mcp",
      headers: { Authorization: "Bearer sk-live-123456" },
      enabled: true,
    },
    asana: { type: "sse", url: "https://mcp.asana.com/sse", headers: {}, enabled: true },
    streaming: { type: "http", url: "http://127.0.0.1:3001/mcp", headers: {}, enabled: true },
    "bare-url": { type: "http", url: "https://example.com/mcp", headers: {}, enabled: true },
  });
});

Deno.test('VS Code\'s mcp.json ({"servers": …}) is accepted too; foreign keys are warned and dropped', async () => {
  const text = JSON.stringify(
    {
      servers: { fs: { type: "stdio", command: "npx", args: ["x"], alwaysAllow: ["read"] } },
      inputs: [],
    },
    null,
    2,
  );
  const { config, warnings } = await loadConfig({
    path: "/p/.vscode/mcp.json",
    env: { HOME },
    readTextFile: memoryFiles({ "/p/.vscode/mcp.json": text }),
  });
  assert.equal(config.mcp.servers.fs.type, "stdio");
  assert.deepEqual(warnings, [
    "/p/.vscode/mcp.json:9:7: servers.fs.alwaysAllow: ignored (not a setting mcpchat uses)",
  ]);
});

Deno.test("mcp.servers_file: servers merged from JSON beside the TOML; the TOML's own win", async () => {
  const path = fixture("with_servers_file.toml");
  const json = fixture("servers/mcp.json");
  const { config, sources, warnings, serverOrigins } = await loadConfig({ path, env: { HOME } });
  assert.deepEqual(sources, [path, json]);
  assert.equal(config.mcp.startup_mode, "background");
  assert.equal(config.mcp.servers_file, json);
  assert.deepEqual(Object.keys(config.mcp.servers).sort(), ["fs", "memory"]);
  assert.deepEqual(config.mcp.servers.fs, {
    type: "stdio",
    command: "npx",
    args: ["-y", "@modelcontextprotocol/server-filesystem", "."],
    env: {},
    cwd: `${dirname(path)}/projects`,
    enabled: true,
  });
  assert.equal((config.mcp.servers.memory as StdioServerConfig).command, "npx");
  assert.deepEqual(serverOrigins, { memory: json, fs: path });
  assert.deepEqual(warnings, [
    `${path}:5:1: mcp.servers.fs: also defined in ${json}; using this definition`,
  ]);
});

Deno.test("mcp.servers_file: a missing file names the file and where it was referenced", async () => {
  const path = fixture("missing_servers_file.toml");
  const missing = `${dirname(path)}/nope/mcp.json`;
  await assert.rejects(() => loadConfig({ path, env: { HOME } }), (e: unknown) => {
    assert.ok(e instanceof ConfigReadError);
    assert.equal(e.code, "CONFIG_NOT_FOUND");
    assert.equal(e.file, missing);
    assert.equal(
      e.message,
      `${missing}: cannot read config: no such file (expected an existing file, ` +
        `named by mcp.servers_file at ${path}:2:16)`,
    );
    return true;
  });
});

Deno.test("mcp.servers_file: ~ and absolute paths; a servers file must be JSON", async () => {
  const files = memoryFiles({
    [DEFAULT_PATH]: '[mcp]\nservers_file = "~/claude.json"\n',
    "/home/ada/claude.json": '{"mcpServers": {"m": {"command": "x"}}}',
    "/cfg/a.toml": '[mcp]\nservers_file = "servers.toml"\n',
  });
  const { config } = await loadConfig({ env: { HOME }, readTextFile: files });
  assert.equal(config.mcp.servers_file, "/home/ada/claude.json");
  assert.deepEqual(Object.keys(config.mcp.servers), ["m"]);
  await assert.rejects(
    () => loadConfig({ path: "/cfg/a.toml", env: { HOME }, readTextFile: files }),
    {
      message:
        '/cfg/a.toml:2:16: mcp.servers_file: expected a path to a .json file with {"mcpServers": {...}}, got "servers.toml"',
    },
  );
});

Deno.test("an API key written in the file works but is warned about", async () => {
  const file = '[llm.backends.openai]\napi_key = "sk-in-file"\n';
  const { config, warnings } = await loadConfig({
    env: { HOME },
    readTextFile: memoryFiles({ [DEFAULT_PATH]: file }),
  });
  assert.equal(config.llm.backends.openai.configured, true);
  assert.deepEqual(warnings, [
    `${DEFAULT_PATH}:2:1: llm.backends.openai.api_key: an API key stored in the config file; ` +
    "prefer api_key_env (the key then stays in your environment)",
  ]);
});

Deno.test("${VAR} in an imported server definition is warned about (not expanded)", async () => {
  const text =
    '{\n  "mcpServers": {\n    "gh": {"command": "gh-mcp", "env": {"TOKEN": "${GH_TOKEN}"}}\n  }\n}\n';
  const { config, warnings } = await loadConfig({
    path: "/p/.mcp.json",
    env: { HOME },
    readTextFile: memoryFiles({ "/p/.mcp.json": text }),
  });
  assert.deepEqual((config.mcp.servers.gh as StdioServerConfig).env, { TOKEN: "${GH_TOKEN}" });
  assert.deepEqual(warnings, [
    "/p/.mcp.json:3:40: mcpServers.gh.env: ${VAR} is passed on literally: mcpchat does not " +
    "expand variables in server definitions",
  ]);
});

Deno.test("a JSON --config plus MCPCHAT_MCP_SERVERS_FILE: both imported, errors located in each file", async () => {
  const files = memoryFiles({
    "/a/desktop.json": '{"mcpServers": {"one": {"command": "x"}, "two": {"command": 3}}}',
    "/b/extra.json": '{\n  "mcpServers": {"three": {"url": "nope"}}\n}',
  });
  await assert.rejects(
    () =>
      loadConfig({
        path: "/a/desktop.json",
        env: { HOME, MCPCHAT_MCP_SERVERS_FILE: "/b/extra.json" },
        readTextFile: files,
      }),
    {
      message: [
        "/a/desktop.json:1:61: mcpServers.two.command: expected a string, got 3",
        '/b/extra.json:2:35: mcpServers.three.url: expected an http:// or https:// URL such as "https://example.com/mcp", got "nope"',
      ].join("\n"),
    },
  );
});

Deno.test("JSON with comments (VS Code's mcp.json, .jsonc) is accepted; an open comment is located", async () => {
  const text = [
    "{",
    "  // servers for this workspace",
    '  "servers": {',
    '    /* the usual one */ "fs": { "type": "stdio", "command": "npx" }',
    "  }",
    "}",
  ].join("\n");
  const { config } = await loadConfig({
    path: "/w/.vscode/mcp.jsonc",
    env: { HOME },
    readTextFile: memoryFiles({ "/w/.vscode/mcp.jsonc": text }),
  });
  assert.equal(config.mcp.servers.fs.type, "stdio");
  await assert.rejects(
    () =>
      loadConfig({
        path: "/m.json",
        env: { HOME },
        readTextFile: memoryFiles({ "/m.json": '{\n  /* open\n  "mcpServers": {}\n}' }),
      }),
    { message: '/m.json:2:3: JSON syntax error: unterminated /* comment (expected "*/")' },
  );
});

Deno.test("[notifications.categories] has exactly the MCP client's categories", async () => {
  const { NOTIFICATION_CATEGORIES } = await import("../../lib/mcp/notifications.ts");
  const { config } = await loadConfig({
    env: { HOME: "/home/ada" },
    readTextFile: () => Promise.reject(new Deno.errors.NotFound("none")),
  });
  assert.deepEqual(
    Object.keys(config.notifications.categories).sort(),
    [...NOTIFICATION_CATEGORIES].sort(),
  );
});
