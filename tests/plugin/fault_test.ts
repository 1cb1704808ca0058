import assert from "node:assert/strict";
import { armFaults, parseFaults, takeFault } from "../../lib/plugin/fault.ts";
import type { PluginFault } from "../../lib/plugin/lifecycle.ts";

Deno.test("MCPCHAT_TEST_FAULT: entries parse, a bad one says what the form is", () => {
  assert.deepEqual(parseFaults("store@append,mcp-server:fs@callTool#exit"), [
    { target: "store", method: "append", fault: "crash" },
    { target: "mcp-server:fs", method: "callTool", fault: "exit" },
  ]);
  assert.throws(() => parseFaults("store"), /"store" is not TARGET@METHOD or TARGET@METHOD#exit/);
  assert.throws(() => parseFaults("llm@chat#explode"), /TARGET@METHOD/);
});

Deno.test("a fault fires once, on its method, and waits while its target is not running", () => {
  const fired: string[] = [];
  let running = false;
  armFaults(
    "llm@chat,mcp-server:fs@callTool",
    (target) =>
      target === "llm" || running
        ? {
          injectFault: (fault: PluginFault, method?: string) =>
            void fired.push(`${target} ${fault}${method ? ` on ${method}` : ""}`),
        }
        : undefined,
  );
  try {
    takeFault("llm", "preload", {});
    assert.deepEqual(fired, []);
    // Armed in the worker before the call goes out: it dies once the call has started there.
    assert.equal(takeFault("llm", "chat", {}), undefined);
    takeFault("llm", "chat", {});
    assert.deepEqual(fired, ["llm crash on chat"]);
    // A server's fault rides on the manager's calls for that server.
    takeFault("mcp-manager", "callTool", { server: "other" });
    takeFault("mcp-manager", "callTool", { server: "fs" }); // not running yet: stays armed
    assert.deepEqual(fired, ["llm crash on chat"]);
    running = true;
    // Reached through the manager: killed once the call was sent.
    const afterSend = takeFault("mcp-manager", "callTool", { server: "fs" });
    assert.deepEqual(fired, ["llm crash on chat"]);
    afterSend?.();
    assert.deepEqual(fired, ["llm crash on chat", "mcp-server:fs crash"]);
  } finally {
    armFaults("", undefined);
  }
});
