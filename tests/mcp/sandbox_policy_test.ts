/** The sandbox policy, its bubblewrap form, denial messages and detection, without spawning. */

import assert from "node:assert/strict";
import {
  defaultSandboxSettings,
  type PolicyInput,
  resolvePolicy,
} from "../../lib/mcp/sandbox/policy.ts";
import { bwrapArgs } from "../../lib/mcp/sandbox/bwrap.ts";
import { commandNotFoundIn, explainDenial } from "../../lib/mcp/sandbox/explain.ts";
import { type DetectDeps, detectSandbox } from "../../lib/mcp/sandbox/detect.ts";
import { domainAllowed } from "../../lib/mcp/sandbox/net_proxy.ts";
import { SandboxSchema } from "../../lib/config/sandbox_schema.ts";
import { ConfigSchema } from "../../lib/config/schema.ts";
const parseConfig = (v: unknown) => ConfigSchema.parse(v);

const FS: Record<string, "dir" | "file"> = {
  "/home/ada/.ssh": "dir",
  "/home/ada/.aws": "dir",
  "/home/ada/.netrc": "file",
  "/home/ada/.config/mcpchat": "dir",
  "/work/app": "dir",
  "/work/app/.env": "file",
  "/work/app/.env.example": "file",
  "/work/app/api/.env.local": "file",
  "/work/app/.bashrc": "file",
  "/srv/notes": "dir",
  "/etc/shadow": "file",
};

function input(over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    server: "s",
    settings: defaultSandboxSettings(),
    command: "node",
    args: ["server.js"],
    cwd: "/work/app",
    roots: [],
    env: { HOME: "/home/ada" },
    os: "linux",
    ownDirs: ["/home/ada/.config/mcpchat"],
    stat: (p) => FS[p],
    list: (dir) =>
      Object.keys(FS)
        .filter((p) => p.startsWith(dir + "/") && !p.slice(dir.length + 1).includes("/"))
        .map((p) => ({
          name: p.slice(dir.length + 1),
          dir: FS[p] === "dir" || p === "/work/app/api",
        })),
    tmpDir: "/run/mcpchat-sandbox/tmp",
    ...over,
  };
}

Deno.test("default policy: credential stores, own files, .env files denied; cwd and temp writable", () => {
  FS["/work/app/api"] = "dir";
  const p = resolvePolicy(input());
  const denied = p.denyRead.map((d) => d.path);
  for (
    const path of [
      "/home/ada/.ssh",
      "/home/ada/.aws",
      "/home/ada/.netrc",
      "/home/ada/.config/mcpchat",
      "/etc/shadow",
      "/work/app/.env",
      "/work/app/api/.env.local",
    ]
  ) {
    assert.ok(denied.includes(path), `${path} denied`);
  }
  assert.ok(!denied.includes("/work/app/.env.example"));
  // Only what exists is masked.
  assert.ok(!denied.includes("/home/ada/.gnupg"));
  assert.deepEqual(p.write.map((w) => w.path), ["/work/app", "/run/mcpchat-sandbox/tmp"]);
  assert.deepEqual(p.network, { open: true });
  assert.equal(p.enabled, true);
});

Deno.test("launchers get their caches; server-filesystem's directories stay writable", () => {
  const p = resolvePolicy(input({
    command: "npx",
    args: ["-y", "@modelcontextprotocol/server-filesystem", "/srv/notes", "~/missing"],
  }));
  assert.deepEqual(p.write.map((w) => [w.path, w.why]), [
    ["/work/app", "working directory"],
    ["/srv/notes", "directory given to server-filesystem"],
    ["/home/ada/.npm", "npm cache"],
    ["/run/mcpchat-sandbox/tmp", "private temp directory"],
  ]);
  assert.deepEqual(p.ensureDirs, ["/home/ada/.npm"]);
  const uv = resolvePolicy(
    input({
      command: "uvx",
      args: ["mcp-server-git"],
      env: { HOME: "/home/ada", XDG_CACHE_HOME: "/c" },
    }),
  );
  assert.deepEqual(uv.ensureDirs, ["/c/uv", "/home/ada/.local/share/uv"]);
  assert.deepEqual(uv.presets, [{ name: "uv", detected: true }]);
});

