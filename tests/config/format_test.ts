import assert from "node:assert/strict";
import {
  type Config,
  formatConfig,
  loadConfig,
  REDACTED,
  redactSecrets,
} from "../../lib/config/mod.ts";
import { isSecretKey, looksLikeSecret } from "../../lib/config/redact.ts";
import { DEFAULT_PATH, fixture, HOME, memoryFiles } from "./_helpers.ts";

const SECRETS = [
  "sk-in-file-0123456789",
  "serve-token-123",
  "Bearer abc.def",
  "ghp_exampleexampleexample",
  "hunter2",
  "xyz-flag-secret",
  "zzz-next-arg-secret",
  "query-secret",
];

const SECRET_TOML = `
[llm.backends.openai]
api_key = "sk-in-file-0123456789"
headers = { "X-Api-Key" = "hunter2" }

[mcp_server]
token = "serve-token-123"

[mcp.servers.gh]
command = "docker"
args = ["run", "--api-key=xyz-flag-secret", "--token", "zzz-next-arg-secret", "image"]
env = { GITHUB_PERSONAL_ACCESS_TOKEN = "ghp_exampleexampleexample", LOG_LEVEL = "debug" }

[mcp.servers.remote]
url = "https://user:hunter2@mcp.example.com/mcp?api_key=query-secret&page=2"
headers = { Authorization = "Bearer abc.def", Accept = "application/json" }
`;

Deno.test("config show: every secret is redacted, everything else shown", async () => {
  const { config, sources } = await loadConfig({
    env: { HOME },
    readTextFile: memoryFiles({ [DEFAULT_PATH]: SECRET_TOML }),
  });
  const shown = formatConfig(config, { sources });
  for (const secret of SECRETS) {
    assert.ok(!shown.includes(secret), `config show leaked ${secret}:\n${shown}`);
  }
  assert.match(shown, /^# mcpchat effective configuration \(secrets redacted\)\n/);
  assert.match(shown, new RegExp(`# sources: ${DEFAULT_PATH}\n`));
  assert.match(shown, /\napi_key = "<redacted>"\n/);
  assert.match(shown, /\ntoken = "<redacted>"\n/);
  assert.match(shown, /\nGITHUB_PERSONAL_ACCESS_TOKEN = "<redacted>"\n/);
  assert.match(shown, /\nLOG_LEVEL = "debug"\n/);
  assert.match(shown, /\nAuthorization = "<redacted>"\n/);
  assert.match(shown, /\nAccept = "application\/json"\n/);
  assert.match(shown, /\nX-Api-Key = "<redacted>"\n/);
  assert.match(
    shown,
    /\nargs = \[ "run", "--api-key=<redacted>", "--token", "<redacted>", "image" \]\n/,
  );
  assert.match(
    shown,
    /\nurl = "https:\/\/user:redacted@mcp\.example\.com\/mcp\?api_key=redacted&page=2"\n/,
  );
  // Names of key variables are not secrets.
  assert.match(shown, /\napi_key_env = "ANTHROPIC_API_KEY"\n/);
  // The config object itself is untouched.
  assert.equal(config.mcp_server.token, "serve-token-123");
});

Deno.test("config show: backend readiness as comments, never the key", async () => {
  const { config } = await loadConfig({
    env: { HOME, ANTHROPIC_API_KEY: "sk-ant-secret" },
    readTextFile: memoryFiles({}),
  });
  const shown = formatConfig(config);
  assert.ok(!shown.includes("sk-ant-secret"));
  assert.match(shown, /\[llm\.backends\.anthropic\]\n# ready\n/);
  assert.match(shown, /\[llm\.backends\.openai\]\n# not ready: set OPENAI_API_KEY\n/);
  assert.ok(!/configured =/.test(shown));
  assert.ok(!shown.includes("# sources:")); // only when sources are given
});

Deno.test("config show output loads back to the same config", async () => {
  for (const file of ["full.toml", "claude_code.mcp.json", "with_servers_file.toml"]) {
    const first = await loadConfig({ path: fixture(file), env: { HOME, GROQ_API_KEY: "x" } });
    // Secrets would come back as "<redacted>": compare without them.
    const shown = formatConfig(first.config);
    const again = await loadConfig({
      path: "/tmp/shown.toml",
      env: { HOME, GROQ_API_KEY: "x" },
      readTextFile: (p) => p === "/tmp/shown.toml" ? Promise.resolve(shown) : Deno.readTextFile(p),
    });
    // Computed readiness is not part of the round trip (a shown table is "declared").
    const plain = (c: Config) => {
      const backends = Object.fromEntries(
        Object.entries(c.llm.backends).map(([n, { configured: _c, missing: _m, ...b }]) => [n, b]),
      );
      return redactSecrets({ ...c, llm: { ...c.llm, backends } });
    };
    assert.deepEqual(plain(again.config), plain(first.config), file);
  }
});

Deno.test("config show of the defaults is valid TOML without empty-table noise breaking it", async () => {
  const { config } = await loadConfig({ env: { HOME }, readTextFile: memoryFiles({}) });
  const shown = formatConfig(config);
  const again = await loadConfig({
    path: "/x.toml",
    env: { HOME },
    readTextFile: memoryFiles({ "/x.toml": shown }),
  });
  const strip = (c: Config) => ({ ...c, llm: { ...c.llm, backends: {} } });
  assert.deepEqual(strip(again.config), strip(config));
  // Every table header is preceded by a blank line.
  assert.ok(!/[^\n]\n\[/.test(shown.replace(/^# .*\n/gm, "")));
});

Deno.test("secret detection: by key words, not substrings; by value shape", () => {
  for (
    const key of [
      "api_key",
      "apiKey",
      "X-Api-Key",
      "token",
      "Authorization",
      "GITHUB_TOKEN",
      "OPENAI_KEY",
      "password",
      "client_secret",
      "AWS_SECRET_ACCESS_KEY",
      "Cookie",
    ]
  ) {
    assert.ok(isSecretKey(key), key);
  }
  for (
    const key of [
      "api_key_env",
      "max_tokens",
      "reserve_tokens",
      "keyPath",
      "model",
      "monkey",
      "tokenizer",
    ]
  ) {
    assert.ok(!isSecretKey(key), key);
  }
  for (
    const value of [
      "sk-abc",
      "ghp_x",
      "Bearer x",
      "AKIAABCDEFGHIJKLMNOP",
      "xoxb-1",
      "eyJhbGciOiJIUzI1NiJ9.x.y",
    ]
  ) {
    assert.ok(looksLikeSecret(value), value);
  }
  for (const value of ["gpt-4.1", "https://x", "claude-sonnet-4-5", "skeleton"]) {
    assert.ok(!looksLikeSecret(value), value);
  }
  assert.deepEqual(redactSecrets({ a: { token: 5, list: ["sk-1", "ok"] } }), {
    a: { token: 5, list: [REDACTED, "ok"] },
  });
});
