/**
 * The host side of the plugin contract: runs a plugin in a Web Worker with
 * exactly its declared permissions (or inline on a `MessageChannel`), drives
 * its lifecycle, watches it with heartbeats and reports how it ended.
 *
 * @module
 */

import type { ChildHandle, ExitReason } from "../supervisor/types.ts";
import { RemoteError } from "../rpc/errors.ts";
import { McpchatError } from "../util/errors.ts";
import type { MessageEndpoint } from "../rpc/protocol.ts";
import { RpcPeer } from "../rpc/peer.ts";
import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";
import type { PluginDefinition } from "./define.ts";
import { servePlugin } from "./define.ts";
import { currentTraceparent, telemetryEnabled } from "../telemetry/mod.ts";
import { isLifecycleMessage, type LifecycleMessage, type PluginFault } from "./lifecycle.ts";
import { type PluginPermissions, workerPermissions } from "./permissions.ts";

/** Heartbeat schedule: a ping every `intervalMs`; `missed` unanswered pings = dead. */
export interface HeartbeatOptions {
  intervalMs: number;
  missed: number;
}

/**
 * How to run one plugin instance. `HostCalls` is what its `handlers` serve:
 * `HostCallsOf<typeof plugin>` makes the host implement what the plugin calls.
 */
export interface PluginSpec<Init = unknown, HostCalls extends object = object> {
  /** Instance name, e.g. `"store"`, `"mcp-server:fs"`. */
  name: string;
  /** Static module URL: `new URL("../plugins/store.ts", import.meta.url)`. */
  module: URL;
  /** Everything the plugin may touch; the rest is denied. Ignored inline. */
  permissions: PluginPermissions;
  /**
   * Structured-clonable start data. A promise lets the worker load its
   * modules while the data is still being computed (e.g. from the config).
   */
  init: Init | Promise<Init>;
  /** `worker` (default) or `inline` for plugins that must own the terminal. */
  mode?: "worker" | "inline";
  /** Inline mode: loads the definition (e.g. `() => import("…").then((m) => m.chatPlugin)`). */
  loadDefinition?: () => Promise<PluginDefinition<Init, object, object, object, HostCalls>>;
  /** Methods the plugin may call on the host (`ctx.call`). */
  handlers?: HostCalls;
  /** Longest wait from spawn to ready (default 15 000 ms). */
  readyTimeoutMs?: number;
  /** Default heartbeat 2 000 ms × 3; `false` disables it (tests). May come with a deferred `init`. */
  heartbeat?: HeartbeatOptions | false | Promise<HeartbeatOptions | false>;
  /** Default timeout of calls into the plugin (default 30 000 ms). */
  callTimeoutMs?: number;
  clock?: Clock;
}

/** The plugin could not start: load error, `start()` threw, or no ready in time. */
export class PluginStartError extends McpchatError {
  constructor(readonly plugin: string, message: string, options?: ErrorOptions) {
    super("PLUGIN_START_FAILED", `${plugin}: failed to start: ${message}`, options);
    this.name = "PluginStartError";
  }
}

/** Figures a plugin reported in its last heartbeat answer. */
export interface PluginVitals {
  heapUsed: number;
  pendingCalls: number;
  /** Clock time of the answer. */
  at: number;
}

/**
 * A running plugin, seen from the host: a {@linkcode ChildHandle} for the
 * supervisor and an RPC peer for callers.
 */
export class PluginHandle<Remote = Record<string, never>> implements ChildHandle {
  readonly name: string;
  readonly peer: RpcPeer<Remote>;
  readonly exited: Promise<ExitReason>;
  /** Methods the plugin offers (from its ready message). */
  methods: string[] = [];
  /** Last heartbeat figures, if any. */
  vitals?: PluginVitals;
  /** Heartbeats sent and not answered yet (the plugin is declared dead at the limit). */
  unansweredHeartbeats = 0;
  /** Whether this instance runs in a Web Worker (`false`: inline on the main thread). */
  readonly inWorker: boolean;
  /** Sends a heartbeat now (fresh figures for a health check); no-op without heartbeats. */
  pingNow: () => void = () => {};
  #resolveExit!: (reason: ExitReason) => void;
  #ended = false;
  #stopped?: () => void;
  #post: (message: LifecycleMessage) => void;
  #terminate: () => void;

