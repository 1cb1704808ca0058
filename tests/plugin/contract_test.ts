/**
 * A plugin's contract declared once in `definePlugin`: its events, the host's
 * events and the host calls it makes type both ends. The `@ts-expect-error`
 * lines are part of the test: `deno check` fails if one of them compiles.
 */
import assert from "node:assert/strict";
import {
  declared,
  definePlugin,
  type HostCallsOf,
  PluginRef,
  type PluginSpec,
  startPlugin,
  type SurfaceOf,
} from "../../lib/plugin/mod.ts";

interface Tick {
  n: number;
}

const counterPlugin = definePlugin({
  name: "counter",
  events: declared<{ tick: Tick }>(),
  hostEvents: declared<{ step: { by: number } }>(),
  hostCalls: declared<{ limit: (p: { name: string }) => number }>(),
  start(init: { name: string }, ctx) {
    let n = 0;
    ctx.onEvent("step", ({ by }) => {
      n += by;
      ctx.emit("tick", { n });
    });
    return {
      handlers: {
        /** Counts up to the host's limit for this counter. */
        countToLimit: async () => {
          const limit = await ctx.call("limit", { name: init.name });
          while (n < limit) ctx.emit("tick", { n: ++n });
          return { reached: n };
        },
      },
    };
  },
});

type Counter = SurfaceOf<typeof counterPlugin>;

function counterSpec(
  handlers: HostCallsOf<typeof counterPlugin>,
): PluginSpec<{ name: string }, HostCallsOf<typeof counterPlugin>> {
  return {
    name: "counter",
    module: new URL(import.meta.url),
    mode: "inline",
    loadDefinition: () => Promise.resolve(counterPlugin),
    permissions: {},
    init: { name: "c" },
    heartbeat: false,
    handlers,
  };
}

Deno.test("declared events and host calls reach both ends with their declared types", async () => {
  const asked: string[] = [];
  const counter = await startPlugin<Counter>(counterSpec({
    limit: ({ name }) => {
      asked.push(name);
      return 3;
    },
  }));
  try {
    const ticks: number[] = [];
    counter.peer.on("tick", (tick) => ticks.push(tick.n));
    counter.peer.emit("step", { by: 2 });
    const { reached } = await counter.peer.call("countToLimit");
    assert.equal(reached, 3);
    assert.deepEqual(asked, ["c"]);
    assert.deepEqual(ticks, [2, 3]);
  } finally {
    await counter.stop();
  }
});

Deno.test("what a plugin did not declare does not compile, on either side", () => {
  definePlugin({
    name: "strict",
    events: declared<{ tick: Tick }>(),
    start(_init: null, ctx) {
      // @ts-expect-error an event the plugin did not declare
      ctx.emit("tock", { n: 1 });
      // @ts-expect-error a payload of the wrong shape
      ctx.emit("tick", { n: "1" });
      // @ts-expect-error no host events declared
      ctx.onEvent("step", () => {});
      // @ts-expect-error no host calls declared
      void ctx.call("limit", { name: "x" });
      return { handlers: {} };
    },
  });
  // deno-lint-ignore no-constant-condition
  if (false) {
    // Never runs: the type checker reads these.
    const ref = new PluginRef<Counter>(counterSpec({ limit: () => 1 }));
    ref.on("tick", (tick: Tick) => tick.n);
    // @ts-expect-error `step` is an event the plugin accepts, not one it emits
    ref.on("step", () => {});
    // @ts-expect-error `tick` is emitted by the plugin, not sent to it
    ref.emit("tick", { n: 1 });
    // @ts-expect-error a host that answers the wrong shape
    counterSpec({ limit: () => "three" });
    // @ts-expect-error a host that forgets a call the plugin makes
    counterSpec({});
  }
});
