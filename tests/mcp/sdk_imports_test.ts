/**
 * Every import of the MCP SDK in lib/ and plugins/ is type-checked: its `.js`
 * subpath loads at run time, and a `// @ts-types` line above it names the
 * declarations, which the SDK's `package.json` would otherwise send Deno
 * looking for in a `….js.d.ts` it does not ship (the import then types as
 * `any`, silently). tests/ and bench/ import it the same way, unenforced, so
 * that another branch's new test is no merge hazard. See
 * docs/architecture.md, "MCP SDK types".
 */
import assert from "node:assert/strict";
import { DENO_JSON, ROOT } from "../_helpers/cli.ts";

const SDK = "@modelcontextprotocol/sdk/";

/** The `.ts` files under `dir`, as paths relative to the repository. */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory && path !== "tests/peers") out.push(...await sources(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The source without its JSDoc blocks (their examples are for readers). */
function code(text: string): string {
  return text.replace(/\/\*\*[\s\S]*?\*\//g, "");
}

Deno.test("every SDK import in lib/ and plugins/ loads a .js file and names its declarations", async () => {
  const problems: string[] = [];
  let imports = 0;
  const dirs = ["lib", "plugins"];
  for (const path of (await Promise.all(dirs.map(sources))).flat()) {
    const text = code(await Deno.readTextFile(`${ROOT}${path}`));
    const statement = /^(?:import|export)\b[^;]*?\bfrom\s+"(@modelcontextprotocol\/sdk\/[^"]+)";/gm;
    for (const match of text.matchAll(statement)) {
      imports++;
      const specifier = match[1];
      const before = text.slice(0, match.index).split("\n").at(-2) ?? "";
      if (!specifier.endsWith(".js")) problems.push(`${path}: ${specifier} does not load`);
      else if (before !== `// @ts-types="${specifier.slice(0, -".js".length)}"`) {
        problems.push(`${path}: ${specifier} has no @ts-types line above it`);
      }
    }
    for (const match of text.matchAll(/(.*)\bimport\(\s*"(@modelcontextprotocol\/sdk\/[^"]+)"/g)) {
      imports++;
      // `const { X }: typeof Module = await import(` (the specifier may be on the next line).
      if (!/: typeof \w+ = await $/.test(match[1])) {
        problems.push(`${path}: import("${match[2]}") is not typed (: typeof X = await import)`);
      }
    }
  }
  assert.ok(imports > 30, `found only ${imports} SDK imports: is the pattern stale?`);
  assert.deepEqual(problems, []);
});

Deno.test("deno check: a .js subpath of the SDK is `any` without its @ts-types line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const check = async (header: string): Promise<string> => {
      const file = `${dir}/probe_${crypto.randomUUID()}.ts`;
      await Deno.writeTextFile(
        file,
        `${header}import { McpServer } from "${SDK}server/mcp.js";\n` +
          `export const wrong: number = new McpServer({ name: "probe", version: "1" });\n`,
      );
      const { stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["check", "--quiet", "--config", DENO_JSON, file],
        env: { NO_COLOR: "1" },
        stdout: "null",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(stderr);
    };
    // When this fails, the SDK ships its declarations where Deno looks: the lines can go.
    assert.doesNotMatch(await check(""), /TS2322/);
    assert.match(await check(`// @ts-types="${SDK}server/mcp"\n`), /TS2322.*McpServer/s);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