Deno.test("read lifts a denial or re-opens part of it; strict closes the network; false turns it off", () => {
  const settings = SandboxSchema.parse({
    read: ["~/.aws", "~/.ssh/known_hosts"],
    mode: "strict",
    network: ["api.github.com"],
  });
  assert.ok(settings);
  const p = resolvePolicy(input({ settings }));
  assert.ok(!p.denyRead.some((d) => d.path === "/home/ada/.aws"));
  assert.ok(p.denyRead.some((d) => d.path === "/home/ada/.ssh"));
  assert.deepEqual(p.allowRead.map((a) => a.path), ["/home/ada/.ssh/known_hosts"]);
  assert.deepEqual(p.network, { open: false, domains: ["api.github.com"] });
  assert.equal(resolvePolicy(input({ settings: false })).enabled, false);
  const strict = SandboxSchema.parse("strict");
  assert.ok(strict && strict.mode === "strict" && strict.network === undefined);
  assert.deepEqual(resolvePolicy(input({ settings: strict })).network, {
    open: false,
    domains: [],
  });
});

Deno.test("bubblewrap argv: read-only root, binds, masks that fail visibly, die-with-parent", () => {
  FS["/home/ada/.ssh/known_hosts"] = "file";
  const settings = SandboxSchema.parse({ read: ["~/.ssh/known_hosts"] });
  assert.ok(settings);
  const p = resolvePolicy(input({ settings }));
  const args = bwrapArgs(p, {
    command: "node",
    args: ["server.js"],
    cwd: "/work/app",
    stat: (x) => FS[x],
  }, {
    bwrap: "/usr/bin/bwrap",
    disableUserns: true,
    root: true,
  }, { deniedFile: "/run/d" });
  const joined = args.join(" ");
  assert.match(
    joined,
    /^--new-session --die-with-parent --unshare-pid --unshare-user --disable-userns --cap-drop ALL --ro-bind \/ \//,
  );
  assert.doesNotMatch(joined, /--unshare-net/);
  assert.match(joined, /--bind \/work\/app \/work\/app .*--tmpfs \/run\/mcpchat-sandbox\/tmp/);
  assert.match(joined, /--ro-bind \/work\/app\/\.bashrc \/work\/app\/\.bashrc/);
  assert.match(joined, /--perms 0111 --tmpfs \/home\/ada\/\.ssh/);
  assert.match(joined, /--perms 0000 --tmpfs \/home\/ada\/\.aws/);
  assert.match(joined, /--ro-bind \/run\/d \/home\/ada\/\.netrc/);
  assert.match(joined, /--ro-bind \/home\/ada\/\.ssh\/known_hosts \/home\/ada\/\.ssh\/known_hosts/);
  assert.deepEqual(args.slice(-5), ["--chdir", "/work/app", "--", "node", "server.js"]);
  // A mask comes after every bind, so a writable parent cannot expose it.
  assert.ok(args.lastIndexOf("--bind") < args.indexOf("/home/ada/.aws"));
});

Deno.test("strict with domains: no network namespace of its own, socat to the host's proxy", () => {
  const settings = SandboxSchema.parse({ network: ["example.com"] });
  assert.ok(settings);
  const p = resolvePolicy(input({ settings }));
  const args = bwrapArgs(
    p,
    {
      command: "node",
      args: ["s.js"],
      cwd: "/work/app",
      stat: (x) => FS[x],
    },
    {
      bwrap: "bwrap",
      disableUserns: false,
      root: false,
    },
    { deniedFile: "/run/d" },
    { socketPath: "/run/net.sock", socat: "/usr/bin/socat" },
  );
  assert.ok(args.includes("--unshare-net"));
  assert.match(args.join(" "), /--bind \/run\/net\.sock \/run\/net\.sock/);
  assert.deepEqual(args.slice(-5, -3), ["-c", args.at(-4)]);
  assert.match(
    args.at(-4)!,
    /TCP-LISTEN:3128,bind=127\.0\.0\.1.*UNIX-CONNECT:"\$0"[\s\S]*exec "\$@"/,
  );
  assert.deepEqual(args.slice(-3), ["/run/net.sock", "node", "s.js"]);
});

