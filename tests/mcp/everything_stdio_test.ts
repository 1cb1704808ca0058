import assert from "node:assert/strict";
import { EVERYTHING, harness, within } from "./helpers.ts";

Deno.test("stdio: server-everything tools list and call through the thin worker", async () => {
  const h = harness({ everything: { command: "node", args: [EVERYTHING, "stdio"] } });
  try {
    const { tools, errors } = await within(h.manager.listTools(), 20_000, "listTools");
    assert.deepEqual(errors, []);
    const names = tools.map((t) => t.name);
    assert.ok(names.includes("everything__echo"), names.join(","));
    const r = await within(
      h.manager.callTool({ name: "everything__echo", arguments: { message: "hi" } }),
      10_000,
      "echo",
    );
    assert.equal(r.content[0].type, "text");
    assert.match((r.content[0] as { text: string }).text, /hi/);
    const sum = await within(
      h.manager.callTool({ server: "everything", tool: "get-sum", arguments: { a: 2, b: 40 } }),
      10_000,
      "get-sum",
    );
    assert.match(JSON.stringify(sum.content), /42/);
  } finally {
    await h.close();
  }
});
