import assert from "node:assert/strict";
import fc from "fast-check";
import { stringify } from "smol-toml";
import { ConfigSyntaxError } from "../../lib/config/mod.ts";
import { type DocPath, locateToml, offsetToPosition } from "../../lib/config/locate.ts";
import { parseJsonWithLocations } from "../../lib/config/json_locate.ts";

/** The text at a 1-based line/column. */
function at(text: string, line: number, column: number): string {
  return text.split("\n")[line - 1].slice(column - 1);
}

Deno.test("offsetToPosition counts lines and UTF-16 columns from 1", () => {
  const text = "ab\ncd\r\nef";
  assert.deepEqual(offsetToPosition(text, 0), { line: 1, column: 1 });
  assert.deepEqual(offsetToPosition(text, 2), { line: 1, column: 3 });
  assert.deepEqual(offsetToPosition(text, 3), { line: 2, column: 1 });
  assert.deepEqual(offsetToPosition(text, 7), { line: 3, column: 1 });
});

Deno.test("TOML locator: headers, dotted and quoted keys, inline tables, arrays, strings that look like syntax", () => {
  const text = [
    "# [not.a.header]", // 1
    'title = "x # not a comment [y]"',
    "[mcp]", // 3
    "startup_mode = 'eager' # trailing",
    'servers.fs.command = "npx"', // 5
    '  roots = [ "a",', // 6
    '    "b" ]',
    '[mcp.servers."my.server"]', // 8
    'env = { A = "1", "B C" = { d = 2 } }', // 9
    "doc = '''", // 10
    "[fake]",
    "'''", // 12
    'multi = """a\\"""b"""',
    "[[arr]]", // 14
    "n = 1",
    "[[arr]]", // 16
    "n = 2",
    "[arr.sub]", // 18
    "k = true",
  ].join("\n");
  const where = locateToml(text);
  const check = (path: DocPath, key: [number, number], value?: [number, number]) => {
    const found = where.get(path);
    assert.ok(found, `no location for ${JSON.stringify(path)}`);
    assert.deepEqual([found.key.line, found.key.column], key, JSON.stringify(path));
    if (value) {
      assert.deepEqual([found.value?.line, found.value?.column], value, JSON.stringify(path));
    }
  };
  check(["title"], [2, 1], [2, 9]);
  check(["mcp"], [3, 1]);
  check(["mcp", "startup_mode"], [4, 1], [4, 16]);
  check(["mcp", "servers"], [5, 1]);
  check(["mcp", "servers", "fs", "command"], [5, 1], [5, 22]);
  check(["mcp", "roots"], [6, 3], [6, 11]);
  check(["mcp", "roots", 1], [7, 5]);
  check(["mcp", "servers", "my.server"], [8, 1]);
  check(["mcp", "servers", "my.server", "env", "A"], [9, 9], [9, 13]);
  check(["mcp", "servers", "my.server", "env", "B C", "d"], [9, 28], [9, 32]);
  check(["mcp", "servers", "my.server", "doc"], [10, 1], [10, 7]);
  check(["mcp", "servers", "my.server", "multi"], [13, 1], [13, 9]);
  assert.equal(where.get(["fake"]), undefined);
  check(["arr", 0, "n"], [15, 1], [15, 5]);
  check(["arr", 1], [16, 1]);
  check(["arr", 1, "n"], [17, 1]);
  check(["arr", 1, "sub", "k"], [19, 1], [19, 5]);
  // nearest: a key that is not written falls back to its table.
  assert.deepEqual(where.nearest(["mcp", "reconnect", "max_ms"]), {
    location: where.get(["mcp"]),
    exact: false,
  });
});

const tomlKey = fc.oneof(
  fc.constantFrom("llm", "mcp", "servers", "a-b", "x_1", "with space", "dot.ted", 'quote"d', "ünï"),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const tomlLeaf = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const { table: tomlTable } = fc.letrec((tie) => ({
  table: fc.dictionary(
    tomlKey.filter((k) => k !== "__proto__"),
    fc.oneof(
      { maxDepth: 3 },
      tomlLeaf,
      tie("table"),
      fc.array(tie("table"), { minLength: 1, maxLength: 2 }),
    ),
    { maxKeys: 4 },
  ),
}));

function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) {
    if (
      value.length > 0 &&
      value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v))
    ) {
      return value.flatMap((v, i) => leafPaths(v, [...path, i]));
    }
    return [path];
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return path.length ? [path] : [];
    return entries.flatMap(([k, v]) => leafPaths(v, [...path, k]));
  }
  return [path];
}

