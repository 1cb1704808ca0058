/**
 * mcpchat: a terminal chat client for LLMs that speaks the Model Context
 * Protocol.
 *
 * This entry has no static imports on purpose: it must run even where the
 * rest of the code cannot load yet. Three ways in:
 *
 * - From a checkout, a `file:` URL or a compiled binary, `deno.json` applies
 *   (import map, `--unstable-kv`, `--unstable-worker-options`) and the CLI
 *   runs at once.
 * - From an `http(s):` URL (`deno run -A https://…/main.ts`), Deno applies
 *   neither the remote `deno.json` nor, for imported modules, a `.ts` served
 *   with a media type it does not know (a plain static server). So this file
 *   copies the source once per version into the user's cache (walking the
 *   relative imports from here) and runs that copy with its `deno.json`.
 * - Started without what it needs (`--no-config`, a missing unstable flag),
 *   it says which flag is missing and the exact command to run instead.
 *
 * Deno reads an entry served with an unknown media type as JavaScript, so
 * this file is written in the part of TypeScript that is also JavaScript (no
 * annotations: types come from default values).
 *
 * ```sh
 * deno run -A main.ts --help
 * ```
 *
 * @module
 */

export {};

/** What the running Deno lacks for mcpchat, as the flag or option that gives it. */
function missingRuntimeFeatures() {
  const missing = [""].slice(1);
  try {
    import.meta.resolve("picocolors");
  } catch {
    missing.push("the import map of deno.json");
  }
  if (typeof Deno.openKv !== "function") missing.push("--unstable-kv");
  if (workerOptionsOff()) missing.push("--unstable-worker-options");
  return missing;
}

/**
 * Whether this Deno was started without `--unstable-worker-options`. Deno shows
 * no sign of it to the program, and the first narrowed worker would end the
 * process (exit 70) after `--version` already worked; so read Deno's own
 * options where the system shows them (Linux), and say "off" only when sure:
 * no flag, and no config file or one whose `unstable` list lacks it. A config
 * Deno found by itself is taken to be this checkout's (the import map check
 * above catches a foreign one).
 */
function workerOptionsOff() {
  let argv = [""];
  try {
    argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0").slice(0, -1);
  } catch {
    return false; // not Linux, or no read permission: cannot tell
  }
  // `deno run [OPTIONS] SCRIPT [ARGS]`; a compiled binary has its flags built in.
  if (argv[1] !== "run") return false;
  const options = argv.slice(2, argv.length - Deno.args.length - 1);
  if (options.includes("--unstable-worker-options")) return false;
  if (options.includes("--no-config")) return true;
  const at = options.findIndex((o) => /^(--config|-c)(=|$)/.test(o));
  if (at < 0) return false;
  const path = options[at].includes("=") ? options[at].replace(/^[^=]*=/, "") : options[at + 1];
  try {
    return !/"worker-options"/.test(Deno.readTextFileSync(path));
  } catch {
    return false;
  }
}

/** Where this copy keeps the sources it fetched from a URL. */
function cacheRoot() {
  const env = (name = "") => Deno.env.get(name);
  const base = env("XDG_CACHE_HOME") ||
    (Deno.build.os === "windows" ? env("LOCALAPPDATA") : undefined) ||
    (Deno.build.os === "darwin" ? `${env("HOME")}/Library/Caches` : `${env("HOME")}/.cache`);
  return `${base}/mcpchat/source`;
}

