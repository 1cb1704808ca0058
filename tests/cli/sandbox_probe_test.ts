/** The sandbox probe kept for a day: used while its key holds, probed again otherwise. */
import assert from "node:assert/strict";
import { PROBE_TTL_MS, probeRecordPath, probeSandboxKept } from "../../lib/cli/sandbox_probe.ts";
import { type DetectDeps, systemDetectDeps } from "../../lib/mcp/sandbox/detect.ts";

Deno.test("sandbox probe: kept owner-only; probed again after a day, on another PATH, or a damaged record", async () => {
  const dir = await Deno.makeTempDir();
  const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache` };
  let probes = 0;
  const answer = { available: false, reason: "probed" };
  const detect = () => (probes++, Promise.resolve(answer));
  let clock = 1_000_000;
  const now = () => clock;
  const deps = systemDetectDeps("/usr/bin:/bin");
  assert.deepEqual(await probeSandboxKept(env, deps, detect, now), answer);
  assert.equal((await Deno.stat(probeRecordPath(env))).mode! & 0o777, 0o600);
  clock += PROBE_TTL_MS - 1;
  await probeSandboxKept(env, deps, detect, now);
  assert.equal(probes, 1, "kept for a day");
  clock += 2;
  await probeSandboxKept(env, deps, detect, now);
  assert.equal(probes, 2, "a day old: probed again");
  await probeSandboxKept(env, systemDetectDeps("/bin"), detect, now);
  assert.equal(probes, 3, "another PATH finds other programs");
  await Deno.writeTextFile(probeRecordPath(env), '{"key": 1}');
  await probeSandboxKept(env, deps, detect, now);
  assert.equal(probes, 4, "a damaged record is no answer");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("sandbox probe: a program found on the PATH that changes is probed again", async () => {
  const dir = await Deno.makeTempDir();
  const env = { HOME: dir, XDG_CACHE_HOME: `${dir}/cache` };
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin);
  await Deno.writeTextFile(`${bin}/bwrap`, "#!/bin/sh\n", { mode: 0o755 });
  const deps: DetectDeps = { ...systemDetectDeps(bin) };
  let probes = 0;
  const detect = () => (probes++, Promise.resolve({ available: false, reason: "x" }));
  await probeSandboxKept(env, deps, detect);
  await probeSandboxKept(env, deps, detect);
  assert.equal(probes, 1);
  await Deno.writeTextFile(`${bin}/bwrap`, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  await probeSandboxKept(env, deps, detect);
  assert.equal(probes, 2, "an upgraded bwrap");
  await Deno.remove(dir, { recursive: true });
});
