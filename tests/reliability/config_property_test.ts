/**
 * Property tests of config files found from outside (issue 19): TOML
 * configs and Claude-style `mcpServers` JSON, generated plausible, then
 * damaged, then pathological (long dotted keys, deep nesting, duplicate
 * names). Loading either succeeds or throws a `ConfigError` whose every line
 * names the file (with a line and column inside it when one is given) and
 * says what was expected. Nothing else escapes.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import {
  ConfigError,
  ConfigValidationError,
  loadConfig,
  type ReadTextFile,
} from "../../lib/config/mod.ts";

/** Runs of each property. */
const RUNS = { toml: 1500, tomlDamaged: 1500, json: 1500, jsonDamaged: 1500, pathological: 300 };

const HOME = "/home/ada";
const UNCLEAR = /(?<!")undefined(?!")|\[object |call stack|is not a function|Cannot read|TypeError/;

function files(map: Record<string, string>): ReadTextFile {
  return (path) =>
    Object.hasOwn(map, path)
      ? Promise.resolve(map[path])
      : Promise.reject(new Deno.errors.NotFound(`No such file or directory: ${path}`));
}

/**
 * Loads `main` (with `others` readable); a failure must be a clear ConfigError:
 * each message line `FILE[:LINE[:COLUMN]]: … expected …`, positions inside the file.
 */
async function loadsOrClearError(
  main: string,
  contents: Record<string, string>,
): Promise<"ok" | ConfigError> {
  try {
    await loadConfig({ path: main, env: { HOME }, readTextFile: files(contents) });
    return "ok";
  } catch (error) {
    if (!(error instanceof ConfigError)) {
      throw new assert.AssertionError({
        message: `not a ConfigError: ${String(error)}\nfor ${contents[main]?.slice(0, 400)}`,
      });
    }
    assert.doesNotMatch(error.message, UNCLEAR, error.message);
    const issues = error instanceof ConfigValidationError ? error.issues : [error];
    for (const issue of issues) {
      const text = contents[issue.file];
      assert.ok(text !== undefined, `issue names an unknown file: ${issue.file}`);
      assert.ok(issue.expected.length > 0, error.message);
      if (issue.line !== undefined) {
        assert.ok(issue.line >= 1 && issue.line <= text.split("\n").length, error.message);
      }
      if (issue.column !== undefined) assert.ok(issue.column >= 1, error.message);
    }
    for (const line of error.message.split("\n")) {
      const file = Object.keys(contents).find((f) => line.startsWith(`${f}:`));
      assert.ok(file, `message line does not start with a file: ${line}`);
      assert.match(line, /expected /, line);
    }
    return error;
  }
}

// ------------------------------------------------------------ generators

const word = fc.constantFrom(
  "llm",
  "mcp",
  "ui",
  "servers",
  "fs",
  "command",
  "args",
  "url",
  "type",
  "env",
  "startup_mode",
  "default",
  "backends",
  "model",
  "color",
  "enabled",
  "headers",
  "x",
  "my server",
  "mcpServers",
  "__proto__",
  "constructor",
  "valueOf",
);
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom("eager", "lazy", "stdio", "http", "sse", "https://example.com/mcp", "npx"),
  fc.integer(),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    fc.dictionary(word, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

/** A plausible config: real sections and keys, values of any type. */
const tomlConfig = fc.record({
  llm: fc.record({
    default: fc.oneof(fc.constantFrom("anthropic", "openai", "local"), scalar),
    backends: fc.dictionary(
      fc.constantFrom("openai", "local", "ollama"),
      fc.dictionary(fc.constantFrom("type", "model", "base_url", "api_key_env"), scalar, {
        noNullPrototype: true,
      }),
      { noNullPrototype: true },
    ),
  }, { requiredKeys: [] }),
  mcp: fc.record({
    startup_mode: fc.oneof(fc.constantFrom("lazy", "eager", "background"), scalar),
    servers: fc.dictionary(
      fc.oneof(fc.constantFrom("fs", "web", "everything"), fc.string({ maxLength: 8 })),
      fc.dictionary(
        fc.constantFrom("command", "args", "url", "type", "env", "headers", "enabled", "cwd"),
        value,
        { noNullPrototype: true },
      ),
      { noNullPrototype: true, maxKeys: 3 },
    ),
  }, { requiredKeys: [] }),
  ui: fc.dictionary(fc.constantFrom("color", "markdown", "colour"), scalar, {
    noNullPrototype: true,
  }),
  extra: fc.dictionary(word, value, { maxKeys: 2, noNullPrototype: true }),
}, { requiredKeys: [] }).map(({ extra, ...rest }) => ({ ...rest, ...extra }));

const damage = fc.array(
  fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    cut: fc.nat({ max: 8 }),
    insert: fc.oneof(
      fc.string({ maxLength: 4 }),
      fc.constantFrom(
        "[",
        "]]",
        "=",
        '"',
        "'''",
        "\n",
        "\r\n",
        "{",
        "}",
        ",",
        ".",
        "#",
        "\u0000",
        "\ufeff",
        "//",
        "/*",
      ),
    ),
  }),
  { minLength: 1, maxLength: 3 },
);

function applyDamage(text: string, edits: { at: number; cut: number; insert: string }[]): string {
  for (const { at, cut, insert } of edits) {
    const i = Math.floor(at * text.length);
    text = text.slice(0, i) + insert + text.slice(i + cut);
  }
  return text;
}