/** Relative module and JSON specifiers in a source text (imports, workers, `new URL`). */
const RELATIVE_SPECIFIER = /["'`](\.\.?\/[\w./-]+\.(?:ts|json))["'`]/g;

async function sha256(text = "") {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Copies the sources under `base` that `main.ts` reaches into `dir`, through
 * a temporary directory renamed at the end (a half copy is never used).
 */
async function mirrorSources(base = new URL("file:///"), dir = "", denoJson = "") {
  const staging = `${dir}.partial-${Deno.pid}`;
  await Deno.mkdir(staging, { recursive: true });
  const seen = new Set(["main.ts", "deno.json", "deno.lock"]);
  const queue = ["main.ts", "deno.lock"];
  await Deno.writeTextFile(`${staging}/deno.json`, denoJson);
  let count = 1;
  const fetchOne = async (path = "") => {
    const response = await fetch(new URL(path, base));
    if (!response.ok) {
      // A path named only in a comment, or the optional lock file: nothing to copy.
      await response.body?.cancel();
      if (response.status === 404) return;
      throw new Error(`${new URL(path, base).href}: HTTP ${response.status}`);
    }
    const text = await response.text();
    const target = `${staging}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(target, text);
    count++;
    if (!path.endsWith(".ts")) return;
    for (const [, specifier] of text.matchAll(RELATIVE_SPECIFIER)) {
      const url = new URL(specifier, new URL(path, base));
      if (!url.href.startsWith(base.href)) continue;
      const relative = url.href.slice(base.href.length);
      if (!seen.has(relative)) {
        seen.add(relative);
        queue.push(relative);
      }
    }
  };
  // Four at a time: a plain static server (python3 -m http.server) queues only five
  // connections; more wait a second each for a SYN retry.
  while (queue.length > 0) await Promise.all(queue.splice(0, 4).map(fetchOne));
  try {
    await Deno.rename(staging, dir);
  } catch (error) {
    // Another run copied the same version first: use its copy.
    await Deno.remove(staging, { recursive: true });
    if (!await Deno.stat(`${dir}/main.ts`).then(() => true, () => false)) throw error;
  }
  return count;
}

/** Runs the local copy of the sources at `base` with `args`; resolves with its exit code. */
async function runFromUrl(base = new URL("file:///"), args = [""]) {
  const response = await fetch(new URL("deno.json", base));
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${new URL("deno.json", base).href}: HTTP ${response.status}`);
  }
  const denoJson = await response.text();
  // One copy per URL and deno.json (its version): a new release is fetched once.
  const dir = `${cacheRoot()}/${(await sha256(base.href + "\n" + denoJson)).slice(0, 16)}`;
  if (!await Deno.stat(`${dir}/main.ts`).then(() => true, () => false)) {
    Deno.stderr.writeSync(new TextEncoder().encode(`mcpchat: fetching ${base.href} …\n`));
    const files = await mirrorSources(base, dir, denoJson);
    Deno.stderr.writeSync(new TextEncoder().encode(`mcpchat: ${files} files in ${dir}\n`));
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "-A", "--config", `${dir}/deno.json`, `${dir}/main.ts`, ...args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the child from the terminal; stay alive to pass on its exit code.
  const ignore = () => {};
  const term = () => child.kill("SIGTERM");
  const hup = () => child.kill("SIGHUP");
  const posix = Deno.build.os !== "windows";
  if (posix) {
    Deno.addSignalListener("SIGINT", ignore);
    Deno.addSignalListener("SIGTERM", term);
    Deno.addSignalListener("SIGHUP", hup);
  }
  const status = await child.status;
  if (posix) {
    Deno.removeSignalListener("SIGINT", ignore);
    Deno.removeSignalListener("SIGTERM", term);
    Deno.removeSignalListener("SIGHUP", hup);
  }
  const numbers = new Map([["SIGHUP", 1], ["SIGINT", 2], ["SIGKILL", 9], ["SIGTERM", 15]]);
  return status.signal ? 128 + (numbers.get(status.signal) ?? 1) : status.code;
}

if (import.meta.main) {
  const here = new URL(import.meta.url);
  const missing = missingRuntimeFeatures();
  if (missing.length === 0) {
    // Only the quick paths are named here: `main` imports the app in a form Deno
    // does not prepare ahead, so `--version` and `--help` read none of it.
    const { main } = await import("./lib/cli/main.ts");
    Deno.exit(await main(Deno.args));
  }
  if (here.protocol === "http:" || here.protocol === "https:") {
    Deno.exit(await runFromUrl(new URL(".", here), Deno.args));
  }
  const root = new URL(".", here);
  const configPath = new URL("deno.json", root).pathname;
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `mcpchat: started without ${missing.join(" and ")}; run it with its deno.json:\n` +
        `  deno run --no-prompt -A --config ${configPath} ${here.pathname}\n`,
    ),
  );
  Deno.exit(2);
}
