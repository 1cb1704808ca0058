import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Config, loadConfig, MCPCHAT_ENV_SETTINGS } from "../../lib/config/mod.ts";
import { deriveEnvSettings, knownKeys } from "../../lib/config/introspect.ts";
import { configEnvNames } from "../../lib/config/env_names.ts";
import { HOME, memoryFiles } from "./_helpers.ts";

const EXAMPLE = fileURLToPath(new URL("../../docs/config.example.toml", import.meta.url));

/** Every key path the schema accepts (records walked through a placeholder name). */
function allKeyPaths(path: string[] = []): string[][] {
  const out: string[][] = [];
  for (const key of knownKeys(path) ?? []) {
    out.push([...path, key]);
    if (knownKeys([...path, key])) out.push(...allKeyPaths([...path, key]));
    else if (knownKeys([...path, key, "_"])) out.push(...allKeyPaths([...path, key, "_"]));
  }
  return out;
}

function withoutComputed(config: Config) {
  const backends = Object.fromEntries(
    Object.entries(config.llm.backends).map(([n, { configured: _c, missing: _m, ...b }]) => [n, b]),
  );
  return { ...config, llm: { ...config.llm, backends } };
}

Deno.test("docs/config.example.toml loads, and its values are the defaults", async () => {
  const example = await loadConfig({ path: EXAMPLE, env: { HOME } });
  assert.deepEqual(example.warnings, []);
  const defaults = await loadConfig({ env: { HOME }, readTextFile: memoryFiles({}) });
  assert.deepEqual(withoutComputed(example.config), withoutComputed(defaults.config));
});

Deno.test("docs/config.example.toml documents every key of the schema", async () => {
  const text = await Deno.readTextFile(EXAMPLE);
  const paths = allKeyPaths();
  assert.ok(paths.length > 60, `only ${paths.length} keys found: the walker is broken`);
  const missing = paths
    .map((p) => p[p.length - 1])
    .filter((key) => !new RegExp(`(^|[^A-Za-z0-9_])${key}([^A-Za-z0-9_]|$)`, "m").test(text));
  assert.deepEqual([...new Set(missing)], []);
});

Deno.test("the committed MCPCHAT_* table equals the one derived from the schema", () => {
  // On failure: deno run -A lib/config/gen_env_keys.ts && deno fmt lib/config/env_keys.ts
  const derived = deriveEnvSettings();
  assert.deepEqual(
    JSON.parse(JSON.stringify(MCPCHAT_ENV_SETTINGS)),
    JSON.parse(JSON.stringify(derived)),
  );
});

Deno.test("every MCPCHAT_* variable maps to a setting that the default value passes through", async () => {
  const defaults = (await loadConfig({ env: { HOME }, readTextFile: memoryFiles({}) })).config;
  for (const [name, setting] of Object.entries(MCPCHAT_ENV_SETTINGS)) {
    assert.match(name, /^MCPCHAT_[A-Z0-9_]+$/);
    let current: unknown = defaults;
    for (const part of setting.path) current = (current as Record<string, unknown>)?.[part];
    const sample = current === undefined || current === ""
      ? setting.kind === "number"
        ? "1"
        : setting.path.at(-1) === "base_url"
        ? "https://x.example"
        : setting.path.at(-1) === "servers_file"
        ? "/srv/mcp.json"
        : "x"
      : Array.isArray(current)
      ? JSON.stringify(current)
      : String(current);
    const { config, sources } = await loadConfig({
      env: { HOME, [name]: sample },
      readTextFile: memoryFiles({ "/srv/mcp.json": '{"mcpServers": {}}' }),
    });
    assert.ok(sources.includes(`$${name}`), name);
    let set: unknown = config;
    for (const part of setting.path) set = (set as Record<string, unknown>)[part];
    assert.ok(set !== undefined, `${name} did not reach ${setting.path.join(".")}`);
  }
});

Deno.test("the worker's env permission lists every name the loader reads, and no duplicates", () => {
  const names = configEnvNames();
  assert.equal(new Set(names).size, names.length);
  for (
    const name of [
      "HOME",
      "XDG_CONFIG_HOME",
      "XDG_DATA_HOME",
      "ANTHROPIC_API_KEY",
      "OPENAI_API_KEY",
      "OPENAI_BASE_URL",
      "OLLAMA_HOST",
      "GEMINI_API_KEY",
      "GOOGLE_GENERATIVE_AI_API_KEY",
      "AWS_REGION",
      "MCPCHAT_LLM_DEFAULT",
      "MCPCHAT_MCP_STARTUP_MODE",
      "MCPCHAT_SESSION_DATA_DIR",
    ]
  ) {
    assert.ok(names.includes(name), name);
  }
  assert.ok(names.every((n) => /^[A-Z0-9_]+$/.test(n)));
});
