import assert from "node:assert/strict";
import {
  appPaths,
  cacheDir,
  configDir,
  ConfigError,
  dataDir,
  defaultConfigPath,
  resolveUserPath,
  stateDir,
} from "../../lib/config/mod.ts";

Deno.test("XDG: HOME-based defaults when no XDG variable is set", () => {
  const env = { HOME: "/home/ada" };
  assert.equal(configDir(env), "/home/ada/.config/mcpchat");
  assert.equal(defaultConfigPath(env), "/home/ada/.config/mcpchat/config.toml");
  assert.equal(dataDir(env), "/home/ada/.local/share/mcpchat");
  assert.equal(stateDir(env), "/home/ada/.local/state/mcpchat");
  assert.equal(cacheDir(env), "/home/ada/.cache/mcpchat");
});

Deno.test("XDG: absolute XDG_* variables win over HOME", () => {
  const env = {
    HOME: "/home/ada",
    XDG_CONFIG_HOME: "/cfg",
    XDG_DATA_HOME: "/data",
    XDG_STATE_HOME: "/state",
    XDG_CACHE_HOME: "/cache",
  };
  assert.deepEqual(appPaths(env), {
    configDir: "/cfg/mcpchat",
    configFile: "/cfg/mcpchat/config.toml",
    dataDir: "/data/mcpchat",
    stateDir: "/state/mcpchat",
    cacheDir: "/cache/mcpchat",
  });
});

Deno.test("XDG: empty or relative XDG_* values are ignored, as the spec requires", () => {
  const env = { HOME: "/home/ada", XDG_CONFIG_HOME: "", XDG_DATA_HOME: "relative/dir" };
  assert.equal(configDir(env), "/home/ada/.config/mcpchat");
  assert.equal(dataDir(env), "/home/ada/.local/share/mcpchat");
});

Deno.test("XDG: XDG_CONFIG_HOME alone works without HOME; nothing at all is a ConfigError", () => {
  assert.equal(configDir({ XDG_CONFIG_HOME: "/cfg" }), "/cfg/mcpchat");
  assert.equal(dataDir({ USERPROFILE: "/Users/ada" }), "/Users/ada/.local/share/mcpchat");
  assert.throws(() => dataDir({}), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.code, "CONFIG_NO_HOME");
    assert.match(e.message, /set HOME/);
    return true;
  });
});

Deno.test("resolveUserPath: ~ expands to HOME, relative paths resolve against the base dir", () => {
  const env = { HOME: "/home/ada" };
  assert.equal(resolveUserPath("~", "/etc", env), "/home/ada");
  assert.equal(resolveUserPath("~/notes", "/etc", env), "/home/ada/notes");
  assert.equal(resolveUserPath("mcp.json", "/cfg/mcpchat", env), "/cfg/mcpchat/mcp.json");
  assert.equal(resolveUserPath("../x/./y", "/cfg/mcpchat", env), "/cfg/x/y");
  assert.equal(resolveUserPath("/abs//p", "/cfg", env), "/abs/p");
});

Deno.test("config worker permissions: config dir, explicit file and its dir, extra reads; env list only", async () => {
  const { configWorkerPermissions } = await import("../../lib/config/permissions.ts");
  const { configEnvNames } = await import("../../lib/config/env_names.ts");
  assert.deepEqual(configWorkerPermissions({ env: { HOME: "/home/ada" } }), {
    read: ["/home/ada/.config/mcpchat"],
    env: configEnvNames(),
  });
  assert.deepEqual(
    configWorkerPermissions({
      env: { HOME: "/home/ada", XDG_CONFIG_HOME: "/xdg" },
      configPath: "/etc/mcpchat/team.toml",
      extraRead: ["/home/ada/Library/claude.json"],
    }).read,
    ["/xdg/mcpchat", "/etc/mcpchat/team.toml", "/etc/mcpchat", "/home/ada/Library/claude.json"],
  );
  // MCPCHAT_CONFIG counts as an explicit file; no HOME at all still yields a usable list.
  assert.deepEqual(configWorkerPermissions({ env: { MCPCHAT_CONFIG: "/srv/c.toml" } }).read, [
    "/srv/c.toml",
    "/srv",
  ]);
});

Deno.test("discoverExtraReads finds the servers_file outside the config dir, cheaply", async () => {
  const { discoverExtraReads } = await import("../../lib/config/permissions.ts");
  const files: Record<string, string> = {
    "/home/ada/.config/mcpchat/config.toml":
      '# servers_file = "/not/this.json"\n[mcp]\nservers_file = "~/Library/Application Support/Claude/claude_desktop_config.json"\n',
    "/etc/team.toml": "mcp.servers_file = 'shared/mcp.json'\n",
    "/w/quoted.toml": '[mcp]\nservers_file = "C:\\\\Users\\\\ada\\\\mcp.json"\n',
  };
  const readTextFile = (p: string) =>
    p in files ? Promise.resolve(files[p]) : Promise.reject(new Deno.errors.NotFound(p));
  const env = { HOME: "/home/ada" };
  assert.deepEqual(await discoverExtraReads({ env, readTextFile }), [
    "/home/ada/Library/Application Support/Claude/claude_desktop_config.json",
  ]);
  assert.deepEqual(await discoverExtraReads({ env, readTextFile, configPath: "/etc/team.toml" }), [
    "/etc/shared/mcp.json",
  ]);
  assert.deepEqual(
    await discoverExtraReads({ env, readTextFile, configPath: "/w/quoted.toml" }),
    ["/w/C:\\Users\\ada\\mcp.json"], // a Windows path is relative on POSIX: only the unescaping matters here
  );
  assert.deepEqual(
    await discoverExtraReads({
      env: { ...env, MCPCHAT_MCP_SERVERS_FILE: "/srv/m.json" },
      readTextFile: () => Promise.reject(new Deno.errors.NotFound()),
    }),
    ["/srv/m.json"],
  );
  assert.deepEqual(await discoverExtraReads({ env: {}, readTextFile }), []);
});
