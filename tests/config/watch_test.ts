import assert from "node:assert/strict";
import { ConfigReadError, type LoadConfigResult } from "../../lib/config/mod.ts";
import { type FileWatcher, watchConfig } from "../../lib/config/watch.ts";

/** A watcher driven by the test: `emit` delivers an event, `close` ends it. */
class FakeWatcher implements FileWatcher {
  readonly #queue: { kind: string; paths: string[] }[] = [];
  #wake?: () => void;
  closed = false;
  constructor(readonly dirs: string[]) {}
  emit(...paths: string[]): void {
    this.#queue.push({ kind: "modify", paths });
    this.#wake?.();
  }
  close(): void {
    this.closed = true;
    this.#wake?.();
  }
  async *[Symbol.asyncIterator]() {
    while (!this.closed) {
      const event = this.#queue.shift();
      if (event) yield event;
      else await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** Timers that fire on the next microtask: the quiet period passes at once, deterministically. */
const immediateClock = {
  now: () => 0,
  setTimeout: (fn: () => void) => {
    queueMicrotask(fn);
    return 0;
  },
  clearTimeout: () => {},
};

function result(color: string, sources: string[]): LoadConfigResult {
  return {
    config: { ui: { color } } as unknown as LoadConfigResult["config"],
    sources,
    warnings: [],
    serverOrigins: {},
  };
}

Deno.test("watchConfig: first state, then one update per real change; duplicates and unrelated files are ignored", async () => {
  const watchers: FakeWatcher[] = [];
  const outcomes: (() => LoadConfigResult)[] = [
    () => result("never", ["/cfg/config.toml"]),
    () => result("never", ["/cfg/config.toml"]), // same outcome: not yielded
    () => result("always", ["/cfg/config.toml", "/elsewhere/mcp.json", "$MCPCHAT_UI_COLOR"]),
    () => result("always", ["/cfg/config.toml", "/elsewhere/mcp.json", "$MCPCHAT_UI_COLOR"]),
    () => {
      throw new ConfigReadError(
        "CONFIG_NOT_FOUND",
        "/elsewhere/mcp.json",
        "an existing file",
        "gone",
      );
    },
  ];
  let loads = 0;
  const stop = new AbortController();
  const updates = watchConfig({
    load: () => Promise.resolve().then(() => outcomes[loads++]()),
    configPath: "/cfg/config.toml",
    signal: stop.signal,
    clock: immediateClock,
    watchFs: (dirs) => {
      const w = new FakeWatcher(dirs);
      watchers.push(w);
      return w;
    },
  });
  const first = await updates.next();
  assert.ok(first.value?.ok && first.value.result.config.ui.color === "never");
  assert.deepEqual(watchers[0].dirs, ["/cfg"]);

  const second = updates.next();
  await Promise.resolve();
  watchers[0].emit("/cfg/other.txt"); // not ours
  watchers[0].emit("/cfg/config.toml"); // reload 2: same outcome, nothing yielded
  await new Promise((r) => setTimeout(r, 0));
  watchers[1].emit("/cfg/config.toml"); // reload 3: changed, and a new directory to watch
  const changed = await second;
  assert.ok(changed.value?.ok && changed.value.result.config.ui.color === "always");
  assert.equal(loads, 3);

  // The servers file lives elsewhere: its directory is watched from now on.
  const third = updates.next();
  await new Promise((r) => setTimeout(r, 0));
  const latest = watchers[watchers.length - 1];
  assert.deepEqual(latest.dirs, ["/cfg", "/elsewhere"]);
  latest.emit("/elsewhere/mcp.json");
  const failed = await third;
  assert.ok(failed.value && !failed.value.ok);
  assert.equal(failed.value.error.code, "CONFIG_NOT_FOUND");
  assert.equal(failed.value.error.file, "/elsewhere/mcp.json");

  const ended = updates.next();
  await new Promise((r) => setTimeout(r, 0));
  stop.abort();
  assert.deepEqual(await ended, { value: undefined, done: true });
  assert.ok(watchers.every((w) => w.closed));
});

Deno.test("watchConfig: a non-config error from load propagates", async () => {
  const updates = watchConfig({
    load: () => Promise.reject(new TypeError("bug")),
    configPath: "/cfg/config.toml",
    signal: new AbortController().signal,
    watchFs: (dirs) => new FakeWatcher(dirs),
  });
  await assert.rejects(() => updates.next(), TypeError);
});
