/**
 * The permissions the `llm` worker needs: network access to exactly the
 * configured providers' hosts and the key variables of those backends,
 * nothing else (the provider libraries read no system information).
 *
 * @module
 */

import { PROVIDER_MODULES_DIR } from "./providers.ts";
import { backendNames, type EnvLookup, type LlmConfig, resolveBackend } from "./config.ts";

/** Permissions of the `llm` worker (the shape `plugins/manifest.ts` declares). */
export interface LlmWorkerPermissions {
  /** `host:port` of every configured provider, matched literally by Deno. */
  net: string[];
  /** Key and base-URL variables of the configured backends. */
  env: string[];
}

/**
 * `host:port` of a URL, with the scheme's default port made explicit so the
 * grant is exactly one endpoint.
 *
 * @example
 * ```ts
 * import { hostPort } from "./permissions.ts";
 * hostPort("https://api.anthropic.com/v1"); // "api.anthropic.com:443"
 * hostPort("http://127.0.0.1:11434"); // "127.0.0.1:11434"
 * ```
 */
export function hostPort(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `${u.hostname.replace(/^\[(.*)\]$/, "$1")}:${port}`;
}

/**
 * Computes the worker permissions from the `[llm]` config and the
 * environment the main thread sees. Pure: same inputs, same result. Only
 * backends that are configured (key present, or listed in config for local
 * ones) get network and variable access; the variables of every configured
 * backend are readable so the worker resolves them itself.
 *
 * @example
 * ```ts
 * import { llmWorkerPermissions } from "./permissions.ts";
 * const env: Record<string, string> = { ANTHROPIC_API_KEY: "sk-…" };
 * const p = llmWorkerPermissions({}, (n) => env[n]);
 * console.log(p.net, p.env); // ["api.anthropic.com:443"] ["ANTHROPIC_API_KEY"]
 * ```
 */
export function llmWorkerPermissions(config: LlmConfig, env: EnvLookup): LlmWorkerPermissions {
  const net = new Set<string>();
  const vars = new Set<string>();
  for (const name of backendNames(config)) {
    const backend = resolveBackend(name, config, env);
    if (!backend.configured) continue;
    net.add(hostPort(backend.baseUrl));
    for (const v of backend.envVars) vars.add(v);
  }
  return { net: [...net].sort(), env: [...vars].sort() };
}

/**
 * The LLM worker's one `read`: its provider modules' directory, so it can
 * import the one provider a backend uses (see `lib/llm/providers.ts`).
 * Nothing for sources not on disk (a compiled binary embeds them).
 *
 * @example
 * ```ts
 * import { llmWorkerRead } from "./permissions.ts";
 * console.log(llmWorkerRead()[0].endsWith("/lib/llm/providers/")); // true
 * ```
 */
export function llmWorkerRead(): string[] {
  const dir = PROVIDER_MODULES_DIR;
  if (dir.protocol !== "file:") return [];
  const path = decodeURIComponent(dir.pathname);
  // file:///C:/x/ → C:/x/ on Windows.
  return [Deno.build.os === "windows" ? path.replace(/^\/([A-Za-z]:)/, "$1") : path];
}
