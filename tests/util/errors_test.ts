import assert from "node:assert/strict";
import { isMcpchatError, McpchatError } from "../../lib/util/errors.ts";
import { ConfigError, ConfigValidationError } from "../../lib/config/errors.ts";
import { LlmAuthError, LlmError } from "../../lib/llm/errors.ts";
import { McpClientError, McpConfigError } from "../../lib/mcp/errors.ts";
import { StoreError, StoreValidationError } from "../../lib/store/errors.ts";
import { RemoteError, RpcError, serializeError } from "../../lib/rpc/errors.ts";
import { PluginStartError } from "../../lib/plugin/host.ts";
import { PluginUnavailableError } from "../../lib/plugin/ref.ts";

Deno.test("every area's errors are McpchatErrors: code first, message, then options", () => {
  const errors: [McpchatError, string, string, string][] = [
    [
      new ConfigError("CONFIG_READ", "c.toml: cannot read", { file: "c.toml", expected: "a file" }),
      "CONFIG_READ",
      "c.toml: cannot read",
      "ConfigError",
    ],
    [
      new LlmError("LLM_X", "openai: boom", { backend: "openai" }),
      "LLM_X",
      "openai: boom",
      "LlmError",
    ],
    [new McpClientError("MCP_X", "boom", { server: "fs" }), "MCP_X", "boom", "McpClientError"],
    [new StoreError("STORE_X", "boom"), "STORE_X", "boom", "StoreError"],
    [new RpcError("RPC_X", "boom"), "RPC_X", "boom", "RpcError"],
    [
      new PluginStartError("llm", "no"),
      "PLUGIN_START_FAILED",
      "llm: failed to start: no",
      "PluginStartError",
    ],
  ];
  for (const [error, code, message, name] of errors) {
    assert.ok(error instanceof McpchatError, name);
    assert.ok(isMcpchatError(error));
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    assert.equal(error.name, name);
  }
});

Deno.test("subclasses keep their own names, messages and fields", () => {
  const auth = new LlmAuthError("anthropic", 401, "ANTHROPIC_API_KEY");
  assert.equal(auth.name, "LlmAuthError");
  assert.equal(auth.code, "LLM_AUTH");
  assert.equal(auth.backend, "anthropic");
  assert.match(auth.message, /^anthropic: 401 /);
  const config = new McpConfigError("fs", "expected a command");
  assert.equal(config.name, "McpConfigError");
  assert.equal(config.message, "mcp.servers.fs: expected a command");
  assert.equal(config.server, "fs");
  const invalid = new StoreValidationError("import: bad");
  assert.equal(invalid.name, "StoreValidationError");
  assert.equal(invalid.code, "STORE_INVALID");
  const unavailable = new PluginUnavailableError("config", "crashed");
  assert.ok(unavailable instanceof RpcError);
  assert.equal(unavailable.message, "config is not available: crashed");
  const issues = new ConfigValidationError([
    { code: "CONFIG_INVALID", file: "c.toml", line: 1, column: 2, keyPath: "a", expected: "b" },
  ]);
  assert.equal(issues.code, "CONFIG_INVALID");
  assert.equal(issues.message, "c.toml:1:2: a: expected b");
});

Deno.test("a hint is an own field: it crosses the worker boundary and stays a hint", () => {
  const local = new StoreError("STORE_LOCKED", "the store is locked", {
    hint: "close the other mcpchat",
  });
  const remote = new RemoteError("store", structuredClone(serializeError(local)));
  assert.ok(remote instanceof McpchatError);
  assert.equal(remote.code, "STORE_LOCKED");
  assert.equal(remote.hint, "close the other mcpchat");
  assert.equal(remote.remoteName, "StoreError");
  // Without a hint there is no `hint` field at all (nothing undefined travels).
  assert.equal(Object.hasOwn(new StoreError("X", "y"), "hint"), false);
});