  constructor(
    name: string,
    peer: RpcPeer<Remote>,
    post: (message: LifecycleMessage) => void,
    terminate: () => void,
    inWorker = true,
  ) {
    this.name = name;
    this.inWorker = inWorker;
    this.peer = peer;
    this.#post = post;
    this.#terminate = terminate;
    this.exited = new Promise((resolve) => (this.#resolveExit = resolve));
  }

  /** Whether the plugin has ended (crashed, stopped or killed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Asks the plugin to stop cleanly; resolves once it has, then frees the worker. */
  stop(reason = "shutdown"): Promise<void> {
    if (this.#ended) return Promise.resolve();
    const stopped = new Promise<void>((resolve) => (this.#stopped = resolve));
    const done = this.exited.then(() => undefined);
    this.#post({ t: "sys", kind: "stop", reason });
    return Promise.race([stopped, done]).then(() => this.end({ kind: "shutdown", reason }));
  }

  /** Terminates the plugin at once. */
  kill(): void {
    this.end({ kind: "shutdown", reason: "killed" });
  }

  /**
   * Calls into the plugin that wait for an answer (its pending RPC queue, seen
   * from the host).
   */
  get queuedCalls(): number {
    return this.peer.pendingCount;
  }

  /**
   * Test hook: makes a worker plugin die as a real fault would (`crash`: an
   * uncaught error; `exit`: a silent `close()`, noticed by heartbeats): at
   * once, or with `method`, right after the next call of that method has
   * started (so it is in flight). Inline plugins share the main thread and
   * ignore it.
   */
  injectFault(fault: PluginFault, method?: string): void {
    if (this.#ended || !this.inWorker) return;
    this.#post(
      method ? { t: "sys", kind: "fault", fault, method } : { t: "sys", kind: "fault", fault },
    );
  }

  /** @internal lifecycle: the plugin said it stopped. */
  markStopped(): void {
    this.#stopped?.();
  }

  /** @internal ends the instance exactly once. */
  end(reason: ExitReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.peer.close(reason.kind === "crash" ? `crashed: ${reason.error}` : "stopped");
    this.#terminate();
    this.#resolveExit(reason);
  }
}

/**
 * Starts a plugin and resolves when it is ready to serve calls.
 *
 * @throws {PluginStartError}
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { startPlugin } from "./host.ts";
 * import { configSpec } from "../../plugins/manifest.ts";
 * import type { SurfaceOf } from "./define.ts";
 * import type { configPlugin } from "../../plugins/config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/config.toml`, '[mcp]\nstartup_mode = "eager"\n');
 * // The config service: a worker that may read its config file and directory, nothing else.
 * const spec = configSpec({ env: { HOME: dir }, configPath: `${dir}/config.toml` });
 * const config = await startPlugin<SurfaceOf<typeof configPlugin>>(spec);
 * const { config: loaded } = await config.peer.call("load", {});
 * assert.equal(loaded.mcp.startup_mode, "eager");
 * await config.stop();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function startPlugin<Remote = Record<string, never>>(
  spec: PluginSpec,
): Promise<PluginHandle<Remote>> {
  const clock = spec.clock ?? systemClock;
  // A deferred init that fails is reported as a start failure below, never as
  // an unhandled rejection (which would end the process) if the worker dies first.
  Promise.resolve(spec.init).catch(() => {});
  Promise.resolve(spec.heartbeat).catch(() => {});
  // No await between creating the channel and listening to it: a worker's
  // first message is dispatched on the next turn and would be lost.
  const { endpoint, terminate, onCrashEvent } = spec.mode === "inline"
    ? await openInline(spec)
    : openWorker(spec);
  // Assigned once below; the peer's message handler, created first, refers to it.
  // deno-lint-ignore prefer-const
  let handle!: PluginHandle<Remote>;
  let loaded!: () => void;
  let settleStart!: (error?: Error) => void;
  const loadedSignal = new Promise<void>((resolve) => (loaded = resolve));
  const startOutcome = new Promise<Error | undefined>((resolve) => (settleStart = resolve));
  let lastPong = 0;
  let sentPings = 0;

  const peer = new RpcPeer<Remote>(endpoint, {
    name: spec.name,
    handlers: spec.handlers,
    defaultTimeoutMs: spec.callTimeoutMs ?? 30_000,
    clock,
    // Calls carry the caller's trace context, so spans inside the worker join its trace.
    traceparent: telemetryEnabled() ? currentTraceparent : undefined,
    onOtherMessage: (data) => {
      if (!isLifecycleMessage(data)) return;
      switch (data.kind) {
        case "loaded":
          loaded();
          break;
        case "ready":
          handle.methods = data.methods;
          settleStart();
          break;
        case "start-failed":
          settleStart(new RemoteError(spec.name, data.error));
          break;
        case "pong":
          lastPong = data.seq;
          handle.unansweredHeartbeats = sentPings - lastPong;
          handle.vitals = {
            heapUsed: data.heapUsed,
            pendingCalls: data.pendingCalls,
            at: clock.now(),
          };
          break;
        case "stopped":
          handle.markStopped();
          break;
        case "crash":
          settleStart(new RemoteError(spec.name, data.error));
          handle.end({ kind: "crash", error: crashText(data.error) });
          break;
      }
    },
  });
  handle = new PluginHandle<Remote>(
    spec.name,
    peer,
    (message) => endpoint.postMessage(message),
    terminate,
    spec.mode !== "inline",
  );
  onCrashEvent((message) => {
    settleStart(new Error(message));
    handle.end({ kind: "crash", error: message });
  });

  const readyTimeoutMs = spec.readyTimeoutMs ?? 15_000;
  let readyTimer: TimerHandle | undefined;
  const timeout = new Promise<Error>((resolve) => {
    readyTimer = clock.setTimeout(
      () => resolve(new Error(`not ready after ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
  });
  const failure = await Promise.race([
    loadedSignal.then(() => spec.init).then((init) => {
      endpoint.postMessage({
        t: "sys",
        kind: "init",
        name: spec.name,
        init,
        // A worker cannot read OTEL_DENO itself: tell it whether to trace its calls.
        otel: telemetryEnabled(),
      });
      return startOutcome;
    }, (error: unknown) => error instanceof Error ? error : new Error(String(error))),
    startOutcome,
    timeout,
  ]);
  if (readyTimer !== undefined) clock.clearTimeout(readyTimer);
  if (failure) {
    handle.end({ kind: "crash", error: failure.message });
    throw new PluginStartError(spec.name, failure.message, { cause: failure });
  }

  const heartbeat = (await spec.heartbeat) ?? { intervalMs: 2_000, missed: 3 };
  if (heartbeat) {
    let timer: TimerHandle | undefined;
    const beat = () => {
      if (handle.ended) return;
      if (sentPings - lastPong >= heartbeat.missed) {
        handle.end({
          kind: "crash",
          error: `missed ${heartbeat.missed} heartbeats (stuck, or exited without a word)`,
        });
        return;
      }
      ping();
      timer = clock.setTimeout(beat, heartbeat.intervalMs);
    };
    const ping = () => {
      sentPings++;
      handle.unansweredHeartbeats = sentPings - lastPong;
      endpoint.postMessage({ t: "sys", kind: "ping", seq: sentPings });
    };
    handle.pingNow = () => {
      if (!handle.ended) ping();
    };
    timer = clock.setTimeout(beat, heartbeat.intervalMs);
    void handle.exited.then(() => timer !== undefined && clock.clearTimeout(timer));
  }
  return handle;
}

interface Channel {
  endpoint: MessageEndpoint;
  terminate: () => void;
  onCrashEvent: (listener: (message: string) => void) => void;
}

async function openInline(spec: PluginSpec): Promise<Channel> {
  if (!spec.loadDefinition) {
    throw new PluginStartError(spec.name, "inline mode needs loadDefinition");
  }
  const definition = await spec.loadDefinition();
  // A MessagePort queues messages until its listener starts it: no race here.
  const { port1, port2 } = new MessageChannel();
  servePlugin(definition, port2, () => port2.close());
  return {
    endpoint: port1,
    terminate: () => {
      port1.close();
      port2.close();
    },
    onCrashEvent: () => {},
  };
}

function openWorker(spec: PluginSpec): Channel {
  const worker = new Worker(spec.module, {
    type: "module",
    name: spec.name,
    deno: { permissions: workerPermissions(spec.permissions, spec.module) },
  });
  const crashListeners: ((message: string) => void)[] = [];
  const report = (message: string) => crashListeners.forEach((listener) => listener(message));
  worker.addEventListener("error", (event) => {
    // Without preventDefault an error in any worker exits the whole process.
    event.preventDefault();
    report(event.message || "uncaught error in worker");
  });
  worker.addEventListener("messageerror", () => report("received a message it could not read"));
  return {
    endpoint: worker,
    terminate: () => worker.terminate(),
    onCrashEvent: (listener) => crashListeners.push(listener),
  };
}

function crashText(error: { name: string; message: string }): string {
  return `${error.name}: ${error.message}`;
}
