/**
 * The OS sandbox around stdio servers, through the real CLI: a spy server
 * tries to read a secret under a fake HOME, write outside its directory and
 * reach a 127.0.0.1 listener; the default policy denies what it says, a
 * policy that allows it allows it, and real `npx -y` servers keep working.
 * Needs bubblewrap (CI installs it; see .ci/run).
 */

import assert from "node:assert/strict";
import { isolatedEnv, ROOT, runCli, spawnCli } from "../_helpers/cli.ts";
import { FakeProvider } from "../fixtures/llm/server.ts";
import { openaiChunks } from "../fixtures/llm/wire.ts";
import { detectSandbox, systemDetectDeps } from "../../lib/mcp/sandbox/detect.ts";

const SPY = new URL("../fixtures/mcp/spy_server.mjs", import.meta.url).pathname;
const PEERS = new URL("../peers/", import.meta.url).pathname;
const availability = await detectSandbox(systemDetectDeps());
const ignore = !availability.available;
if (ignore) {
  console.warn(`sandbox tests skipped: ${availability.reason} (install: ${availability.install})`);
}

/** A fake HOME holding an SSH key and a config with the given servers, and a project dir. */
async function setup(servers: string): Promise<
  { env: Record<string, string>; home: string; project: string; cleanup(): Promise<void> }
> {
  const env = await isolatedEnv();
  const home = env.HOME;
  await Deno.mkdir(`${home}/.ssh`, { recursive: true });
  await Deno.writeTextFile(`${home}/.ssh/id_ed25519`, "SECRET-KEY-MATERIAL\n");
  const project = await Deno.makeTempDir({ prefix: "mcpchat-project-" });
  await Deno.mkdir(`${home}/.config/mcpchat`, { recursive: true });
  await Deno.writeTextFile(`${home}/.config/mcpchat/config.toml`, servers);
  return {
    env,
    home,
    project,
    cleanup: async () => {
      await Deno.remove(home, { recursive: true }).catch(() => {});
      await Deno.remove(project, { recursive: true }).catch(() => {});
    },
  };
}

function spy(name: string, extra = ""): string {
  return `[mcp.servers.${name}]\ncommand = "node"\nargs = [${JSON.stringify(SPY)}]\n${extra}\n`;
}

/** A TCP listener on 127.0.0.1 that answers one HTTP line. */
function listener(): { port: number; close(): void } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("hello from the host"),
  );
  return { port: server.addr.port, close: () => void server.shutdown() };
}

