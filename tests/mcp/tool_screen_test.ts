import assert from "node:assert/strict";
import { exceedsLimits, screenTools } from "../../lib/mcp/tool_screen.ts";

Deno.test("exceedsLimits walks 100,000 levels without recursion", () => {
  let deep: unknown = "leaf";
  for (let i = 0; i < 100_000; i++) deep = { next: deep };
  assert.equal(exceedsLimits(deep, 64, 1e9), "nested deeper than 64 levels");
  assert.equal(exceedsLimits({ a: [1, { b: "c" }] }, 64, 1e9), undefined);
});

Deno.test("screenTools keeps the good tools and names each one set aside", () => {
  let deep: unknown = { type: "string" };
  for (let i = 0; i < 100; i++) deep = { type: "object", properties: { next: deep } };
  const tools = [
    { name: "ok", inputSchema: { type: "object" } },
    { name: "deep", inputSchema: deep },
    { name: "big", inputSchema: { type: "object", description: "x".repeat(300_000) } },
  ];
  const { kept, problem } = screenTools(tools);
  assert.deepEqual(kept.map((t) => t.name), ["ok"]);
  assert.equal(
    problem,
    "2 tools set aside (deep: nested deeper than 64 levels; big: larger than 256 KB)",
  );
  const many = screenTools(Array.from({ length: 2_001 }, (_, i) => ({ name: `t${i}` })));
  assert.equal(many.kept.length, 0);
  assert.match(many.problem!, /offers 2,001 tools/);
});
