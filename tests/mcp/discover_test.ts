import assert from "node:assert/strict";
import { discoverServers, discoveryLocations, parseJsonc } from "../../lib/mcp/discover.ts";

const HOME = "/home/ada";
const CWD = "/work/proj";

function reader(files: Record<string, string>) {
  const asked: string[] = [];
  return {
    asked,
    readFile: (p: string) => {
      asked.push(p);
      return Promise.resolve(files[p]);
    },
  };
}

Deno.test("discover: every client's file, normalized, deduplicated, problems reported", async () => {
  const r = reader({
    [`${HOME}/.config/Claude/claude_desktop_config.json`]: JSON.stringify({
      mcpServers: {
        memory: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"] },
        remote: { url: "https://mcp.example.com/sse" },
      },
    }),
    [`${HOME}/.claude.json`]: JSON.stringify({
      mcpServers: {
        memory: { command: "npx", args: ["-y", "@modelcontextprotocol/server-memory"] },
      },
      projects: {
        [CWD]: { mcpServers: { local: { type: "stdio", command: "node", args: ["s.js"] } } },
      },
    }),
    [`${CWD}/.mcp.json`]: JSON.stringify({ mcpServers: { broken: { args: ["x"] } } }),
    [`${CWD}/.vscode/mcp.json`]: `{
      // workspace servers
      "servers": {
        "gh": { "type": "http", "url": "https://api.example.com/mcp", "headers": { "Authorization": "Bearer \${input:token}" } },
      },
      "inputs": [],
    }`,
    [`${HOME}/.config/Code/User/settings.json`]:
      `{ "editor.fontSize": 13, /* c */ "mcp": { "servers": { "fs": { "command": "node", "args": ["fs.js"] } } } }`,
    [`${HOME}/.cursor/mcp.json`]: "{ not json",
  });
  const { servers, problems } = await discoverServers({
    home: HOME,
    cwd: CWD,
    platform: "linux",
    readFile: r.readFile,
  });
  const byName = Object.fromEntries(servers.map((s) => [s.name, s]));
  assert.deepEqual(Object.keys(byName).sort(), ["fs", "gh", "local", "memory", "remote"]);
  assert.equal(byName.memory.source, "claude-desktop");
  assert.deepEqual(byName.memory.alsoIn, [`${HOME}/.claude.json`]);
  assert.equal(byName.remote.config.type, "sse");
  assert.equal(byName.local.source, "claude-code");
  assert.equal(byName.gh.config.type, "http");
  assert.match(byName.gh.warnings[0], /input:token/);
  assert.equal(byName.fs.source, "vscode-user");
  assert.equal(problems.length, 2);
  assert.match(
    problems.find((p) => p.name === "broken")!.message,
    /mcp.servers.broken: expected "command" \(a stdio server\) or "url"/,
  );
  assert.match(
    problems.find((p) => p.path.endsWith(".cursor/mcp.json"))!.message,
    /not valid JSON/,
  );
});

Deno.test("discover: macOS and Windows paths", () => {
  const mac = discoveryLocations({
    home: HOME,
    cwd: CWD,
    platform: "darwin",
    readFile: () => Promise.resolve(undefined),
  });
  assert.ok(
    mac.some((l) =>
      l.path === `${HOME}/Library/Application Support/Claude/claude_desktop_config.json`
    ),
  );
  assert.ok(
    mac.some((l) => l.path === `${HOME}/Library/Application Support/Code/User/settings.json`),
  );
  const win = discoveryLocations({
    home: "C:/Users/ada",
    cwd: "C:/w",
    platform: "windows",
    appData: "C:/Users/ada/AppData/Roaming",
    readFile: () => Promise.resolve(undefined),
  });
  assert.ok(
    win.some((l) => l.path === "C:/Users/ada/AppData/Roaming/Claude/claude_desktop_config.json"),
  );
});

Deno.test("parseJsonc: comments, trailing commas, strings containing // and /*", async () => {
  assert.deepEqual(await parseJsonc('{"u": "http://x/*y*/", // c\n "a": [1,],}'), {
    u: "http://x/*y*/",
    a: [1],
  });
});
