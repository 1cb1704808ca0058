/**
 * Property tests: whatever bytes are in the config file, loading either
 * succeeds or throws a ConfigError with a sane location. Nothing else escapes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import {
  ConfigError,
  ConfigValidationError,
  loadConfig,
  MCPCHAT_ENV_SETTINGS,
} from "../../lib/config/mod.ts";
import { HOME, memoryFiles } from "./_helpers.ts";

async function loadText(path: string, text: string, env: Record<string, string> = {}) {
  return await loadConfig({
    path,
    env: { HOME, ...env },
    readTextFile: memoryFiles({ [path]: text, "/cfg/mcp.json": '{"mcpServers": {}}' }),
  });
}

/** Asserts the load of `text` ends in success or a well-formed ConfigError. */
async function loadsOrConfigError(path: string, text: string, env?: Record<string, string>) {
  try {
    await loadText(path, text, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw new assert.AssertionError({
        message: `non-ConfigError for ${JSON.stringify(text)}: ${error}`,
      });
    }
    assert.ok(error.message.length > 0);
    assert.ok(error.expected.length > 0, error.message);
    const lineCount = text.split("\n").length;
    const issues = error instanceof ConfigValidationError ? error.issues : [error];
    for (const issue of issues) {
      if (issue.line === undefined) continue;
      assert.ok(issue.line >= 1 && issue.line <= lineCount, `${error.message}\n${text}`);
      assert.ok(issue.column !== undefined && issue.column >= 1, error.message);
    }
    return error;
  }
  return undefined;
}

const TOML_TOKENS = [
  "[",
  "]",
  "[[",
  "]]",
  "[mcp]",
  "[llm.backends.x]",
  "[mcp.servers.s]",
  "[ui]",
  "=",
  " = ",
  '"',
  "'",
  '"""',
  "'''",
  "\n",
  "\r\n",
  "\t",
  "#",
  ".",
  ",",
  "{",
  "}",
  "startup_mode",
  "command",
  "url",
  "servers_file",
  "color",
  "eager",
  '"eager"',
  '"x"',
  "1",
  "-0",
  "1.5",
  "1e400",
  "9999999999999999999",
  "true",
  "nan",
  "1979-05-27",
  "07:32:00",
  "\\",
  "\\u",
  "ü",
  "\u0000",
];

const tomlish = fc.array(fc.constantFrom(...TOML_TOKENS), { maxLength: 40 }).map((t) => t.join(""));

Deno.test("fuzz: random bytes as TOML or JSON never throw anything but ConfigError", async () => {
  const decoder = new TextDecoder();
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 200 }),
      fc.constantFrom("/cfg/c.toml", "/cfg/c.json"),
      async (bytes, path) => {
        await loadsOrConfigError(path, decoder.decode(bytes));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("fuzz: TOML-shaped token soup never throws anything but ConfigError", async () => {
  await fc.assert(
    fc.asyncProperty(tomlish, async (text) => {
      await loadsOrConfigError("/cfg/c.toml", text);
    }),
    { numRuns: 1000 },
  );
});

// Structured configs: real section and key names with values of any type.
const KEYS = [
  "llm",
  "mcp",
  "mcp_server",
  "ui",
  "context",
  "session",
  "aliases",
  "notifications",
  "cache",
  "health",
  "telemetry",
  "tools",
  "default",
  "backends",
  "anthropic",
  "groq",
  "type",
  "model",
  "base_url",
  "api_key_env",
  "pricing",
  "startup_mode",
  "servers",
  "servers_file",
  "fs",
  "command",
  "args",
  "url",
  "headers",
  "env",
  "enabled",
  "roots",
  "reconnect",
  "max_attempts",
  "color",
  "port",
  "token",
  "data_dir",
  "categories",
  "progress",
  "allow",
  "strategy",
  "startup_mod",
  "my server",
];

const value = fc.oneof(
  fc.constantFrom(
    "eager",
    "lazy",
    "http",
    "sse",
    "stdio",
    "https://x.example/mcp",
    "mcp.json",
    "auto",
    "",
  ),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 70_000 }),
  fc.double({ noNaN: true, min: -10, max: 10 }),
  fc.boolean(),
  fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }),
);
const { table } = fc.letrec((tie) => ({
  table: fc.dictionary(
    fc.constantFrom(...KEYS),
    fc.oneof({ maxDepth: 4 }, value, tie("table")),
    { maxKeys: 5 },
  ),
}));

Deno.test("fuzz: structured configs either load or fail with every issue located in the file", async () => {
  await fc.assert(
    fc.asyncProperty(table, async (config) => {
      const text = stringify(config);
      const error = await loadsOrConfigError("/cfg/c.toml", text);
      if (error instanceof ConfigValidationError) {
        for (const issue of error.issues) {
          if (issue.file !== "/cfg/c.toml") continue; // e.g. the referenced servers file
          assert.ok(issue.line !== undefined, `unlocated issue: ${error.message}\n---\n${text}`);
        }
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("fuzz: any MCPCHAT_* value is accepted or reported against its variable", async () => {
  const names = Object.keys(MCPCHAT_ENV_SETTINGS);
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...names),
      fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("[1,", '"x', "true", "1e999", "[]")),
      async (name, text) => {
        const error = await loadsOrConfigError("/cfg/c.toml", "", { [name]: text });
        if (error) assert.ok(error.file.startsWith("$"), error.message);
      },
    ),
    { numRuns: 500 },
  );
});
