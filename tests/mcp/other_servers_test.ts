import assert from "node:assert/strict";
import { FILESYSTEM, harness, MEMORY, within } from "./helpers.ts";

Deno.test("server-memory: entities round trip", async () => {
  const dir = await Deno.makeTempDir();
  const h = harness({
    memory: { command: "node", args: [MEMORY], env: { MEMORY_FILE_PATH: `${dir}/memory.jsonl` } },
  });
  try {
    const { tools } = await within(h.manager.listTools({ server: "memory" }), 15_000, "tools");
    assert.ok(tools.some((t) => t.name === "memory__create_entities"));
    await within(
      h.manager.callTool({
        name: "memory__create_entities",
        arguments: {
          entities: [{
            name: "Ada",
            entityType: "person",
            observations: ["wrote the first program"],
          }],
        },
      }),
      10_000,
      "create",
    );
    const graph = await within(
      h.manager.callTool({ name: "memory__read_graph", arguments: {} }),
      10_000,
      "read",
    );
    assert.match(JSON.stringify(graph), /first program/);
  } finally {
    await h.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server-filesystem: roots decide the allowed directories, and follow changes", async () => {
  const a = await Deno.realPath(await Deno.makeTempDir());
  const b = await Deno.realPath(await Deno.makeTempDir());
  await Deno.writeTextFile(`${b}/hello.txt`, "hello from b");
  const h = harness(
    { fs: { command: "node", args: [FILESYSTEM, a] } },
    { roots: [{ uri: `file://${a}`, name: "a" }] },
  );
  const allowed = async () =>
    JSON.stringify(
      await h.manager.callTool({ name: "fs__list_allowed_directories", arguments: {} }),
    );
  try {
    assert.match(await within(allowed(), 15_000, "allowed"), new RegExp(a));
    await h.manager.setRoots([{ uri: `file://${b}`, name: "b" }]);
    let seen = "";
    for (let i = 0; i < 100 && !seen.includes(b); i++) {
      seen = await within(allowed(), 10_000, "allowed");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(seen.includes(b));
    const read = await h.manager.callTool({
      name: "fs__read_text_file",
      arguments: { path: `${b}/hello.txt` },
    });
    assert.match(JSON.stringify(read), /hello from b/);
  } finally {
    await h.close();
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});
