/**
 * What loads before the first prompt, read from Deno's module graph (no
 * timing): the quick paths read none of the app, a command reads only its
 * own modules, and no npm package or heavy part is a static import on the
 * way to the prompt (they load on demand or behind it), nor any `node:` module
 * (the first one starts Deno's Node compatibility layer: ~9 ms and 3–5 MB).
 */
import assert from "node:assert/strict";
import { DENO_JSON, ROOT } from "../_helpers/cli.ts";

interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/**
 * The modules `entry` imports statically (what loads before its first line
 * runs); with `prepared`, also the dynamic imports Deno can read in the
 * source (it reads and resolves those with the entry, before it runs).
 */
async function staticGraph(entry: string, prepared = false): Promise<Set<string>> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", DENO_JSON, entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.ok(success, `deno info ${entry}`);
  const info = JSON.parse(new TextDecoder().decode(stdout));
  const modules = new Map<string, GraphModule>(
    info.modules.map((m: GraphModule) => [m.specifier, m]),
  );
  const redirects: Record<string, string> = info.redirects ?? {};
  const seen = new Set<string>();
  const queue: string[] = [...info.roots];
  while (queue.length) {
    const specifier = redirects[queue[0]] ?? queue[0];
    queue.shift();
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.code && (prepared || !dep.isDynamic)) queue.push(dep.code.specifier);
    }
  }
  return new Set(
    [...seen].map((s) => s.startsWith("file://") ? s.slice(`file://${ROOT}`.length) : s),
  );
}

Deno.test("--version and --help read no module of the app and no npm package", async () => {
  const graph = await staticGraph("main.ts");
  const prepared = await staticGraph("main.ts", true);
  assert.deepEqual([...graph], ["main.ts"]); // the rest is imported when it runs
  assert.ok(prepared.has("lib/cli/main.ts"));
  assert.ok(!prepared.has("lib/cli/app.ts"), "the app is prepared with the quick paths");
  assert.deepEqual([...prepared].filter((s) => s.startsWith("npm:")), []);
  assert.ok(prepared.has("lib/cli/args.ts")); // parsed before any command
  assert.deepEqual([...prepared].filter((s) => s.startsWith("node:")), []);
});

Deno.test("the app reads no command's modules until that command runs", async () => {
  const app = await staticGraph("lib/cli/app.ts", true);
  for (const command of ["repl", "oneshot", "mcp", "doctor", "serve", "sessions", "config"]) {
    assert.ok(!app.has(`lib/cli/commands/${command}.ts`), `app.ts imports commands/${command}.ts`);
  }
});

Deno.test("nothing heavy is a static import on the way to the REPL's first prompt", async () => {
  const before = new Set([
    ...await staticGraph("lib/cli/app.ts"),
    ...await staticGraph("lib/cli/commands/repl.ts"),
    ...await staticGraph("lib/cli/repl/terminal.ts"),
  ]);
  // npm packages (zod, the SDKs, marked, lowlight, wrap-ansi, string-width, picocolors…) load in
  // workers, on demand, or behind the prompt.
  assert.deepEqual([...before].filter((s) => s.startsWith("npm:")), []);
  for (const heavy of ["lib/ui/markdown.ts", "lib/ui/tool_blocks.ts", "lib/mcp/oauth.ts"]) {
    assert.ok(!before.has(heavy), `${heavy} loads before the prompt`);
  }
  assert.ok(before.has("lib/ui/editor.ts")); // the editor draws the prompt
});

Deno.test("no node: module loads on the main thread on the way to the prompt or the one-shot answer", async () => {
  // Importing any node: module starts Deno's Node compatibility layer (~9 ms, 3–5 MB), so the
  // main thread does without: lib/cli/flags.ts parses the command line, lib/util/path.ts does
  // paths. Workers and what loads behind the prompt may use them.
  for (const entry of ["main.ts", "lib/cli/main.ts"]) {
    const graph = await staticGraph(entry, true);
    assert.deepEqual([...graph].filter((s) => s.startsWith("node:")), [], entry);
  }
  for (
    const entry of [
      "lib/cli/args.ts",
      "lib/cli/app.ts",
      "lib/cli/commands/repl.ts",
      "lib/cli/repl/terminal.ts",
      "lib/cli/commands/oneshot.ts",
    ]
  ) {
    const graph = await staticGraph(entry);
    assert.deepEqual([...graph].filter((s) => s.startsWith("node:")), [], entry);
  }
});
