import assert from "node:assert/strict";
import { PEERS } from "../mcp/helpers.ts";
import { serveHttp } from "./_helpers.ts";

const CONFORMANCE = `${PEERS}@modelcontextprotocol/conformance/dist/index.js`;

/** Every server scenario of conformance 0.1.16: the default suite (30) and the pending two. */
const SCENARIOS = [
  "server-initialize",
  "logging-set-level",
  "ping",
  "completion-complete",
  "tools-list",
  "tools-call-simple-text",
  "tools-call-image",
  "tools-call-audio",
  "tools-call-embedded-resource",
  "tools-call-mixed-content",
  "tools-call-with-logging",
  "tools-call-error",
  "tools-call-with-progress",
  "tools-call-sampling",
  "tools-call-elicitation",
  "json-schema-2020-12",
  "elicitation-sep1034-defaults",
  "server-sse-polling",
  "server-sse-multiple-streams",
  "elicitation-sep1330-enums",
  "resources-list",
  "resources-read-text",
  "resources-read-binary",
  "resources-templates-read",
  "resources-subscribe",
  "resources-unsubscribe",
  "prompts-list",
  "prompts-get-simple",
  "prompts-get-with-args",
  "prompts-get-embedded-resource",
  "prompts-get-with-image",
  "dns-rebinding-protection",
];

Deno.test("conformance 0.1.16 server scenarios against `mcpchat serve --http --conformance-fixtures`", async (t) => {
  const served = await serveHttp(["--conformance-fixtures"]);
  const cwd = await Deno.makeTempDir();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CONFORMANCE, "server", "--url", served.url, "--suite", "all"],
      cwd,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(240_000),
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    const summary = text.slice(text.lastIndexOf("=== SUMMARY ==="));
    for (const scenario of SCENARIOS) {
      await t.step(scenario, () => {
        const line = summary.split("\n").find((l) => l.includes(` ${scenario}: `));
        assert.ok(line, `${scenario} did not run\n${summary}`);
        assert.match(line, /✓ .*: \d+ passed, 0 failed/, line);
      });
    }
    assert.match(summary, /Total: \d+ passed, 0 failed/, summary);
    assert.equal(out.code, 0, summary);
  } finally {
    await served.stop();
    await Deno.remove(cwd, { recursive: true });
  }
});
