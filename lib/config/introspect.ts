/**
 * Reads the structure of the config schema: which keys a table accepts (for
 * "did you mean" hints) and which scalar settings exist (for the `MCPCHAT_*`
 * environment mapping).
 *
 * @module
 */

import { core as zcore } from "zod/mini";
import { BUILTIN_BACKENDS, ConfigSchema } from "./schema.ts";

type Schema = zcore.$ZodType;

// zod's classes answer `instanceof` by trait, so a zod/mini schema is told apart (and typed) by
// its core class, with no cast of `_zod.def`.

/** A wrapper around one inner schema (`optional`, `default`…), whose inner schema has the shape. */
function wrapped(schema: Schema): Schema | undefined {
  if (
    schema instanceof zcore.$ZodDefault || schema instanceof zcore.$ZodPrefault ||
    schema instanceof zcore.$ZodOptional || schema instanceof zcore.$ZodNullable ||
    schema instanceof zcore.$ZodReadonly || schema instanceof zcore.$ZodCatch
  ) return schema._zod.def.innerType;
  return undefined;
}

/** Strips wrappers and pipes down to the schema that decides the shape. */
function core(schema: Schema): Schema {
  let current = schema;
  for (let guard = 0; guard < 32; guard++) {
    const inner = wrapped(current);
    if (inner) current = inner;
    else if (current instanceof zcore.$ZodPipe) {
      // A preprocess pipe starts with a bare transform: the shape is on the out side.
      const { in: first, out } = current._zod.def;
      current = first instanceof zcore.$ZodTransform ? out : first;
    } else return current;
  }
  return current;
}

/** The child schema at `key` of `schema`, if any. */
function child(schema: Schema, key: string | number): Schema | undefined {
  const shape = core(schema);
  if (shape instanceof zcore.$ZodObject) return shape._zod.def.shape[String(key)];
  if (shape instanceof zcore.$ZodRecord) return shape._zod.def.valueType;
  if (shape instanceof zcore.$ZodArray) return shape._zod.def.element;
  return undefined;
}

/**
 * The keys a table at `path` accepts, or `undefined` when that table takes
 * free-form keys (a record such as `mcp.servers`) or the path is unknown.
 *
 * @example
 * ```ts
 * import { knownKeys } from "./introspect.ts";
 * console.log(knownKeys(["mcp", "reconnect"])); // ["max_attempts", "base_ms", "max_ms"]
 * ```
 */
export function knownKeys(
  path: readonly (string | number)[],
  root: Schema = ConfigSchema,
): string[] | undefined {
  let schema: Schema | undefined = root;
  for (const key of path) {
    if (!schema) return undefined;
    schema = child(schema, key);
  }
  if (!schema) return undefined;
  const shape = core(schema);
  return shape instanceof zcore.$ZodObject ? Object.keys(shape._zod.def.shape) : undefined;
}

/** How an `MCPCHAT_*` value is parsed. */
export type EnvValueKind = "string" | "number" | "boolean" | "array";

/** One scalar setting reachable through an environment variable. */
export interface EnvSetting {
  /** Config path, e.g. `["mcp", "startup_mode"]`. */
  path: string[];
  /** How the text of the variable is turned into a value. */
  kind: EnvValueKind;
}

function leafKind(schema: Schema): EnvValueKind | undefined {
  switch (core(schema)._zod.def.type) {
    case "string":
    case "enum":
      return "string";
    case "number":
    case "int":
      return "number";
    case "boolean":
      return "boolean";
    case "array":
      return "array";
    default:
      return undefined;
  }
}

/** Keys that are never taken from `MCPCHAT_*` (use the provider's own variable instead). */
const ENV_EXCLUDED = new Set(["api_key", "headers", "type"]);

/**
 * Derives the environment variable table from the schema: one
 * `MCPCHAT_<SECTION>_<KEY>` per scalar setting (nested tables join with `_`),
 * plus `MCPCHAT_LLM_BACKENDS_<NAME>_<KEY>` for the built-in backends.
 * Free-form tables (servers, pricing, aliases) are not reachable this way.
 *
 * `lib/config/env_keys.ts` holds the generated table so the main thread and
 * the worker permission list do not need zod; a test keeps the two equal.
 *
 * @example
 * ```ts
 * import { deriveEnvSettings } from "./introspect.ts";
 * console.log(deriveEnvSettings()["MCPCHAT_MCP_STARTUP_MODE"]); // { path: ["mcp","startup_mode"], kind: "string" }
 * ```
 */
export function deriveEnvSettings(root: Schema = ConfigSchema): Record<string, EnvSetting> {
  const out: Record<string, EnvSetting> = {};
  const add = (path: string[], kind: EnvValueKind) => {
    const name = `MCPCHAT_${path.join("_").toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
    if (out[name]) {
      throw new Error(`environment variable ${name} would map to two settings`);
    }
    out[name] = { path, kind };
  };
  const walk = (schema: Schema, path: string[]) => {
    const shape = core(schema);
    if (shape instanceof zcore.$ZodObject) {
      for (const [key, value] of Object.entries(shape._zod.def.shape)) {
        if (!ENV_EXCLUDED.has(key)) walk(value, [...path, key]);
      }
      return;
    }
    if (shape instanceof zcore.$ZodRecord) {
      if (path.join(".") === "llm.backends") {
        const backend = shape._zod.def.valueType;
        for (const name of Object.keys(BUILTIN_BACKENDS)) walk(backend, [...path, name]);
      }
      return;
    }
    const kind = leafKind(schema);
    if (kind) add(path, kind);
  };
  walk(root, []);
  // A region only means something to bedrock.
  for (const name of Object.keys(out)) {
    if (name.endsWith("_REGION") && !name.includes("_BEDROCK_")) delete out[name];
  }
  return out;
}