Deno.test("denials are explained with the key that allows them; other errors are left alone", () => {
  const s = {
    server: "fs",
    denyRead: [{ path: "/home/ada/.ssh", why: "SSH keys" }],
    write: ["/work"],
    networkOpen: false,
  };
  assert.equal(
    explainDenial("Error: EACCES: permission denied, open '/home/ada/.ssh/id_rsa'", s),
    'sandbox: reading /home/ada/.ssh/id_rsa was denied (SSH keys); to allow it set mcp.servers.fs.sandbox.read = ["/home/ada/.ssh"]',
  );
  assert.equal(
    explainDenial("[Errno 30] Read-only file system: '/opt/data/x.db'", s),
    'sandbox: writing /opt/data/x.db was denied; to allow it set mcp.servers.fs.sandbox.write = ["/opt/data"]',
  );
  assert.match(
    explainDenial("getaddrinfo EAI_AGAIN api.github.com", s)!,
    /to allow api\.github\.com set mcp\.servers\.fs\.sandbox\.network = \["api\.github\.com"\]/,
  );
  assert.equal(explainDenial("EACCES: permission denied, open '/root/other'", s), undefined);
  assert.equal(explainDenial("everything is fine", s), undefined);
  assert.equal(explainDenial("ECONNREFUSED 1.2.3.4:80", { ...s, networkOpen: true }), undefined);
  assert.equal(commandNotFoundIn("bwrap: execvp uvx: No such file or directory\n"), "uvx");
});

Deno.test("detection: missing bwrap, namespaces refused, and a working one", async () => {
  const deps = (over: Partial<DetectDeps>): DetectDeps => ({
    os: "linux",
    path: "/usr/bin",
    root: false,
    isExecutable: () => true,
    run: (_c, args) =>
      Promise.resolve(
        args[0] === "--version"
          ? { code: 0, stdout: "bubblewrap 0.8.0\n", stderr: "" }
          : { code: 0, stdout: "", stderr: "" },
      ),
    ...over,
  });
  const missing = await detectSandbox(deps({ isExecutable: () => false }));
  assert.equal(missing.available, false);
  assert.match(missing.install!, /apt-get install -y bubblewrap socat/);
  const refused = await detectSandbox(deps({
    run: (_c, args) =>
      Promise.resolve(
        args[0] === "--version"
          ? { code: 0, stdout: "bubblewrap 0.9.0", stderr: "" }
          : { code: 1, stdout: "", stderr: "bwrap: setting up uid map: Permission denied\n" },
      ),
  }));
  assert.equal(refused.available, false);
  assert.match(refused.reason!, /setting up uid map/);
  assert.match(refused.install!, /apparmor_restrict_unprivileged_userns/);
  const ok = await detectSandbox(deps({}));
  assert.equal(ok.available, true);
  assert.equal(ok.features?.disableUserns, true);
  assert.equal(ok.features?.bwrap, "/usr/bin/bwrap");
  const mac = await detectSandbox(deps({ os: "darwin" }));
  assert.equal(mac.available, false);
});

Deno.test("network entries: exact hosts, wildcards, ports", () => {
  assert.ok(domainAllowed("api.github.com", 443, ["api.github.com"]));
  assert.ok(domainAllowed("x.example.com", 80, ["*.example.com"]));
  assert.ok(!domainAllowed("example.com", 80, ["*.example.com"]));
  assert.ok(!domainAllowed("evil.com", 443, ["api.github.com"]));
  assert.ok(!domainAllowed("127.0.0.1", 81, ["127.0.0.1:80"]));
});

Deno.test("config: sandbox forms parse, bad values are config errors, remote servers have none", () => {
  const ok = parseConfig({
    mcp: {
      servers: {
        a: { command: "x", sandbox: false },
        b: { command: "x", sandbox: "strict" },
        c: {
          command: "x",
          sandbox: { write: ["~/out"], env: ["TOKEN"], presets: ["uv"], required: true },
        },
        d: { command: "x" },
      },
    },
  });
  const servers = ok.mcp.servers as Record<string, { sandbox?: unknown }>;
  assert.equal(servers.a.sandbox, false);
  assert.deepEqual((servers.b.sandbox as { mode: string }).mode, "strict");
  assert.equal((servers.c.sandbox as { required: boolean }).required, true);
  assert.equal(servers.d.sandbox, undefined);
  assert.throws(() =>
    parseConfig({
      mcp: { servers: { e: { command: "x", sandbox: { network: ["not a domain"] } } } },
    })
  );
  assert.throws(() =>
    parseConfig({ mcp: { servers: { f: { command: "x", sandbox: { presets: ["nope"] } } } } })
  );
  assert.throws(() =>
    parseConfig({ mcp: { servers: { g: { url: "https://x.test/mcp", sandbox: false } } } })
  );
});
