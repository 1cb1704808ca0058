import assert from "node:assert/strict";

interface Dep {
  specifier: string;
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface Mod {
  specifier: string;
  dependencies?: Dep[];
}

/** Modules loaded at run time by a static import chain from `entry` (type-only and dynamic imports excluded). */
async function staticRuntimeGraph(entry: string): Promise<{ local: string[]; remote: string[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: Mod[];
    redirects?: Record<string, string>;
  };
  const bySpec = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const remote: string[] = [];
  const queue = [...info.roots];
  while (queue.length) {
    const spec = queue.shift()!;
    const resolved = info.redirects?.[spec] ?? spec;
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    if (!resolved.startsWith("file:")) {
      remote.push(resolved);
      continue;
    }
    for (const d of bySpec.get(resolved)?.dependencies ?? []) {
      if (d.code && !d.isDynamic) queue.push(d.code.specifier);
    }
  }
  return { local: [...seen].filter((s) => s.startsWith("file:")), remote };
}

Deno.test("the pooled transport worker loads no npm code at all (the SDK only via the HTTP path's dynamic import)", async () => {
  const entry = new URL("../../plugins/mcp_transports.ts", import.meta.url).href;
  const { local, remote } = await staticRuntimeGraph(entry);
  assert.deepEqual(remote, [], `static npm/remote imports: ${remote.join(", ")}`);
  assert.ok(local.some((s) => s.endsWith("lib/mcp/stdio_process.ts")));
  assert.ok(
    !local.some((s) => s.endsWith("lib/mcp/http_session.ts")),
    "HTTP session must be a dynamic import",
  );
});
