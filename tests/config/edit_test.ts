import assert from "node:assert/strict";
import {
  addServerToToml,
  ConfigError,
  ConfigValidationError,
  loadConfig,
  removeServerFromToml,
} from "../../lib/config/mod.ts";
import { addServerToJson, removeServerFromJson } from "../../lib/config/edit_json.ts";
import { HOME, memoryFiles } from "./_helpers.ts";

const BASE = `# my mcpchat config
[llm]
default = "openai" # the usual

# filesystem access for notes
[mcp.servers.fs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "~/notes"]

[mcp.servers.fs.env]
LOG_LEVEL = "debug"

# the memory server, keep it
[mcp.servers.memory]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-memory"]

[ui]
color = "never"
`;

async function load(text: string) {
  return (await loadConfig({
    path: "/c.toml",
    env: { HOME },
    readTextFile: memoryFiles({ "/c.toml": text }),
  }))
    .config;
}

Deno.test("servers add (TOML): appends a table, keeps every other byte, and loads", async () => {
  const next = addServerToToml(BASE, "everything", {
    command: "node",
    args: ["server.js", "stdio"],
    env: { "MY VAR": "1" },
    startup_mode: "eager",
  }, "/c.toml");
  assert.ok(next.startsWith(BASE));
  assert.equal(
    next.slice(BASE.length),
    '\n[mcp.servers.everything]\ncommand = "node"\nargs = [ "server.js", "stdio" ]\nenv = { "MY VAR" = "1" }\nstartup_mode = "eager"\n',
  );
  const config = await load(next);
  assert.deepEqual(config.mcp.servers.everything, {
    type: "stdio",
    command: "node",
    args: ["server.js", "stdio"],
    env: { "MY VAR": "1" },
    startup_mode: "eager",
    enabled: true,
  });
  assert.equal(
    addServerToToml("", "web", { url: "https://x.example/mcp" }, "/c.toml"),
    '[mcp.servers.web]\nurl = "https://x.example/mcp"\n',
  );
});

Deno.test("servers add (TOML): refuses a bad definition, a taken name, and an inline servers table", () => {
  assert.throws(
    () => addServerToToml(BASE, "web", { type: "http", url: "ftp://x" }, "/c.toml"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigValidationError);
      assert.equal(
        e.message,
        'new server "web": mcp.servers.web.url: expected an http:// or https:// URL such as "https://example.com/mcp", got "ftp://x"',
      );
      return true;
    },
  );
  assert.throws(
    () => addServerToToml(BASE, "bad name", { command: "x" }, "/c.toml"),
    ConfigValidationError,
  );
  assert.throws(() => addServerToToml(BASE, "fs", { command: "x" }, "/c.toml"), {
    message: '/c.toml:6: a server named "fs" already exists; give this one another name, ' +
      "or remove that one first (mcpchat servers remove fs)",
  });
  assert.throws(
    () =>
      addServerToToml(
        '[mcp]\nservers = { a = { command = "x" } }\n',
        "b",
        { command: "y" },
        "/c.toml",
      ),
    (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_EDIT" && e.line === 2,
  );
});

Deno.test("servers remove (TOML): removes the table, its sub-tables and its comment; keeps the next table's", async () => {
  const next = removeServerFromToml(BASE, "fs", "/c.toml");
  assert.equal(
    next,
    `# my mcpchat config
[llm]
default = "openai" # the usual

# the memory server, keep it
[mcp.servers.memory]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-memory"]

[ui]
color = "never"
`,
  );
  const config = await load(next);
  assert.deepEqual(Object.keys(config.mcp.servers), ["memory"]);
  assert.equal(config.ui.color, "never");
  const last = removeServerFromToml(next, "memory", "/c.toml");
  assert.deepEqual((await load(last)).mcp.servers, {});
  assert.match(last, /\n\[ui\]\ncolor = "never"\n$/);
});

