/**
 * The environment variables that tell programs which certificate authorities
 * to trust and which proxy to use.
 *
 * Machines behind a TLS-inspecting proxy (corporate networks, CI sandboxes)
 * only reach the npm registry when these reach every process that downloads:
 * a child started with a cleared environment that drops them fails with
 * `invalid peer certificate: UnknownIssuer` as soon as its cache is empty.
 * So every child we start with `clearEnv` keeps them: stdio MCP servers
 * (`npx -y …` downloads), and the CLI children of tests and benchmarks.
 *
 * @module
 */

/** Names of the CA-bundle and proxy variables, in both spellings where tools differ. */
export const NETWORK_ENV_NAMES: readonly string[] = [
  "NODE_EXTRA_CA_CERTS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  "CURL_CA_BUNDLE",
  "GIT_SSL_CAINFO",
  "PIP_CERT",
  "AWS_CA_BUNDLE",
  "NPM_CONFIG_CAFILE",
  "npm_config_cafile",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
  "no_proxy",
];

/**
 * The CA and proxy variables that are set, read through `get` (for example
 * `Deno.env.get`), ready to merge into a child's cleared environment.
 *
 * @example
 * ```ts
 * import { networkEnv } from "./network_env.ts";
 * const env = networkEnv((name) => name === "HTTPS_PROXY" ? "http://proxy:3128" : undefined);
 * console.log(env); // { HTTPS_PROXY: "http://proxy:3128" }
 * ```
 */
export function networkEnv(get: (name: string) => string | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of NETWORK_ENV_NAMES) {
    const value = get(name);
    if (value !== undefined && value !== "") env[name] = value;
  }
  return env;
}
