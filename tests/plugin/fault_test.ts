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
        ? { injectFault: (fault: PluginFault) => void fired.push(`${target} ${fault}`) }
        : undefined,
  );
  try {
    takeFault("llm", "preload", {});
    assert.deepEqual(fired, []);
    takeFault("llm", "chat", {});
    takeFault("llm", "chat", {});
    assert.deepEqual(fired, ["llm crash"]);
    // A server's fault rides on the manager's calls for that server.
    takeFault("mcp-manager", "callTool", { server: "other" });
    takeFault("mcp-manager", "callTool", { server: "fs" }); // not running yet: stays armed
    assert.deepEqual(fired, ["llm crash"]);
    running = true;
    takeFault("mcp-manager", "callTool", { server: "fs" });
    assert.deepEqual(fired, ["llm crash", "mcp-server:fs crash"]);
  } finally {
    armFaults("", undefined);
  }
});
