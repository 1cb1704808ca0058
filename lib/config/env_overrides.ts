/**
 * Internal to lib/config: environment overrides — provider variables
 * (`OPENAI_BASE_URL`, `OLLAMA_HOST`, `AWS_REGION`) and `MCPCHAT_<SECTION>_<KEY>`
 * variables, parsed as TOML scalars — applied to the raw config.
 *
 * @module
 */

import { parse as parseToml } from "smol-toml";
import { MCPCHAT_ENV_SETTINGS } from "./env_keys.ts";
import { MCPCHAT_NON_CONFIG_ENV, PROVIDER_SETTING_ENV } from "./env_names.ts";
import { isTable, type LoadState, type Table } from "./state.ts";
import { closest } from "./suggest.ts";

function setPath(table: Table, path: readonly string[], value: unknown): boolean {
  let current = table;
  for (const part of path.slice(0, -1)) {
    let next = current[part];
    if (next === undefined) next = current[part] = {};
    if (!isTable(next)) return false; // the file's own type error wins
    current = next;
  }
  current[path[path.length - 1]] = value;
  return true;
}

/** The value at `path` of a raw table, if every step is a table. */
export function getPath(table: Table, path: readonly string[]): unknown {
  let current: unknown = table;
  for (const part of path) {
    if (!isTable(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** Parses the text of an `MCPCHAT_*` variable as a TOML scalar of the given kind. */
export function parseEnvValue(
  text: string,
  kind: "string" | "number" | "boolean" | "array",
): unknown {
  const trimmed = text.trim();
  const asToml = (): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: parseToml(`v = ${trimmed}`).v };
    } catch {
      return { ok: false };
    }
  };
  if (kind === "string") {
    if (/^(".*"|'.*')$/s.test(trimmed)) {
      const parsed = asToml();
      if (parsed.ok && typeof parsed.value === "string") return parsed.value;
    }
    return text;
  }
  const parsed = asToml();
  if (kind === "array") {
    if (parsed.ok && Array.isArray(parsed.value)) return parsed.value;
    return trimmed.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
  return parsed.ok ? parsed.value : trimmed;
}

/** `OLLAMA_HOST` may be `host`, `host:port` or a URL (as the ollama CLI accepts). */
function normalizeOllamaHost(value: string): string {
  const v = value.trim().replace(/\/+$/, "");
  const hasScheme = /^https?:\/\//i.test(v);
  try {
    const url = new URL(hasScheme ? v : `http://${v}`);
    if (!hasScheme && !/:\d+$/.test(v.split("/")[0])) url.port = "11434";
    // 0.0.0.0 is how a server listens on every interface, not an address to call.
    if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
    return url.toString().replace(/\/+$/, "").replace(/\/api$/, "");
  } catch {
    return v; // the schema reports it as a bad URL, naming $OLLAMA_HOST
  }
}

/** Applies provider and `MCPCHAT_*` variables to `raw`, recording each as the origin of its setting. */
export function applyEnvOverrides(state: LoadState, raw: Table): void {
  const env = state.env;
  const apply = (variable: string, path: readonly string[], value: unknown) => {
    if (setPath(raw, path, value)) {
      state.envOrigins.set(JSON.stringify(path), variable);
      if (!state.sources.includes(`$${variable}`)) state.sources.push(`$${variable}`);
    }
  };
  for (const [variable, path] of Object.entries(PROVIDER_SETTING_ENV)) {
    const value = env[variable]?.trim();
    if (!value) continue;
    if (variable === "AWS_DEFAULT_REGION" && env.AWS_REGION?.trim()) continue;
    apply(variable, path, variable === "OLLAMA_HOST" ? normalizeOllamaHost(value) : value);
  }
  for (const [variable, setting] of Object.entries(MCPCHAT_ENV_SETTINGS)) {
    const value = env[variable];
    if (value === undefined || value.trim() === "") continue;
    apply(variable, setting.path, parseEnvValue(value, setting.kind));
  }
  const ignored = new Set<string>(MCPCHAT_NON_CONFIG_ENV);
  const settingNames = Object.keys(MCPCHAT_ENV_SETTINGS);
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith("MCPCHAT_") || variable in MCPCHAT_ENV_SETTINGS) continue;
    if (ignored.has(variable)) continue;
    const suggestion = closest(variable, settingNames);
    state.warnings.push(
      `$${variable}: not a config setting, ignored` +
        (suggestion ? ` (did you mean $${suggestion}?)` : ""),
    );
  }
}
