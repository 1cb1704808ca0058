/**
 * One server type and one normaliser for foreign `mcpServers` JSON: the
 * config loader and `discover` read the same entry the same way.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../lib/config/mod.ts";
import { normalizeForeignServer, validateServer } from "../../lib/config/server.ts";
import { discoverServers } from "../../lib/mcp/discover.ts";
import { validateServerConfig } from "../../lib/mcp/server_check.ts";
import { McpConfigError } from "../../lib/mcp/errors.ts";
import { memoryFiles } from "./_helpers.ts";

/** Entries as Claude Desktop, Claude Code, Cursor, Windsurf and VS Code write them. */
const ENTRIES: Record<string, Record<string, unknown>> = {
  stdio: { command: "npx", args: ["-y", "x"], env: { A: "1" }, autoApprove: ["t"] },
  typedStdio: { type: "stdio", command: "node", args: ["s.js"] },
  legacySse: { url: "https://mcp.example.com/sse" },
  legacySseSlash: { url: "https://mcp.example.com/v1/sse/" },
  streamable: { url: "https://mcp.example.com/mcp" },
  windsurf: { serverUrl: "https://mcp.example.com/sse" },
  cursorHttp: { serverUrl: "https://mcp.example.com/mcp", headers: { X: "y" } },
  vscode: { type: "streamable-http", url: "https://api.example.com/mcp" },
  camel: { type: "streamableHttp", url: "https://api.example.com/mcp" },
  off: { command: "npx", disabled: true, timeout: 30 },
};

Deno.test("normaliser: serverUrl, type-less /sse URLs, streamable-http spellings, disabled", () => {
  const types = Object.fromEntries(
    Object.entries(ENTRIES).map(([name, entry]) => [
      name,
      validateServer(name, normalizeForeignServer(entry).server).type,
    ]),
  );
  assert.deepEqual(types, {
    stdio: "stdio",
    typedStdio: "stdio",
    legacySse: "sse",
    legacySseSlash: "sse",
    streamable: "http",
    windsurf: "sse",
    cursorHttp: "http",
    vscode: "http",
    camel: "http",
    off: "stdio",
  });
  const off = normalizeForeignServer(ENTRIES.off);
  assert.deepEqual(off.server, { command: "npx", enabled: false });
  assert.deepEqual(off.ignored, ["timeout"]);
  assert.deepEqual(normalizeForeignServer({ comand: "x" }).misspelt, [
    { key: "comand", suggestion: "command" },
  ]);
});

Deno.test("the config loader and discover read every foreign entry the same way", async () => {
  const text = JSON.stringify({ mcpServers: ENTRIES });
  const { config, warnings } = await loadConfig({
    path: "/cfg/claude.json",
    env: { HOME: "/home/ada" },
    readTextFile: memoryFiles({ "/cfg/claude.json": text }),
  });
  const { servers, problems } = await discoverServers({
    home: "/home/ada",
    cwd: "/w",
    platform: "linux",
    readFile: (path) => Promise.resolve(path === "/home/ada/.cursor/mcp.json" ? text : undefined),
  });
  assert.deepEqual(problems, []);
  const discovered = Object.fromEntries(servers.map((s) => [s.name, s.config]));
  assert.deepEqual(discovered, config.mcp.servers);
  assert.equal(config.mcp.servers.windsurf.type, "sse");
  assert.ok(warnings.some((w) => /mcpServers\.stdio\.autoApprove: ignored/.test(w)), warnings[0]);
});

Deno.test("a serverUrl error points at serverUrl where it is written", async () => {
  const text = '{\n  "mcpServers": {\n    "w": { "serverUrl": "ftp://nope" }\n  }\n}\n';
  await assert.rejects(
    loadConfig({
      path: "/cfg/m.json",
      env: { HOME: "/home/ada" },
      readTextFile: memoryFiles({ "/cfg/m.json": text }),
    }),
    (e: Error) => {
      assert.match(
        e.message,
        /^\/cfg\/m\.json:3:25: mcpServers\.w\.url: expected an http:\/\/ or https:\/\/ URL/,
      );
      return true;
    },
  );
});

Deno.test("the MCP client checks with the same schema, as McpConfigError", () => {
  assert.deepEqual(validateServerConfig("fs", { command: "npx" }), {
    type: "stdio",
    command: "npx",
    args: [],
    env: {},
    enabled: true,
  });
  assert.throws(() => validateServerConfig("fs", { command: "npx", oauth: { scope: 1 } }), (e) => {
    assert.ok(e instanceof McpConfigError);
    assert.match(e.message, /^mcp\.servers\.fs: url: expected no "url" on a stdio server|oauth/);
    return true;
  });
  // A deep value is refused by the strict schema, not copied around.
  let deep: unknown = 1;
  for (let i = 0; i < 10_000; i++) deep = { a: deep };
  assert.throws(() => validateServerConfig("fs", { command: "npx", env: deep }), McpConfigError);
});

Deno.test("duplicates: refused in the servers section, left alone in other clients' settings", async () => {
  const text = '{\n  "editor.fontSize": 12,\n  "editor.fontSize": 13,\n  "mcpServers": {\n' +
    '    "fs": {"command": "a", "command": "b"}\n  }\n}\n';
  await assert.rejects(
    loadConfig({
      path: "/cfg/m.json",
      env: { HOME: "/home/ada" },
      readTextFile: memoryFiles({ "/cfg/m.json": text }),
    }),
    (e: Error) => {
      assert.equal(
        e.message,
        '/cfg/m.json:5:28: mcpServers.fs.command: expected each key once in an object, got "command" ' +
          "again (first at line 5, column 12) (remove one of the two)",
      );
      return true;
    },
  );
});

Deno.test("discover: a pathological client file is one problem, never a crash", async () => {
  const deep = `{"mcpServers": {"x": ${'{"a": '.repeat(30_000)}1${"}".repeat(30_000)}}}`;
  const huge = `{"mcpServers": {"fs": {"command": "npx", "env": {${
    Array.from({ length: 30_000 }, (_, i) => `"K${i}": "v"`).join(", ")
  }}}}}`;
  const { servers, problems } = await discoverServers({
    home: "/home/ada",
    cwd: "/w",
    platform: "linux",
    readFile: (path) =>
      Promise.resolve(
        path === "/w/.mcp.json" ? deep : path === "/home/ada/.cursor/mcp.json" ? huge : undefined,
      ),
  });
  assert.deepEqual(problems.map((p) => [p.path, p.message]), [
    ["/w/.mcp.json", "not valid JSON: nested too deeply"],
  ]);
  assert.equal(servers.length, 1);
  assert.equal(Object.keys((servers[0].config as { env: object }).env).length, 30_000);
});
