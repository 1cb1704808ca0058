/**
 * Runs the real mcpchat CLI as a child process, with pipes or under a real
 * pseudo-terminal, the way users and scripts meet it.
 *
 * @module
 */

import { networkEnv } from "../../lib/util/network_env.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";

/** Absolute path of the CLI entry. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;
/** The checkout's root. */
export const ROOT = new URL("../../", import.meta.url).pathname;
/** The deno.json of the checkout (applies the import map and unstable flags). */
export const DENO_JSON = new URL("../../deno.json", import.meta.url).pathname;

/** Result of a finished CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode runCli}. */
export interface CliOptions {
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the run after this many ms (a bound, not an assertion). Default 60 s. */
  timeoutMs?: number;
}

let denoDir: Promise<string> | undefined;

/** The Deno cache of this test run, so children with a private HOME reuse it offline. */
export function currentDenoDir(): Promise<string> {
  denoDir ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const { stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return JSON.parse(new TextDecoder().decode(stdout)).denoDir as string;
  })();
  return denoDir;
}

/**
 * A private, empty HOME and XDG dirs so tests never see the user's config or
 * sessions; the CA and proxy variables pass through, or a child with a cold
 * cache cannot download its npm packages behind a TLS proxy.
 */
export async function isolatedEnv(
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const home = await Deno.makeTempDir({ prefix: "mcpchat-home-" });
  return {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_DATA_HOME: `${home}/.local/share`,
    XDG_STATE_HOME: `${home}/.local/state`,
    XDG_CACHE_HOME: `${home}/.cache`,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    DENO_DIR: await currentDenoDir(),
    ...networkEnv((name) => Deno.env.get(name)),
    ...extra,
  };
}

/** The argv that runs this checkout's CLI with `args`. */
export function cliArgs(args: string[]): string[] {
  return ["run", "--no-prompt", "-A", "--config", DENO_JSON, MAIN, ...args];
}

/**
 * Starts `mcpchat ARGS…` with piped stdout and stderr (stdin closed), for
 * tests that talk to a running process (signals, concurrent runs).
 */
export function spawnCli(args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Runs `mcpchat ARGS…` to completion.
 *
 * @example
 * ```ts ignore
 * const { code, stdout } = await runCli(["--version"]);
 * ```
 */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = options.env ?? await isolatedEnv();
  const command = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    cwd: options.cwd ?? ROOT,
    env,
    clearEnv: true,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/**
 * A CLI session under a real pseudo-terminal (util-linux `script`), driven
 * like a person at a keyboard: type, then wait for text to appear.
 */
export class PtySession {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #output = "";
  #changed: (() => void)[] = [];
  #reader: Promise<void>;
  readonly exited: Promise<Deno.CommandStatus>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.exited = child.status;
    this.#reader = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stdout) {
        this.#output += decoder.decode(chunk, { stream: true });
        for (const wake of this.#changed.splice(0)) wake();
      }
      for (const wake of this.#changed.splice(0)) wake();
    })();
  }

  /** Starts `mcpchat ARGS…` on a new pseudo-terminal. */
  static async start(
    args: string[],
    options: { env?: Record<string, string>; cwd?: string; deno?: string[] } = {},
  ) {
    const env = options.env ?? await isolatedEnv();
    // `deno` replaces the way Deno runs the CLI (e.g. `task -q chat`); `args` follow it.
    const inner = [Deno.execPath(), ...(options.deno ? [...options.deno, ...args] : cliArgs(args))]
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
    const child = new Deno.Command("script", {
      // exec: no shell in between to die of Ctrl-C in the program's place.
      // A sized terminal, as a person's is (Deno draws its progress bar only on one).
      args: ["-qfec", `stty cols 100 rows 30 2>/dev/null; exec ${inner}`, "/dev/null"],
      cwd: options.cwd ?? ROOT,
      env: { ...env, TERM: "xterm-256color", COLUMNS: "100", LINES: "30" },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    return new PtySession(child);
  }

  /** Everything the terminal showed so far. */
  get output(): string {
    return this.#output;
  }

  /** Types `text` (use `\r` for Enter, `\x03` for Ctrl-C, `\x04` for Ctrl-D). */
  async type(text: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(text));
  }

  /**
   * Waits until the output after `from` contains `text`; throws with the
   * screen so far after `timeoutMs` (a bound against hangs, not a timing check).
   */
  async waitFor(text: string | RegExp, from = 0, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const tail = this.#output.slice(from);
      const index = typeof text === "string" ? tail.indexOf(text) : tail.search(text);
      if (index >= 0) return from + index;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${String(text)}; screen:\n${this.#output}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#changed.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Waits (bounded) for the program to exit by itself, then closes the
   * terminal; a program still running after `graceMs` gets EOF, then SIGKILL.
   */
  async close(graceMs = 15_000): Promise<Deno.CommandStatus> {
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.exited,
      new Promise((resolve) => (graceTimer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(graceTimer);
    await this.#writer.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, 15_000);
    const status = await this.exited;
    clearTimeout(timer);
    await this.#reader;
    await this.#child.stderr.cancel().catch(() => {});
    return status;
  }
}

/** A Claude-style mcpServers JSON naming the real test peers, written to a temp file. */
export async function peersConfig(servers: string[] = ["everything"]): Promise<string> {
  const peers = new URL("../peers/node_modules/@modelcontextprotocol/", import.meta.url).pathname;
  const entry: Record<string, string> = {
    everything: `${peers}server-everything/dist/index.js`,
    memory: `${peers}server-memory/dist/index.js`,
    filesystem: `${peers}server-filesystem/dist/index.js`,
  };
  const mcpServers = Object.fromEntries(servers.map((name) => [name, {
    command: "node",
    args: name === "filesystem" ? [entry[name], ROOT] : [entry[name]],
  }]));
  const path = await Deno.makeTempFile({ prefix: "mcpchat-peers-", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify({ mcpServers }, null, 2));
  return path;
}

/** The real server-everything as `[mcp.servers.everything]` TOML. */
export async function everythingToml(): Promise<string> {
  const peers = JSON.parse(await Deno.readTextFile(await peersConfig(["everything"])));
  return `[mcp.servers.everything]\ncommand = "node"\nargs = ${
    JSON.stringify(peers.mcpServers.everything.args)
  }\n`;
}

/** What {@linkcode localChat} set up. */
export interface LocalChat {
  /** The local OpenAI-compatible provider the config points at. */
  fake: FakeProvider;
  /** A private environment (see {@linkcode isolatedEnv}). */
  env: Record<string, string>;
  /** Path of the config file. */
  config: string;
}

/**
 * A local fake provider, a private environment, and a config whose default
 * model is that provider (`local`, model `gpt-4.1`); `toml` is appended
 * (servers, other sections). One setup for the tests that chat through the CLI.
 */
export async function localChat(
  toml = "",
  extraEnv: Record<string, string> = {},
): Promise<LocalChat> {
  const fake = await FakeProvider.start("text/event-stream");
  const env = await isolatedEnv(extraEnv);
  const config = `${env.HOME}/config.toml`;
  await Deno.writeTextFile(
    config,
    `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
      `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n` + toml,
  );
  return { fake, env, config };
}
