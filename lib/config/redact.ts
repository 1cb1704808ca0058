/**
 * Redaction of secrets for anything that displays configuration
 * (`mcpchat config show`, error messages). Errs on the side of hiding.
 *
 * @module
 */

/** What a redacted value is replaced with. */
export const REDACTED = "<redacted>";

const SECRET_WORDS = new Set([
  "token",
  "secret",
  "password",
  "passwd",
  "passphrase",
  "apikey",
  "credential",
  "credentials",
  "authorization",
  "auth",
  "cookie",
  "bearer",
]);
const SECRET_PAIRS = [["api", "key"], ["private", "key"], ["access", "key"], ["session", "id"]];

/** Splits `GITHUB_PERSONAL_ACCESS_TOKEN`, `x-api-key`, `apiKey` into lower-case words. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
}

const SECRET_VALUE =
  /^(?:sk-|sk_|rk_|pk_live|ghp_|gho_|ghs_|ghu_|github_pat_|glpat-|xox[abprs]-|AKIA[0-9A-Z]{12}|ASIA[0-9A-Z]{12}|AIza[0-9A-Za-z_-]{20}|hf_|eyJ[A-Za-z0-9_-]{8,}\.|bearer\s|basic\s|token\s)/i;

/**
 * Whether a key name says its value is a secret (`api_key`, `token`,
 * `Authorization`, `GITHUB_PERSONAL_ACCESS_TOKEN`…), by its words, so
 * `max_tokens` is not one. Names ending in `_env` hold a variable name, not a
 * secret.
 *
 * @example
 * ```ts
 * import { isSecretKey } from "./redact.ts";
 * console.log(isSecretKey("Authorization"), isSecretKey("api_key_env")); // true false
 * ```
 */
export function isSecretKey(key: string): boolean {
  const parts = words(key);
  if (parts.length === 0 || parts[parts.length - 1] === "env") return false;
  if (parts.some((w) => SECRET_WORDS.has(w))) return true;
  if (parts[parts.length - 1] === "key") return true; // OPENAI_KEY, key
  return SECRET_PAIRS.some(([a, b]) => {
    const i = parts.indexOf(a);
    return i !== -1 && parts[i + 1] === b;
  });
}

/**
 * Whether a value looks like a credential by itself (`sk-…`, `ghp_…`,
 * `Bearer …`, AWS access key ids, JWTs…).
 *
 * @example
 * ```ts
 * import { looksLikeSecret } from "./redact.ts";
 * console.log(looksLikeSecret("Bearer abc"), looksLikeSecret("gpt-4.1")); // true false
 * ```
 */
export function looksLikeSecret(value: string): boolean {
  return SECRET_VALUE.test(value.trim());
}

function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  let changed = false;
  if (url.password) {
    url.password = "redacted";
    changed = true;
  }
  for (const [name, param] of url.searchParams) {
    if (
      isSecretKey(name) || looksLikeSecret(param) || /^(key|sig|signature|auth|code)$/i.test(name)
    ) {
      url.searchParams.set(name, "redacted");
      changed = true;
    }
  }
  return changed ? url.toString() : value;
}

const SECRET_FLAG = /^--?([A-Za-z0-9_-]+)$/;
const SECRET_FLAG_WITH_VALUE = /^(--?([A-Za-z0-9_-]+)=)/;

function redactArgs(args: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  let hideNext = false;
  for (const arg of args) {
    if (typeof arg !== "string") {
      out.push(redactValue(arg));
      hideNext = false;
      continue;
    }
    if (hideNext) {
      out.push(REDACTED);
      hideNext = false;
      continue;
    }
    const withValue = SECRET_FLAG_WITH_VALUE.exec(arg);
    if (withValue && isSecretKey(withValue[2])) out.push(withValue[1] + REDACTED);
    else if (looksLikeSecret(arg)) out.push(REDACTED);
    else {
      out.push(redactUrl(arg));
      const flag = SECRET_FLAG.exec(arg);
      hideNext = flag !== null && isSecretKey(flag[1]);
    }
  }
  return out;
}

/**
 * A deep copy of `value` with secrets replaced by {@linkcode REDACTED}: string
 * values under secret-looking keys (at any depth: `api_key`, `token`,
 * `headers.Authorization`, `env.GITHUB_TOKEN`), values that look like
 * credentials, passwords and key-like query parameters in URLs, and command
 * arguments after flags such as `--api-key`.
 *
 * @example
 * ```ts
 * import { redactSecrets } from "./redact.ts";
 * console.log(redactSecrets({ headers: { Authorization: "Bearer x" }, model: "gpt-4.1" }));
 * // { headers: { Authorization: "<redacted>" }, model: "gpt-4.1" }
 * ```
 */
export function redactSecrets(value: unknown): unknown {
  // `unknown`, not the input's type: a secret number or a class instance comes back changed.
  return redactValue(value);
}

/**
 * {@linkcode redactSecrets} of a table: the copy is a table too.
 *
 * @example
 * ```ts
 * import { redactTable } from "./redact.ts";
 * console.log(redactTable({ api_key: "sk-1", model: "gpt-4.1" }));
 * // { api_key: "<redacted>", model: "gpt-4.1" }
 * ```
 */
export function redactTable(table: Record<string, unknown>): Record<string, unknown> {
  // What redactValue does for an object outside any secret key.
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(table)) out[k] = redactValue(v, k);
  return out;
}

function redactValue(value: unknown, key?: string): unknown {
  if (typeof value === "string") {
    if ((key !== undefined && isSecretKey(key)) || looksLikeSecret(value)) return REDACTED;
    return redactUrl(value);
  }
  if (Array.isArray(value)) {
    return key === "args" ? redactArgs(value) : value.map((item) => redactValue(item, key));
  }
  if (value instanceof Date) return value;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    const secretParent = key !== undefined && isSecretKey(key);
    for (const [k, v] of Object.entries(value)) {
      out[k] = redactValue(v, secretParent && typeof v === "string" ? key : k);
    }
    return out;
  }
  return value;
}
