/**
 * `mcpchat serve --http --port 0` after its worker crashed: the supervisor
 * restarts it, it binds the port it had again (or, when that is taken, a new
 * one) and the address is announced again, so a real SDK client finds it.
 */
import assert from "node:assert/strict";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { isolatedEnv, spawnCli } from "../_helpers/cli.ts";
import { Runtime } from "../../lib/cli/runtime.ts";
import { ServeHost } from "../../lib/cli/serve_host.ts";
import type { McpServeSurface } from "../../lib/cli/commands/serve.ts";
import type { PluginRef } from "../../lib/plugin/ref.ts";
import { mcpServeSpec } from "../../plugins/manifest.ts";
import type { McpServeInit } from "../../plugins/mcp_serve.ts";
import { httpClient, serveConfig, structured } from "./_helpers.ts";

/** `promise`, or `undefined` after `ms` (a bound, not an assertion on time). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((
    resolve,
  ) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The lines of a stream, one at a time. */
function lines(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return {
    async next(): Promise<string | undefined> {
      while (!buffered.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffered += value;
      }
      const at = buffered.indexOf("\n");
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      return line.trim();
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

Deno.test("serve --http --port 0: after the worker crashes, the address is announced again and a client reconnects", async () => {
  const fake = await FakeProvider.start("text/event-stream");
  // The serve worker dies while a client's list_sessions waits on the host.
  const env = await isolatedEnv({ MCPCHAT_TEST_FAULT: "mcp-serve@listSessions" });
  const config = await serveConfig(fake, env);
  const child = spawnCli(["serve", "--http", "--port", "0", "--config", config], env);
  let err = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (err += chunk) }),
  );
  const out = lines(child.stdout);
  try {
    const first = await out.next();
    assert.match(first ?? "", /^http:\/\/127\.0\.0\.1:\d+\/mcp$/, err);

    const before = await httpClient(first!);
    // The call in flight when the server died fails (or, its connection left open by the
    // dead worker, times out).
    await assert.rejects(
      before.callTool({ name: "list_sessions", arguments: {} }, undefined, { timeout: 3_000 }),
    );
    await before.close().catch(() => {});

    // The restarted server says where it is, the same way as the first time.
    const again = await within(out.next(), 60_000);
    assert.match(again ?? "", /^http:\/\/127\.0\.0\.1:\d+\/mcp$/, err);
    assert.equal(again, first, "the port it had was free: bound again, clients keep their URL");
    const after = await httpClient(again!);
    const listed = structured<{ sessions: unknown[] }>(
      await after.callTool({ name: "list_sessions", arguments: {} }),
    );
    assert.deepEqual(listed.sessions, []);
    await after.close();
    assert.match(err, /MCP server restarted; serving again on http:\/\/127\.0\.0\.1:\d+\/mcp/);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await out.cancel();
    await errDone.catch(() => {});
    await fake.close();
    await Deno.remove(env.HOME, { recursive: true });
  }
});

Deno.test("a restarted serve worker whose port was taken meanwhile listens on a new one and says so", async () => {
  const env = await isolatedEnv();
  const configPath = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(configPath, `[session]\ndata_dir = "${env.HOME}/data"\n`);
  const runtime = await Runtime.boot({ env, cwd: env.HOME, configPath });
  // Someone else holds the port the server would prefer.
  const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { config } = await runtime.loadConfig();
    const host = new ServeHost({ runtime, config, env, allowTools: [], emit: () => {} });
    const heard: string[] = [];
    const init: McpServeInit = {
      transport: "http",
      hostname: "127.0.0.1",
      port: 0,
      preferPort: (squatter.addr as Deno.NetAddr).port,
      allowedOrigins: [],
      maxBodyBytes: 1 << 20,
      rateLimitPerSecond: 0,
      fixtures: false,
      version: "test",
    };
    const ref: PluginRef<McpServeSurface> = await runtime.serve(() =>
      mcpServeSpec(init, {
        ...host.handlers(),
        listening: ({ url }) => Promise.resolve(void heard.push(url)),
      }, config)
    );
    const info = await ref.call("info");
    const port = Number(new URL(info.url!).port);
    assert.notEqual(port, (squatter.addr as Deno.NetAddr).port);
    assert.deepEqual(heard, [info.url], "the new address reached the host");
    const client = await httpClient(info.url!);
    await client.listTools();
    await client.close();
    await host.close();
  } finally {
    squatter.close();
    await runtime.shutdown();
    await Deno.remove(env.HOME, { recursive: true });
  }
});
