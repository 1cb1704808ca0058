import assert from "node:assert/strict";
import { isolatedEnv, peersConfig, ROOT } from "../_helpers/cli.ts";
import { VERSION } from "../../lib/cli/version.ts";

async function run(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = await isolatedEnv();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code, stdout: d.decode(stdout), stderr: d.decode(stderr) };
}

Deno.test("runs from a file:// URL outside the checkout (deno.json found beside main.ts)", async () => {
  const elsewhere = await Deno.makeTempDir();
  const url = new URL("../../main.ts", import.meta.url).href;
  const version = await run(["run", "--no-prompt", "-A", url, "--version"], elsewhere);
  assert.equal(version.code, 0, version.stderr);
  assert.equal(version.stdout, `mcpchat ${VERSION}\n`);
  // Workers (config, MCP manager, transport) resolve from the same URLs.
  const config = await peersConfig(["everything"]);
  const call = await run(
    [
      "run",
      "--no-prompt",
      "-A",
      url,
      "--config",
      config,
      "tools",
      "call",
      "everything",
      "echo",
      "message=far",
    ],
    elsewhere,
  );
  assert.equal(call.code, 0, call.stderr);
  assert.equal(call.stdout, "Echo: far\n");
});

Deno.test("runs from an http:// URL with the remote import map (served as application/typescript)", async () => {
  const types: Record<string, string> = {
    ".ts": "application/typescript",
    ".json": "application/json",
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path.includes("..")) return new Response("no", { status: 400 });
    try {
      const body = await Deno.readFile(ROOT + path.slice(1));
      const ext = path.slice(path.lastIndexOf("."));
      return new Response(body, { headers: { "content-type": types[ext] ?? "text/plain" } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const origin = `http://127.0.0.1:${server.addr.port}`;
    const base = [
      "run",
      `--reload=${origin}`,
      "--no-prompt",
      "-A",
      "--unstable-kv",
      "--unstable-worker-options",
      "--import-map",
      `${origin}/deno.json`,
      `${origin}/main.ts`,
    ];
    const elsewhere = await Deno.makeTempDir();
    const version = await run([...base, "--version"], elsewhere);
    assert.equal(version.code, 0, version.stderr);
    assert.equal(version.stdout, `mcpchat ${VERSION}\n`);
    const config = await peersConfig(["everything"]);
    const call = await run(
      [...base, "--config", config, "tools", "call", "everything", "echo", "message=remote"],
      elsewhere,
    );
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, "Echo: remote\n");
  } finally {
    await server.shutdown();
  }
});

Deno.test("the package is ready for JSR: deno publish --dry-run passes", async () => {
  const { code, stderr, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, text);
  assert.match(text, /Dry run complete/);
  assert.doesNotMatch(text, /tests\/fixtures/, "test files are not published");
});
