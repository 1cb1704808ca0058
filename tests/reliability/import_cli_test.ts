/**
 * Session import and export files found from outside (issue 19), through
 * the real CLI process: deep nesting, oversized and non-regular files are
 * refused at once with the file named; exports are written private (0600).
 */
import assert from "node:assert/strict";
import { isolatedEnv, runCli } from "../_helpers/cli.ts";

/** A valid export whose one tool result nests `depth` arrays. */
function exportWithNesting(depth: number): string {
  return JSON.stringify({
    format: "mcpchat-session",
    version: 1,
    session: {
      id: "imported-1",
      title: "from outside",
      createdAt: 0,
      lastActive: 0,
      tokens: { input: 0, output: 0, cachedInput: 0 },
      cost: 0,
    },
    messages: [
      { role: "user", content: "hi", createdAt: 0 },
      {
        role: "tool",
        createdAt: 1,
        content: [{ type: "tool-result", id: "call-1", content: "@" }],
      },
    ],
  }).replace('"@"', "[".repeat(depth) + "]".repeat(depth));
}

const BOUND = { timeoutMs: 45_000 };

Deno.test("sessions import of deeply nested content is refused at once, naming the place", async () => {
  const env = await isolatedEnv();
  for (const depth of [100, 5_000, 100_000]) {
    const file = `${env.HOME}/deep-${depth}.json`;
    await Deno.writeTextFile(file, exportWithNesting(depth));
    const { code, stderr } = await runCli(["sessions", "import", file], { ...BOUND, env });
    assert.equal(code, 2, stderr);
    assert.match(
      stderr,
      new RegExp(
        `deep-${depth}\\.json: the file nests objects and arrays more than 80 levels deep ` +
          `\\(at line 1, column \\d+\\)`,
      ),
    );
    assert.doesNotMatch(stderr, /slow or stuck|call stack/);
  }
});

Deno.test("sessions import: not JSON and a FIFO get clear errors", async () => {
  const env = await isolatedEnv();
  const text = `${env.HOME}/notes.json`;
  await Deno.writeTextFile(text, "{ not json");
  const bad = await runCli(["sessions", "import", text], { ...BOUND, env });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /notes\.json: not valid JSON \(.*\); export a session with/);
  const fifo = `${env.HOME}/pipe.json`;
  assert.ok(new Deno.Command("mkfifo", { args: [fifo] }).outputSync().success);
  const piped = await runCli(["sessions", "import", fifo], { ...BOUND, env });
  assert.equal(piped.code, 2, piped.stderr);
  assert.match(piped.stderr, /pipe\.json: it is a FIFO \(named pipe\), not a regular file/);
});

Deno.test("nesting within the bound imports; export -o writes the file 0600, even over a 0644 one", async () => {
  const env = await isolatedEnv();
  const file = `${env.HOME}/ok.json`;
  await Deno.writeTextFile(file, exportWithNesting(20));
  const imported = await runCli(["sessions", "import", file, "--json"], { ...BOUND, env });
  assert.equal(imported.code, 0, imported.stderr);
  const { session } = JSON.parse(imported.stdout);
  assert.equal(session.messageCount, 2);
  const out = `${env.HOME}/out/transcript.json`;
  const exported = await runCli(
    ["sessions", "export", session.id, "--format", "json", "-o", out],
    { ...BOUND, env },
  );
  assert.equal(exported.code, 0, exported.stderr);
  assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
  assert.deepEqual(
    JSON.parse(await Deno.readTextFile(out)).messages,
    JSON.parse(exportWithNesting(20)).messages,
  );
  // An existing world-readable file is narrowed, not just truncated.
  const md = `${env.HOME}/old.md`;
  await Deno.writeTextFile(md, "old", { mode: 0o644 });
  await Deno.chmod(md, 0o644);
  const again = await runCli(["sessions", "export", session.id, "-o", md], { ...BOUND, env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal((await Deno.stat(md)).mode! & 0o777, 0o600);
  assert.match(await Deno.readTextFile(md), /from outside/);
});
