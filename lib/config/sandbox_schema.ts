/**
 * The `sandbox` key of a stdio server (`[mcp.servers.NAME.sandbox]`): the OS
 * sandbox its process runs in. Accepted forms:
 *
 * - omitted, `true` or `"default"`: the default policy (reads allowed except
 *   credential stores, writes only where the server works, network open);
 * - `"strict"`: the default policy with the network closed except `network`;
 * - `false`: no sandbox for this server (`servers sandbox NAME` says so);
 * - a table with `mode`, `read`, `deny_read`, `write`, `network`, `env`,
 *   `presets` and `required`.
 *
 * The schema only normalizes; `lib/mcp/sandbox/policy.ts` turns it into the
 * effective policy (paths expanded, launcher caches added).
 *
 * @module
 */

import { z } from "zod/mini";

/** Named additions to a policy (launcher caches, tool directories). */
export const SANDBOX_PRESETS = ["npm", "uv", "pipx", "deno", "cargo", "go"] as const;
/** A value of {@linkcode SANDBOX_PRESETS}. */
export type SandboxPreset = (typeof SANDBOX_PRESETS)[number];

/** A server's sandbox settings after parsing (`false`: not sandboxed). */
export type SandboxConfig = false | SandboxSettings;

/** The table form, with every default filled in. */
export interface SandboxSettings {
  /** `"default"` (network open) or `"strict"` (network closed except `network`). */
  mode: "default" | "strict";
  /** Paths re-allowed for reading inside the denied credential stores. */
  read: string[];
  /** Extra paths the server may not read. */
  deny_read: string[];
  /** Extra paths the server may write. */
  write: string[];
  /** Domains a strict server may reach (setting it closes the rest of the network). */
  network?: string[];
  /** Names of the user's environment variables passed through to the server. */
  env: string[];
  /** Named additions (launcher caches). */
  presets: SandboxPreset[];
  /** Refuse to start the server when no sandbox is available. */
  required: boolean;
}

const pathList = () => z.optional(z.array(z.string().check(z.minLength(1))));
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOMAIN =
  /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*(:\d{1,5})?$/;

const SandboxTableSchema = z.strictObject({
  mode: z.optional(z.enum(["default", "strict"])),
  read: pathList(),
  deny_read: pathList(),
  write: pathList(),
  network: z.optional(z.array(
    z.string().check(z.refine((v) => DOMAIN.test(v), {
      params: { expected: `a domain such as "api.github.com", "*.example.com" or "host:8080"` },
    })),
  )),
  env: z.optional(z.array(
    z.string().check(z.refine((v) => ENV_NAME.test(v), {
      params: { expected: "an environment variable name (letters, digits, _)" },
    })),
  )),
  presets: z.optional(z.array(z.enum(SANDBOX_PRESETS))),
  required: z.optional(z.boolean()),
});

/**
 * `sandbox = …` of a stdio server: `true | false | "default" | "strict" | {table}`.
 *
 * @example
 * ```ts
 * import { SandboxSchema } from "./sandbox_schema.ts";
 * const strict = SandboxSchema.parse("strict");
 * console.log(strict && strict.mode); // "strict"
 * console.log(SandboxSchema.parse(false)); // false
 * ```
 */
export const SandboxSchema = z.pipe(
  z.union([z.boolean(), z.enum(["default", "strict"]), SandboxTableSchema]),
  z.transform((value): SandboxConfig => {
    if (value === false) return false;
    const table = typeof value === "object" ? value : {};
    const mode = typeof value === "string" ? value : table.mode ?? "default";
    return {
      mode,
      read: table.read ?? [],
      deny_read: table.deny_read ?? [],
      write: table.write ?? [],
      ...(table.network !== undefined ? { network: table.network } : {}),
      env: table.env ?? [],
      presets: table.presets ?? [],
      required: table.required ?? false,
    };
  }),
);