Deno.test("servers remove (TOML): unknown name suggests; servers not in their own table are refused", () => {
  assert.throws(() => removeServerFromToml(BASE, "memroy", "/c.toml"), {
    message:
      '/c.toml: no server named "memroy" in this file (did you mean "memory"?); servers here: "fs", "memory"',
  });
  assert.throws(
    () => removeServerFromToml('[mcp]\nservers.a.command = "x"\n', "a", "/c.toml"),
    (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_EDIT" && e.line === 2,
  );
  // Set partly outside its table: removing only the table would leave half a server.
  assert.throws(
    () =>
      removeServerFromToml(
        '[mcp]\nservers.a.enabled = false\n[mcp.servers.a]\ncommand = "x"\n',
        "a",
        "/c.toml",
      ),
    (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_EDIT",
  );
});

Deno.test("servers add/remove (JSON): Claude Desktop file keeps its other members", async () => {
  const desktop = JSON.stringify({
    mcpServers: { fs: { command: "npx" } },
    globalShortcut: "Ctrl+Space",
  });
  const added = addServerToJson(
    desktop,
    "web",
    { type: "http", url: "https://x.example/mcp" },
    "/d.json",
  );
  assert.deepEqual(JSON.parse(added), {
    mcpServers: { fs: { command: "npx" }, web: { type: "http", url: "https://x.example/mcp" } },
    globalShortcut: "Ctrl+Space",
  });
  const { config } = await loadConfig({
    path: "/d.json",
    env: { HOME },
    readTextFile: memoryFiles({ "/d.json": added }),
  });
  assert.equal(config.mcp.servers.web.type, "http");
  const removed = removeServerFromJson(added, "fs", "/d.json");
  assert.deepEqual(JSON.parse(removed), {
    mcpServers: { web: { type: "http", url: "https://x.example/mcp" } },
    globalShortcut: "Ctrl+Space",
  });
  assert.deepEqual(JSON.parse(addServerToJson("", "a", { command: "x" }, "/n.json")), {
    mcpServers: { a: { command: "x" } },
  });
  assert.throws(
    () => removeServerFromJson(removed, "nope", "/d.json"),
    (e: unknown) => e instanceof ConfigError && e.code === "CONFIG_EDIT",
  );
});

Deno.test("servers add then remove (TOML) is a no-op on the data, whatever else the file holds", async () => {
  const fc = (await import("fast-check")).default;
  const { parse, stringify } = await import("smol-toml");
  // smol-toml builds null-prototype tables; compare data, not prototypes.
  const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
  const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean());
  const doc = fc.dictionary(
    fc.constantFrom("ui", "mcp", "llm", "tools", "x y"),
    fc.dictionary(
      fc.constantFrom("a", "servers", "b-c", "startup_mode"),
      fc.oneof(leaf, fc.dictionary(fc.constantFrom("k", "fs"), leaf, { maxKeys: 2 })),
      { maxKeys: 3 },
    ),
    { maxKeys: 3 },
  );
  const server = fc.oneof(
    fc.record({
      command: fc.constantFrom("npx", "node"),
      args: fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
    }),
    fc.record({
      type: fc.constantFrom("http", "sse"),
      url: fc.constantFrom("https://x.example/mcp", "http://127.0.0.1:1/sse"),
    }),
  );
  fc.assert(
    fc.property(doc, server, (document, definition) => {
      const text = stringify(document);
      let added: string;
      try {
        added = addServerToToml(text, "new-server", definition, "/c.toml");
      } catch (error) {
        // Refusing is fine (e.g. mcp.servers is not a table here); anything else is not.
        assert.ok(error instanceof ConfigError, String(error));
        return;
      }
      assert.deepEqual(
        plain(
          (parse(added) as { mcp: { servers: Record<string, unknown> } }).mcp.servers["new-server"],
        ),
        plain(definition),
      );
      const removed = removeServerFromToml(added, "new-server", "/c.toml");
      assert.deepEqual(plain(parse(removed)), plain(parse(text)));
    }),
    { numRuns: 300 },
  );
});