Deno.test("TOML locator property: every key smol-toml writes is located, at that key", () => {
  fc.assert(
    fc.property(tomlTable, (table) => {
      const text = stringify(table);
      const where = locateToml(text);
      for (const path of leafPaths(table)) {
        const found = where.get(path);
        assert.ok(found, `no location for ${JSON.stringify(path)} in\n${text}`);
        const last = path[path.length - 1];
        if (typeof last !== "string") continue;
        const here = at(text, found.key.line, found.key.column);
        const bare = /^[A-Za-z0-9_-]+$/.test(last);
        // The key (or the dotted/quoted key or header containing it) starts here.
        assert.ok(
          here.includes(bare ? last : JSON.stringify(last).slice(1, -1)) ||
            here.startsWith("[") || here.startsWith('"') || here.startsWith("'"),
          `${JSON.stringify(path)} located at ${JSON.stringify(here)}`,
        );
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("JSON parser property: same value as JSON.parse for any JSON text", () => {
  fc.assert(
    fc.property(fc.json({ maxDepth: 4 }), (text) => {
      fc.pre(!text.includes('"__proto__"'));
      const { value } = parseJsonWithLocations(text, "x.json");
      assert.deepEqual(value, JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});

Deno.test("JSON parser property: rejects exactly what JSON.parse rejects", () => {
  const jsonish = fc.array(
    fc.constantFrom(
      "{",
      "}",
      "[",
      "]",
      ",",
      ":",
      '"a"',
      '"',
      "1",
      "-",
      "0.5e3",
      "01",
      "true",
      "nul",
      " ",
      "\n",
      "\\",
      "'",
    ),
    { maxLength: 14 },
  ).map((parts) => parts.join(""));
  fc.assert(
    fc.property(fc.oneof(jsonish, fc.string({ maxLength: 20 })), (text) => {
      let native = true;
      try {
        JSON.parse(text);
      } catch {
        native = false;
      }
      let ours = true;
      try {
        parseJsonWithLocations(text, "x.json");
      } catch (error) {
        assert.ok(error instanceof ConfigSyntaxError, String(error));
        assert.ok(error.line !== undefined && error.line >= 1);
        assert.ok(error.column !== undefined && error.column >= 1);
        ours = false;
      }
      assert.equal(ours, native, JSON.stringify(text));
    }),
    { numRuns: 1000 },
  );
});

Deno.test("JSON locator property: every key is located at its opening quote, values after the colon", () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), fc.constantFrom(0, 2, "\t"), (value, indent) => {
      const text = JSON.stringify(value, null, indent);
      fc.pre(!text.includes('"__proto__"'));
      const { locations } = parseJsonWithLocations(text, "x.json");
      const walk = (v: unknown, path: (string | number)[]) => {
        if (Array.isArray(v)) v.forEach((item, i) => walk(item, [...path, i]));
        else if (typeof v === "object" && v !== null) {
          for (const [k, child] of Object.entries(v)) {
            const found = locations.get([...path, k]);
            assert.ok(found);
            assert.ok(at(text, found.key.line, found.key.column).startsWith(JSON.stringify(k)));
            const valueText = at(text, found.value!.line, found.value!.column);
            assert.ok(valueText.startsWith(JSON.stringify(child, null, indent).split("\n")[0]));
            walk(child, [...path, k]);
          }
        }
      };
      walk(value, []);
    }),
    { numRuns: 300 },
  );
});

Deno.test("JSON parser: BOM, deep nesting and __proto__ are handled without crashing", () => {
  assert.deepEqual(parseJsonWithLocations('\ufeff{"a": 1}', "x.json").value, { a: 1 });
  assert.throws(() => parseJsonWithLocations("[".repeat(10_000), "x.json"), (e: unknown) => {
    assert.ok(e instanceof ConfigSyntaxError);
    assert.match(e.message, /nesting too deep/);
    return true;
  });
  assert.throws(
    () => parseJsonWithLocations('{"__proto__": {"x": 1}}', "x.json"),
    {
      message:
        'x.json:1:2: JSON syntax error: unsafe property name "__proto__" (expected another name)',
    },
  );
});
