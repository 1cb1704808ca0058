/**
 * `mcpchat config show`: the effective configuration as TOML, secrets
 * redacted, with each backend's readiness as a comment.
 *
 * @module
 */

import { stringify } from "smol-toml";
import { redactTable } from "./redact.ts";
import { isRecord } from "../util/json.ts";
import type { Config } from "./schema.ts";

/** Options of {@linkcode formatConfig}. */
export interface FormatConfigOptions {
  /** Files and `$VARIABLES` the values came from, listed in the header comment. */
  sources?: readonly string[];
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  return isRecord(value) ? dropUndefinedIn(value) : value;
}

function dropUndefinedIn(table: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(table)) {
    if (v !== undefined) out[k] = dropUndefined(v);
  }
  return out;
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/**
 * Renders `config` as TOML that `loadConfig` accepts back (apart from the
 * redacted values). Computed fields (`configured`, `missing`) become comments.
 *
 * @example
 * ```ts
 * import { formatConfig } from "./format.ts";
 * import { ConfigSchema } from "./schema.ts";
 * const text = formatConfig(ConfigSchema.parse({ mcp_server: { token: "s3cret" } }));
 * console.log(text.includes("s3cret")); // false
 * ```
 */
export function formatConfig(config: Config, options: FormatConfigOptions = {}): string {
  const notes = new Map<string, string>();
  const backends: Record<string, unknown> = {};
  for (const [name, backend] of Object.entries(config.llm.backends)) {
    const { configured, missing, ...rest } = backend;
    backends[name] = rest;
    notes.set(
      `[llm.backends.${tomlKey(name)}]`,
      configured ? "# ready" : `# not ready: ${missing ?? "not configured"}`,
    );
  }
  const plain = dropUndefinedIn(redactTable({ ...config, llm: { ...config.llm, backends } }));
  const body = stringify(plain)
    .split("\n")
    .flatMap((line, index, lines) => {
      const note = notes.get(line.trim());
      // Every table header gets a blank line before it, even after an empty table.
      const gap = line.startsWith("[") && index > 0 && lines[index - 1] !== "" ? [""] : [];
      return note ? [...gap, line, note] : [...gap, line];
    })
    .join("\n");
  const header = ["# mcpchat effective configuration (secrets redacted)"];
  if (options.sources !== undefined) {
    header.push(
      `# sources: ${options.sources.length ? options.sources.join(", ") : "(defaults only)"}`,
    );
  }
  return `${header.join("\n")}\n\n${body.trimEnd()}\n`;
}
