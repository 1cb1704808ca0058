/**
 * The config plugin in a real worker narrowed to the permissions
 * `configWorkerPermissions` computes: it loads, validates and shows config,
 * errors arrive as RemoteErrors carrying file/line/column, and a file outside
 * its read permission is refused.
 */
import assert from "node:assert/strict";
import { RemoteError, startPlugin, type SurfaceOf } from "../../lib/plugin/mod.ts";
import type { configPlugin } from "../../plugins/config.ts";
import { configWorkerPermissions } from "../../lib/config/permissions.ts";
import { isConfigError } from "../../lib/config/errors.ts";

type ConfigSurface = SurfaceOf<typeof configPlugin>;
const module = new URL("../../plugins/config.ts", import.meta.url);

interface Setup {
  dir: string;
  outside: string;
  configPath: string;
}

async function withConfigWorker(
  files: Record<string, string>,
  fn: (
    worker: Awaited<ReturnType<typeof startPlugin<ConfigSurface>>>,
    setup: Setup,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mcpchat-config-dir-" });
  const outside = await Deno.makeTempDir({ prefix: "mcpchat-config-outside-" });
  const configPath = `${dir}/config.toml`;
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(
      name.replaceAll("$DIR", dir).replaceAll("$OUTSIDE", outside),
      text.replaceAll("$DIR", dir).replaceAll("$OUTSIDE", outside),
    );
  }
  const permissions = configWorkerPermissions({ env: Deno.env.toObject(), configPath });
  const worker = await startPlugin<ConfigSurface>({
    name: "config",
    module,
    permissions,
    init: { path: configPath },
    heartbeat: false,
  });
  try {
    await fn(worker, { dir, outside, configPath });
  } finally {
    await worker.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
}

Deno.test("config worker: load merges the TOML, its servers file and MCPCHAT_* variables", async () => {
  Deno.env.set("MCPCHAT_UI_COLOR", "never");
  try {
    await withConfigWorker({
      "$DIR/config.toml": '[mcp]\nstartup_mode = "eager"\nservers_file = "mcp.json"\n',
      "$DIR/mcp.json": '{"mcpServers": {"everything": {"command": "node", "args": ["x.js"]}}}',
    }, async (worker, { dir, configPath }) => {
      const { config, sources, warnings } = await worker.peer.call("load", {});
      assert.equal(config.mcp.startup_mode, "eager");
      assert.equal(config.ui.color, "never");
      assert.equal(config.mcp.servers.everything.type, "stdio");
      assert.deepEqual(sources, [configPath, `${dir}/mcp.json`, "$MCPCHAT_UI_COLOR"]);
      assert.deepEqual(warnings, []);
      // Presence of the key in this process decides `configured`, as seen from the worker.
      assert.equal(
        config.llm.backends.anthropic.configured,
        (Deno.env.get("ANTHROPIC_API_KEY") ?? "").trim() !== "",
      );
      assert.deepEqual(await worker.peer.call("path", {}), { path: configPath, explicit: true });
    });
  } finally {
    Deno.env.delete("MCPCHAT_UI_COLOR");
  }
});

Deno.test("config worker: a bad file fails with a RemoteError carrying code, file, line and column", async () => {
  await withConfigWorker({
    "$DIR/config.toml": '[mcp]\nstartup_mode = "soon"\n',
  }, async (worker, { configPath }) => {
    await assert.rejects(() => worker.peer.call("load", {}), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.ok(isConfigError(e));
      assert.equal(e.remoteName, "ConfigValidationError");
      assert.equal(e.code, "CONFIG_INVALID");
      assert.equal(
        e.message,
        `${configPath}:2:16: mcp.startup_mode: expected one of "lazy", "eager", "background", got "soon"`,
      );
      assert.equal(e.data?.file, configPath);
      assert.equal(e.data?.line, 2);
      assert.equal(e.data?.column, 16);
      assert.equal(e.data?.expected, 'one of "lazy", "eager", "background"');
      return true;
    });
  });
});

Deno.test("config worker: validate reports errors as data; show redacts secrets", async () => {
  await withConfigWorker({
    "$DIR/config.toml": '[mcp_server]\ntoken = "very-secret-token"\n',
    "$DIR/other.toml": "[ui]\ncolour = 1\n",
  }, async (worker, { dir }) => {
    const report = await worker.peer.call("validate", { path: `${dir}/other.toml` });
    assert.equal(report.ok, false);
    assert.equal(report.errors.length, 1);
    assert.equal(report.errors[0].code, "CONFIG_UNKNOWN_KEY");
    assert.equal(report.errors[0].line, 2);
    assert.equal(report.errors[0].hint, 'did you mean "color"?');
    const shown = await worker.peer.call("show", {});
    assert.ok(!shown.includes("very-secret-token"));
    assert.match(shown, /\ntoken = "<redacted>"\n/);
  });
});

Deno.test("config worker: a servers file outside its read permission is refused with a clear error", async () => {
  await withConfigWorker({
    "$DIR/config.toml": '[mcp]\nservers_file = "$OUTSIDE/mcp.json"\n',
    "$OUTSIDE/mcp.json": '{"mcpServers": {}}',
  }, async (worker, { outside, configPath }) => {
    await assert.rejects(() => worker.peer.call("load", {}), (e: unknown) => {
      assert.ok(e instanceof RemoteError);
      assert.equal(e.code, "CONFIG_PERMISSION");
      assert.equal(e.data?.file, `${outside}/mcp.json`);
      assert.match(e.message, /not permitted in the config service/);
      assert.match(e.message, new RegExp(`named by mcp\\.servers_file at ${configPath}:2:16`));
      return true;
    });
    // An explicit path outside the permission is refused too, not silently skipped.
    await assert.rejects(
      () => worker.peer.call("load", { path: `${outside}/mcp.json` }),
      (e: unknown) => e instanceof RemoteError && e.code === "CONFIG_PERMISSION",
    );
  });
});

