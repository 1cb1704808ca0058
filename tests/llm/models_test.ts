/**
 * The model list read from a provider's API: a well-formed answer is listed,
 * a malformed one falls back to the known models with an error naming the
 * field (it used to list models with junk ids, or fail on a TypeError that
 * read as a connection error).
 */
import assert from "node:assert/strict";
import { listModels } from "../../lib/llm/models.ts";
import { PricingTable } from "../../lib/llm/pricing.ts";
import { resolveBackend } from "../../lib/llm/config.ts";

/** A local server answering every model-list route with `body`. */
async function withModelsServer(
  body: unknown,
  run: (baseUrl: string) => Promise<void>,
): Promise<void> {
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => Response.json(body),
  );
  try {
    await run(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

function backend(kind: "openai-compatible" | "anthropic" | "ollama" | "gemini", baseUrl: string) {
  return resolveBackend(
    "local",
    { backends: { local: { type: kind, base_url: baseUrl, api_key: "k", model: "m0" } } },
    () => undefined,
  );
}

Deno.test("a well-formed list is read; null optional fields count as absent", async () => {
  await withModelsServer(
    { data: [{ id: "claude-x", display_name: null }, { id: "claude-y", display_name: "Y" }] },
    async (url) => {
      const list = await listModels(backend("anthropic", url), fetch, new PricingTable());
      assert.equal(list.source, "api");
      assert.deepEqual(list.models.map((m) => [m.id, m.name]), [
        ["claude-x", undefined],
        ["claude-y", "Y"],
      ]);
    },
  );
});

Deno.test("a model without a string id: the known list, with an error naming the field", async () => {
  await withModelsServer({ data: [{ id: "good" }, { id: 42 }] }, async (url) => {
    const list = await listModels(backend("openai-compatible", url), fetch, new PricingTable());
    assert.equal(list.source, "known");
    assert.match(list.error ?? "", /^local: the model list is not what the provider's API answers/);
    assert.match(list.error ?? "", /data\[1\]\.id is not a string; check that base_url points/);
  });
});

Deno.test("an answer of the wrong shape names what was expected", async () => {
  await withModelsServer({ models: "llama" }, async (url) => {
    const list = await listModels(backend("ollama", url), fetch, new PricingTable());
    assert.equal(list.source, "known");
    assert.match(list.error ?? "", /models is not a list/);
  });
  await withModelsServer([1, 2], async (url) => {
    const list = await listModels(backend("gemini", url), fetch, new PricingTable());
    assert.match(list.error ?? "", /the answer is not a JSON object/);
  });
  await withModelsServer(
    { models: [{ name: "models/g", supportedGenerationMethods: "generateContent" }] },
    async (url) => {
      const list = await listModels(backend("gemini", url), fetch, new PricingTable());
      assert.match(list.error ?? "", /models\[0\]\.supportedGenerationMethods is not a list/);
    },
  );
});