Deno.test({
  name:
    "sandbox default: the secret is unreadable, writes outside the project fail, loopback works",
  ignore,
  async fn() {
    const t = await setup(spy("spy"));
    const l = listener();
    try {
      const run = (args: string[]) => runCli(args, { env: t.env, cwd: t.project });
      const read = await run([
        "tools",
        "call",
        "spy",
        "read_file",
        `path=${t.home}/.ssh/id_ed25519`,
      ]);
      assert.equal(read.code, 1);
      assert.doesNotMatch(read.stdout + read.stderr, /SECRET-KEY-MATERIAL/);
      assert.match(read.stdout, /EACCES|permission denied/i);
      assert.match(
        read.stdout,
        new RegExp(
          `sandbox: reading .*id_ed25519 was denied \\(SSH keys\\); to allow it set mcp\\.servers\\.spy\\.sandbox\\.read`,
        ),
      );

      const outside = await run(["tools", "call", "spy", "write_file", `path=${t.home}/planted`]);
      assert.equal(outside.code, 1);
      assert.match(outside.stdout, /sandbox: writing .*planted was denied; .*sandbox\.write/);
      await assert.rejects(Deno.stat(`${t.home}/planted`));

      const inside = await run(["tools", "call", "spy", "write_file", `path=${t.project}/out.txt`]);
      assert.equal(inside.code, 0, inside.stderr);
      assert.equal(await Deno.readTextFile(`${t.project}/out.txt`), "spy was here");

      const tmp = await run(["tools", "call", "spy", "env", "name=TMPDIR"]);
      const tmpDir = tmp.stdout.trim();
      const tmpWrite = await run(["tools", "call", "spy", "write_file", `path=${tmpDir}/scratch`]);
      assert.equal(tmpWrite.code, 0, tmpWrite.stdout + tmpWrite.stderr);
      // The private temp directory is the sandbox's own: nothing lands on the host.
      await assert.rejects(Deno.stat(`${tmpDir}/scratch`));

      const net = await run([
        "tools",
        "call",
        "spy",
        "connect",
        "host=127.0.0.1",
        `port=${l.port}`,
      ]);
      assert.equal(net.code, 0, net.stdout);
      assert.match(net.stdout, /connected to 127\.0\.0\.1/);
    } finally {
      l.close();
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "sandbox policy: read, write and strict network as the config says",
  ignore: ignore || !availability.socat,
  async fn() {
    const l = listener();
    const t = await setup(
      spy("reader", `[mcp.servers.reader.sandbox]\nread = ["~/.ssh"]\nwrite = ["~/notes"]`) +
        spy("strict", `sandbox = "strict"`) +
        spy("listed", `[mcp.servers.listed.sandbox]\nnetwork = ["127.0.0.1:${l.port}"]`),
    );
    await Deno.mkdir(`${t.home}/notes`);
    try {
      const run = (args: string[]) => runCli(args, { env: t.env, cwd: t.project });
      const read = await run([
        "tools",
        "call",
        "reader",
        "read_file",
        `path=${t.home}/.ssh/id_ed25519`,
      ]);
      assert.equal(read.code, 0, read.stdout + read.stderr);
      assert.match(read.stdout, /SECRET-KEY-MATERIAL/);
      const write = await run([
        "tools",
        "call",
        "reader",
        "write_file",
        `path=${t.home}/notes/n.md`,
      ]);
      assert.equal(write.code, 0, write.stdout + write.stderr);

      const closed = await run([
        "tools",
        "call",
        "strict",
        "connect",
        "host=127.0.0.1",
        `port=${l.port}`,
      ]);
      assert.equal(closed.code, 1);
      assert.match(
        closed.stdout,
        new RegExp(
          `sandbox: network access is closed for this server; to allow 127\\.0\\.0\\.1:${l.port} set mcp\\.servers\\.strict\\.sandbox\\.network`,
        ),
      );

      const viaProxy = await run([
        "tools",
        "call",
        "listed",
        "http_get",
        `url=http://127.0.0.1:${l.port}/`,
      ]);
      assert.equal(viaProxy.code, 0, viaProxy.stdout + viaProxy.stderr);
      assert.match(viaProxy.stdout, /200 hello from the host/);
      const other = await run(["tools", "call", "listed", "http_get", "url=http://example.com/"]);
      assert.equal(other.code, 1);
      assert.match(
        other.stdout,
        /403 mcpchat sandbox: example\.com is not allowed.*sandbox\.network = \["example\.com"\]/,
      );
    } finally {
      l.close();
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "sandbox = false runs the server unsandboxed, and says so",
  ignore,
  async fn() {
    const t = await setup(spy("trusted", "sandbox = false"));
    try {
      const r = await runCli(
        ["tools", "call", "trusted", "read_file", `path=${t.home}/.ssh/id_ed25519`],
        { env: t.env, cwd: t.project },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /SECRET-KEY-MATERIAL/);
      assert.match(
        r.stderr,
        /trusted runs without a sandbox \(mcp\.servers\.trusted\.sandbox = false\)/,
      );
    } finally {
      await t.cleanup();
    }
  },
});

Deno.test({
  name: "no sandbox available: a warning and an unsandboxed run, or one clear error with required",
  async fn() {
    // A PATH with node but without bwrap.
    const bin = await Deno.makeTempDir({ prefix: "mcpchat-bin-" });
    await Deno.symlink(Deno.execPath(), `${bin}/deno`);
    const node = await new Deno.Command("sh", { args: ["-c", "command -v node"], stdout: "piped" })
      .output();
    await Deno.symlink(new TextDecoder().decode(node.stdout).trim(), `${bin}/node`);
    const t = await setup(
      spy("loose") + spy("must", `[mcp.servers.must.sandbox]\nrequired = true`),
    );
    try {
      const env = { ...t.env, PATH: bin };
      const loose = await runCli(["tools", "list", "loose"], { env, cwd: t.project });
      assert.equal(loose.code, 0, loose.stderr);
      assert.match(
        loose.stderr,
        /MCP servers run without a sandbox: bubblewrap \(bwrap\) is not installed; to fix: sudo apt-get install -y bubblewrap/,
      );
      const must = await runCli(["tools", "list", "must"], { env, cwd: t.project });
      assert.equal(must.code, 1);
      assert.match(must.stderr, /sandbox\.required is set, but no sandbox is available/);
      // Permanent: the server failed at once instead of reconnecting five times.
      assert.match(must.stderr, /not available \(failed: /);
      assert.doesNotMatch(must.stderr, /attempt \d/i);
    } finally {
      await t.cleanup();
      await Deno.remove(bin, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "sandbox default keeps real npx -y servers working (npm cache, server-filesystem's directories)",
  ignore,
  async fn() {
    const shared = await Deno.makeTempDir({ prefix: "mcpchat-shared-" });
    const t = await setup(
      `[mcp.servers.fs]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-filesystem", ${
        JSON.stringify(shared)
      }]\ncwd = ${JSON.stringify(PEERS)}\n` +
        `[mcp.servers.everything]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-everything"]\ncwd = ${
          JSON.stringify(PEERS)
        }\n`,
    );
    try {
      const run = (args: string[]) =>
        runCli(args, { env: t.env, cwd: t.project, timeoutMs: 120_000 });
      const write = await run([
        "tools",
        "call",
        "fs",
        "write_file",
        JSON.stringify({ path: `${shared}/hello.txt`, content: "from the sandbox" }),
      ]);
      assert.equal(write.code, 0, write.stdout + write.stderr);
      assert.equal(await Deno.readTextFile(`${shared}/hello.txt`), "from the sandbox");
      const echo = await run(["tools", "call", "everything", "echo", "message=hi"]);
      assert.equal(echo.code, 0, echo.stdout + echo.stderr);
      assert.match(echo.stdout, /hi/);
    } finally {
      await t.cleanup();
      await Deno.remove(shared, { recursive: true });
    }
  },
});

Deno.test({
  name: "the CA and proxy variables reach a sandboxed server; other variables only when listed",
  ignore,
  async fn() {
    const t = await setup(
      spy("spy", `[mcp.servers.spy.sandbox]\nenv = ["SPY_TOKEN"]`) + spy("plain"),
    );
    try {
      const env = {
        ...t.env,
        NODE_EXTRA_CA_CERTS: "/etc/ssl/certs/ca-certificates.crt",
        SPY_TOKEN: "t0k",
      };
      const ca = await runCli(["tools", "call", "spy", "env", "name=NODE_EXTRA_CA_CERTS"], {
        env,
        cwd: ROOT,
      });
      assert.match(ca.stdout, /ca-certificates\.crt/);
      const listed = await runCli(["tools", "call", "spy", "env", "name=SPY_TOKEN"], {
        env,
        cwd: ROOT,
      });
      assert.match(listed.stdout, /t0k/);
      const unlisted = await runCli(["tools", "call", "plain", "env", "name=SPY_TOKEN"], {
        env,
        cwd: ROOT,
      });
      assert.match(unlisted.stdout, /\(unset\)/);
    } finally {
      await t.cleanup();
    }
  },
});

Deno.test("servers sandbox NAME prints the effective policy; doctor reports the sandbox", async () => {
  const t = await setup(
    `[mcp.servers.fs]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-filesystem", "~"]\n` +
      `[mcp.servers.fs.sandbox]\nread = ["~/.ssh/known_hosts"]\nnetwork = ["api.github.com"]\n` +
      spy("loose", "sandbox = false") +
      `[mcp.servers.remote]\nurl = "https://mcp.example.com/mcp"\n`,
  );
  try {
    const r = await runCli(["servers", "sandbox", "fs"], { env: t.env, cwd: t.project });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /read: +everything except/);
    assert.match(r.stdout, new RegExp(`✗ ${t.home}/\\.ssh +SSH keys`));
    assert.match(
      r.stdout,
      new RegExp(`✗ ${t.home}/\\.config/mcpchat +mcpchat's own config and data`),
    );
    assert.match(r.stdout, new RegExp(`✓ ${t.project} +working directory`));
    assert.match(r.stdout, new RegExp(`✓ ${t.home} +directory given to server-filesystem`));
    assert.match(r.stdout, new RegExp(`✓ ${t.home}/\\.npm +npm cache`));
    assert.match(r.stdout, /network: +closed except api\.github\.com/);
    assert.match(r.stdout, /presets: +npm \(from the command\)/);
    const json = await runCli(["servers", "sandbox", "fs", "--json"], {
      env: t.env,
      cwd: t.project,
    });
    const policy = JSON.parse(json.stdout);
    assert.equal(policy.mode, "strict");
    assert.deepEqual(policy.network, { open: false, domains: ["api.github.com"] });
    const off = await runCli(["servers", "sandbox", "loose"], { env: t.env, cwd: t.project });
    assert.match(off.stdout, /off \(sandbox = false\)/);
    const remote = await runCli(["servers", "sandbox", "remote"], { env: t.env, cwd: t.project });
    assert.equal(remote.code, 2);
    assert.match(remote.stderr, /remote \(http\) server/);
    const missing = await runCli(["servers", "sandbox", "nope"], { env: t.env, cwd: t.project });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no server named "nope" \(configured: fs, loose, remote\)/);

    const doctor = await runCli(["doctor"], { env: t.env, cwd: t.project });
    assert.match(
      doctor.stdout,
      availability.available
        ? /✓ mcp: sandbox +bubblewrap .*: stdio servers run sandboxed/
        : /! mcp: sandbox +not available/,
    );
    assert.match(doctor.stdout, /! mcp: loose sandbox +runs without a sandbox \(sandbox = false\)/);
  } finally {
    await t.cleanup();
  }
});

async function pids(pattern: string): Promise<string[]> {
  const out = await new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).split("\n").filter((l) => l.trim() !== "");
}

async function waitFor(check: () => Promise<boolean>, what: string, limitMs = 30_000) {
  for (let waited = 0; !(await check()); waited += 100) {
    if (waited > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "kill -9 of mcpchat ends the sandboxed server's whole tree (--die-with-parent)",
  ignore,
  async fn() {
    const t = await setup("");
    const unique = `${t.home}/spy-${crypto.randomUUID()}.mjs`;
    await Deno.copyFile(SPY, unique);
    await Deno.writeTextFile(
      `${t.home}/.config/mcpchat/config.toml`,
      `[mcp.servers.spy]\ncommand = "node"\nargs = [${JSON.stringify(unique)}]\n`,
    );
    const fifo = `${t.home}/fifo`;
    await new Deno.Command("mkfifo", { args: [fifo] }).output();
    // Reading a FIFO nobody writes blocks: the call stays in flight.
    const child = spawnCli(["tools", "call", "spy", "read_file", `path=${fifo}`], t.env);
    try {
      await waitFor(async () => (await pids(unique)).length > 0, "the server to start");
      child.kill("SIGKILL");
      await child.status;
      await waitFor(async () => (await pids(unique)).length === 0, "the server to end");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.output().catch(() => {});
      for (const pid of await pids(unique)) Deno.kill(Number(pid), "SIGKILL");
      await t.cleanup();
    }
  },
});

for (const sandboxed of [true, false]) {
  Deno.test({
    name: `a grandchild that ignores SIGTERM does not outlive \`tools list\` (${
      sandboxed ? "sandboxed" : "sandbox = false"
    })`,
    ignore: sandboxed && ignore,
    async fn() {
      const tag = `leak-${crypto.randomUUID()}`;
      const leaky = new URL("../fixtures/mcp/leaky_server.mjs", import.meta.url).pathname;
      const t = await setup(
        `[mcp.servers.leaky]\ncommand = "node"\nargs = [${JSON.stringify(leaky)}, "${tag}"]\n` +
          (sandboxed ? "" : "sandbox = false\n"),
      );
      try {
        const r = await runCli(["tools", "list", "leaky"], { env: t.env, cwd: t.project });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /read_file/);
        // Bounded wait, not a timing assertion: the tree is gone once mcpchat has exited.
        await waitFor(async () => (await pids(tag)).length === 0, "the grandchild to end", 5_000);
      } finally {
        for (const pid of await pids(tag)) Deno.kill(Number(pid), "SIGKILL");
        await t.cleanup();
      }
    },
  });
}

for (const sandboxed of [true, false]) {
  Deno.test({
    name: `a one-shot run, which SIGTERMs its servers at once, leaves no grandchild behind (${
      sandboxed ? "sandboxed" : "sandbox = false"
    })`,
    ignore: sandboxed && ignore,
    async fn() {
      const tag = `oneshot-${crypto.randomUUID()}`;
      const leaky = new URL("../fixtures/mcp/leaky_server.mjs", import.meta.url).pathname;
      const fake = await FakeProvider.start("text/event-stream");
      const t = await setup(
        `[llm]\ndefault = "local"\n[llm.backends.local]\ntype = "openai-compatible"\n` +
          `base_url = "${fake.url}/v1"\nmodel = "gpt-4.1"\n` +
          `[mcp.servers.leaky]\ncommand = "node"\nargs = [${JSON.stringify(leaky)}, "${tag}"]\n` +
          (sandboxed ? "" : "sandbox = false\n"),
      );
      try {
        fake.reply({ chunks: openaiChunks({ text: ["done"] }) });
        const r = await runCli(["-p", "hi", "--no-save"], { env: t.env, cwd: t.project });
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "done\n");
        // The model was offered the server's tools: it ran, with its grandchild.
        assert.match(JSON.stringify(fake.requests[0].body), /leaky__read_file/);
        // Bounded wait, not a timing assertion: the tree is gone once mcpchat has exited.
        await waitFor(async () => (await pids(tag)).length === 0, "the grandchild to end", 5_000);
      } finally {
        for (const pid of await pids(tag)) Deno.kill(Number(pid), "SIGKILL");
        await fake.close();
        await t.cleanup();
      }
    },
  });
}

Deno.test("closing the terminal (SIGHUP) reaps an unsandboxed server's whole tree before mcpchat exits", async () => {
  const tag = `hup-${crypto.randomUUID()}`;
  const leaky = new URL("../fixtures/mcp/leaky_server.mjs", import.meta.url).pathname;
  const t = await setup(
    `[mcp.servers.leaky]\ncommand = "node"\nargs = [${
      JSON.stringify(leaky)
    }, "${tag}"]\nsandbox = false\n`,
  );
  const fifo = `${t.home}/fifo`;
  await new Deno.Command("mkfifo", { args: [fifo] }).output();
  const child = spawnCli(["tools", "call", "leaky", "read_file", `path=${fifo}`], t.env);
  try {
    await waitFor(async () => (await pids(tag)).length > 0, "the grandchild to start");
    child.kill("SIGHUP");
    const status = await child.status;
    assert.equal(status.code, 129);
    // Reaped before the exit: nothing to wait for afterwards.
    assert.deepEqual(await pids(tag), []);
  } finally {
    await child.output().catch(() => {});
    for (const pid of await pids(tag)) Deno.kill(Number(pid), "SIGKILL");
    await t.cleanup();
  }
});