Deno.test("config worker: planServerEdit returns the new text of the right file (it cannot write)", async () => {
  await withConfigWorker({
    "$DIR/config.toml": '# mine\n[mcp]\nservers_file = "mcp.json"\n',
    "$DIR/mcp.json": '{"mcpServers": {"memory": {"command": "npx"}}, "globalShortcut": "x"}',
  }, async (worker, { dir, configPath }) => {
    const added = await worker.peer.call("planServerEdit", {
      op: "add",
      name: "fs",
      server: { command: "npx", args: ["-y", "server-filesystem"] },
    });
    assert.deepEqual(added, {
      file: configPath,
      text: '# mine\n[mcp]\nservers_file = "mcp.json"\n\n[mcp.servers.fs]\ncommand = "npx"\n' +
        'args = [ "-y", "server-filesystem" ]\n',
    });
    // The server lives in the servers file: that is the file to edit.
    const removed = await worker.peer.call("planServerEdit", { op: "remove", name: "memory" });
    assert.equal(removed.file, `${dir}/mcp.json`);
    assert.deepEqual(JSON.parse(removed.text), { mcpServers: {}, globalShortcut: "x" });
    // Nothing was written.
    assert.equal(await Deno.readTextFile(configPath), '# mine\n[mcp]\nservers_file = "mcp.json"\n');
    await assert.rejects(
      () => worker.peer.call("planServerEdit", { op: "remove", name: "nope" }),
      (e: unknown) => e instanceof RemoteError && e.code === "CONFIG_EDIT",
    );
  });
});

Deno.test("config worker: MCPCHAT_CONFIG names the file when no path is given", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcpchat-config-env-" });
  const file = `${dir}/chosen.toml`;
  await Deno.writeTextFile(file, '[ui]\ncolor = "always"\n');
  Deno.env.set("MCPCHAT_CONFIG", file);
  const worker = await startPlugin<ConfigSurface>({
    name: "config",
    module,
    permissions: configWorkerPermissions({ env: Deno.env.toObject() }),
    init: {},
    heartbeat: false,
  });
  try {
    const { config, sources } = await worker.peer.call("load", {});
    assert.equal(config.ui.color, "always");
    assert.deepEqual(sources, [file]);
    assert.deepEqual(await worker.peer.call("path", {}), { path: file, explicit: true });
  } finally {
    Deno.env.delete("MCPCHAT_CONFIG");
    await worker.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config worker: watch yields the config, then each change, then errors as data", async () => {
  await withConfigWorker({
    "$DIR/config.toml": '[ui]\ncolor = "never"\n',
  }, async (worker, { configPath }) => {
    const stop = new AbortController();
    const updates = worker.peer.stream("watch", {}, { signal: stop.signal, timeoutMs: Infinity });
    const next = async () => {
      const { value, done } = await updates.next();
      assert.ok(!done && value);
      return value;
    };
    const first = await next();
    assert.ok(first.ok);
    assert.equal(first.result.config.ui.color, "never");

    // Saved the way editors do: write a temporary file, rename it over the config.
    const save = async (text: string) => {
      await Deno.writeTextFile(`${configPath}.tmp`, text);
      await Deno.rename(`${configPath}.tmp`, configPath);
    };
    await save('[ui]\ncolor = "always"\n');
    const second = await next();
    assert.ok(second.ok);
    assert.equal(second.result.config.ui.color, "always");

    await save('[ui]\ncolor = "sometimes"\n');
    const third = await next();
    assert.ok(!third.ok);
    assert.equal(third.error.code, "CONFIG_INVALID");
    assert.equal(third.error.line, 2);
    assert.equal(third.error.column, 9);

    stop.abort();
    await assert.rejects(() => updates.next(), (e: unknown) => e instanceof Error);
  });
});

Deno.test("config worker: a servers_file outside the config dir works once discoverExtraReads grants it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mcpchat-config-dir-" });
  const outside = await Deno.makeTempDir({ prefix: "mcpchat-config-outside-" });
  const configPath = `${dir}/config.toml`;
  await Deno.writeTextFile(
    configPath,
    `[mcp]\nservers_file = "${outside}/claude_desktop_config.json"\n`,
  );
  await Deno.writeTextFile(
    `${outside}/claude_desktop_config.json`,
    '{"mcpServers": {"m": {"command": "x"}}}',
  );
  await Deno.writeTextFile(`${outside}/secret.txt`, "not for the config worker");
  const { discoverExtraReads } = await import("../../lib/config/permissions.ts");
  const env = Deno.env.toObject();
  const extraRead = await discoverExtraReads({ env, configPath });
  assert.deepEqual(extraRead, [`${outside}/claude_desktop_config.json`]);
  const worker = await startPlugin<ConfigSurface>({
    name: "config",
    module,
    permissions: configWorkerPermissions({ env, configPath, extraRead }),
    init: { path: configPath },
    heartbeat: false,
  });
  try {
    const { config } = await worker.peer.call("load", {});
    assert.deepEqual(Object.keys(config.mcp.servers), ["m"]);
    // Exactly that file: its neighbours stay out of reach.
    const report = await worker.peer.call("validate", { path: `${outside}/secret.txt` });
    assert.equal(report.ok, false);
    assert.equal(report.errors[0].code, "CONFIG_PERMISSION");
  } finally {
    await worker.stop();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