function toToml(config: unknown): string {
  try {
    return stringify(config as Record<string, unknown>);
  } catch {
    return "# not representable\n";
  }
}

/** Server entries as Claude Desktop, Claude Code, VS Code and Cursor write them. */
const jsonServer = fc.dictionary(
  fc.constantFrom(
    "command",
    "args",
    "env",
    "url",
    "serverUrl",
    "type",
    "headers",
    "disabled",
    "autoApprove",
    "timeout",
    "cwd",
    "comand",
  ),
  fc.oneof(
    value,
    fc.constantFrom("https://example.com/sse", "http://127.0.0.1:3000/mcp", "streamable-http"),
  ),
  { noNullPrototype: true },
);

/** `{"mcpServers": {...}}` text, some entries written twice. */
const jsonDocument = fc.record({
  key: fc.constantFrom("mcpServers", "servers", "mcpServer"),
  entries: fc.array(fc.tuple(fc.constantFrom("fs", "web", "db", "x y"), jsonServer), {
    maxLength: 4,
  }),
  comments: fc.boolean(),
}).map(({ key, entries, comments }) => {
  const body = entries.map(([name, server]) =>
    `    ${JSON.stringify(name)}: ${JSON.stringify(server)}`
  ).join(",\n");
  const note = comments ? "  // from Claude Desktop\n" : "";
  const names = entries.map(([name]) => name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  return {
    text: `{\n${note}  ${JSON.stringify(key)}: {\n${body}\n  }\n}\n`,
    twice: key === "mcpServers" ? twice : undefined,
  };
});

// ------------------------------------------------------------ properties

Deno.test("config property: plausible TOML configs load or fail clearly", async () => {
  await fc.assert(
    fc.asyncProperty(tomlConfig, async (config) => {
      const file = "/cfg/config.toml";
      await loadsOrClearError(file, { [file]: toToml(config) });
    }),
    { numRuns: RUNS.toml },
  );
});

Deno.test("config property: damaged TOML configs fail clearly, with positions in the file", async () => {
  await fc.assert(
    fc.asyncProperty(tomlConfig, damage, async (config, edits) => {
      const file = "/cfg/config.toml";
      await loadsOrClearError(file, { [file]: applyDamage(toToml(config), edits) });
    }),
    { numRuns: RUNS.tomlDamaged },
  );
});

Deno.test("config property: mcpServers JSON, as --config and as servers_file, loads or fails clearly", async () => {
  await fc.assert(
    fc.asyncProperty(jsonDocument, fc.boolean(), async ({ text, twice }, direct) => {
      const json = "/cfg/claude.json";
      const main = direct ? json : "/cfg/config.toml";
      const contents = direct
        ? { [json]: text }
        : { [main]: '[mcp]\nservers_file = "claude.json"\n', [json]: text };
      const result = await loadsOrClearError(main, contents);
      // A name written twice is always reported, never silently the last one
      // (unless the text does not even parse: then that is the error).
      if (twice !== undefined && result !== "ok" && result instanceof ConfigValidationError) {
        assert.match(
          result.message,
          new RegExp(
            `mcpServers\\.${
              /^\w+$/.test(twice) ? twice : `"${twice}"`
            }: expected each server name once`,
          ),
        );
      }
      if (twice !== undefined) assert.notEqual(result, "ok", text);
    }),
    { numRuns: RUNS.json },
  );
});

Deno.test("config property: damaged JSON fails with the exact position of the damage", async () => {
  await fc.assert(
    fc.asyncProperty(jsonDocument, damage, async ({ text }, edits) => {
      const json = "/cfg/mcp.json";
      await loadsOrClearError(json, { [json]: applyDamage(text, edits) });
    }),
    { numRuns: RUNS.jsonDamaged },
  );
});

Deno.test("config property: long dotted keys, deep nesting and huge tables stay clear", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 5_000 }),
      fc.constantFrom("", "[mcp]\n", "[mcp.servers.fs]\n", "[tools]\n", "[llm.backends.x]\n"),
      fc.constantFrom("toml-dotted", "toml-inline", "json-nested", "json-array"),
      async (n, table, shape) => {
        if (shape === "toml-dotted") {
          const key = Array.from({ length: n }, (_, i) => `k${i}`).join(".");
          const file = "/cfg/config.toml";
          const result = await loadsOrClearError(file, { [file]: `${table}${key} = 1\n` });
          assert.notEqual(result, "ok");
        } else if (shape === "toml-inline") {
          const depth = Math.min(n, 2_000);
          const file = "/cfg/config.toml";
          const text = `${table}a = ${"{ b = ".repeat(depth)}1${" }".repeat(depth)}\n`;
          await loadsOrClearError(file, { [file]: text });
        } else {
          const open = shape === "json-nested" ? '{"a": ' : "[";
          const close = shape === "json-nested" ? "}" : "]";
          const file = "/cfg/mcp.json";
          const text = `{"mcpServers": {"fs": ${open.repeat(n)}1${close.repeat(n)}}}`;
          const result = await loadsOrClearError(file, { [file]: text });
          assert.notEqual(result, "ok");
        }
      },
    ),
    { numRuns: RUNS.pathological },
  );
});
