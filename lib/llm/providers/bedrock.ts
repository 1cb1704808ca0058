/**
 * The Bedrock backend's model factory (`@ai-sdk/amazon-bedrock`).
 *
 * @module
 */

import { createAmazonBedrock } from "@ai-sdk/amazon-bedrock";
import type { ProviderModule } from "../providers.ts";

/**
 * Makes the backend's model factory. Credentials come from the resolved
 * backend through a credential provider, which keeps the library from
 * reading `AWS_*` itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create } from "./bedrock.ts";
 * import { resolveBackend } from "../config.ts";
 * const backend = resolveBackend("bedrock", {}, () => "x");
 * assert.equal(create(backend, fetch)("anthropic.claude-3-haiku").modelId, "anthropic.claude-3-haiku");
 * ```
 */
export const create: ProviderModule["create"] = (backend, fetch) => {
  const aws = backend.aws ?? {};
  const p = createAmazonBedrock({
    region: backend.region,
    baseURL: backend.baseUrl,
    headers: backend.headers,
    fetch,
    ...(aws.bearerToken ? { apiKey: aws.bearerToken } : {}),
    credentialProvider: () =>
      Promise.resolve({
        accessKeyId: aws.accessKeyId ?? "",
        secretAccessKey: aws.secretAccessKey ?? "",
        sessionToken: aws.sessionToken,
      }),
  });
  return (id) => p(id);
};
