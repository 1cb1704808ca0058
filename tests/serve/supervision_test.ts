import assert from "node:assert/strict";
import { Runtime } from "../../lib/cli/runtime.ts";
import { ServeHost } from "../../lib/cli/serve_host.ts";
import type { McpServeSurface } from "../../lib/cli/commands/serve.ts";
import type { PluginRef } from "../../lib/plugin/ref.ts";
import type { SupervisorEvent } from "../../lib/supervisor/types.ts";
import { mcpServeSpec } from "../../plugins/manifest.ts";
import { isolatedEnv } from "../_helpers/cli.ts";
import { httpClient, structured } from "./_helpers.ts";

Deno.test("mcp-serve is a permanent child of the root supervisor: a crashed server comes back and serves", async () => {
  const env = await isolatedEnv();
  const events: SupervisorEvent[] = [];
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(configPath, `[session]\ndata_dir = "${env.HOME}/data"\n`);
  const runtime = await Runtime.boot({
    env,
    cwd: env.HOME,
    configPath,
    onEvent: (e) => events.push(e),
  });
  try {
    const { config } = await runtime.loadConfig();
    const target: { ref?: PluginRef<McpServeSurface> } = {};
    const host = new ServeHost({
      runtime,
      config,
      env,
      allowTools: [],
      emit: (event, data) => target.ref?.emit(event, data),
    });
    const ref = await runtime.serve(() =>
      mcpServeSpec(
        {
          transport: "http",
          hostname: "127.0.0.1",
          port: 0,
          allowedOrigins: [],
          maxBodyBytes: 1 << 20,
          rateLimitPerSecond: 0,
          fixtures: false,
          version: "test",
        },
        { ...host.handlers(), listening: () => Promise.resolve() },
        config,
      )
    );
    target.ref = ref;
    const first = await ref.call("info");
    const before = await httpClient(first.url!);
    const made = structured<{ session_id: string }>(
      await before.callTool({ name: "new_session", arguments: {} }),
    );
    await before.close();

    ref.current!.end({ kind: "crash", error: "injected by the test" });
    const again = await ref.call("info");
    assert.ok(events.some((e) => e.type === "restarted" && e.id === "mcp-serve"));
    const after = await httpClient(again.url!);
    const listed = structured<{ sessions: { id: string }[] }>(
      await after.callTool({ name: "list_sessions", arguments: {} }),
    );
    assert.ok(listed.sessions.some((s) => s.id === made.session_id), "stored sessions survive");
    await after.close();
    await host.close();
  } finally {
    await runtime.shutdown();
  }
});
