/**
 * `store`: sessions, messages, aliases and OAuth state on Deno KV, as a
 * plugin. Thin wiring of `lib/store` (see `docs/store.md`). Permissions
 * (`storeWorkerPermissions` in `lib/store/permissions.ts`): read/write of
 * the data directory only; for a remote KV, net to its host and env
 * `DENO_KV_ACCESS_TOKEN` only.
 *
 * Sessions are opened by id and referred to by id in later calls; the
 * worker holds the open views (and their writer leases). Event:
 * `session-changed` (`SessionChangedEvent`: `{ sessionId, change, session?,
 * seqs? }`) on every change, including `change: "lease-lost"` when another
 * process took over a session open here.
 *
 * @module
 */
import "../lib/plugin/guard.ts";
// define.ts, not mod.ts: this worker must stay small (no host/supervisor code).
import { declared, definePlugin, serveWorker } from "../lib/plugin/define.ts";
import type { CallContext } from "../lib/rpc/peer.ts";
import {
  type ImportOptions,
  type KvLocation,
  type ListOptions,
  type MessageEntry,
  type MessageStore,
  openMessageStore,
  type SessionChangedEvent,
  type SessionInit,
  type SessionPatch,
  type SessionRecord,
  type SessionView,
  StoreError,
} from "../lib/store/mod.ts";

/** Start data of the store plugin (structured-clonable). */
export interface StoreInit {
  /** Where the store is (from `resolveKvLocation` on the main thread). */
  location: KvLocation;
  /** Messages kept in memory per open session (`[session] page_size`). */
  pageSize?: number;
  /** Writer lease lifetime in ms (default 30 000). */
  leaseTtlMs?: number;
  /** Who we are, shown to a second writer (the worker has no `sys` permission). */
  owner?: { pid?: number; host?: string };
  /** Lease identity, stable across restarts of this worker within one process. */
  ownerId?: string;
}

/** A session just opened: its record and the recent page. */
export interface OpenedSession {
  /** The record. */
  session: SessionRecord;
  /** Up to `pageSize` most recent messages, oldest first. */
  recent: MessageEntry[];
  /** True when opened without a lease. */
  readOnly: boolean;
}

function opened(view: SessionView): OpenedSession {
  return { session: view.record, recent: [...view.recent], readOnly: view.readOnly };
}

async function* abortable(gen: AsyncGenerator<string>, call: CallContext): AsyncGenerator<string> {
  try {
    for await (const piece of gen) {
      if (call.signal.aborted) return;
      yield piece;
    }
  } finally {
    await gen.return(undefined);
  }
}

/** The store plugin. */
export const storePlugin = definePlugin({
  name: "store",
  events: declared<{ "session-changed": SessionChangedEvent }>(),
  async start(init: StoreInit, ctx) {
    const store: MessageStore = await openMessageStore({
      location: init.location,
      pageSize: init.pageSize,
      leaseTtlMs: init.leaseTtlMs,
      ownerId: init.ownerId,
      owner: { pid: init.owner?.pid ?? Deno.pid, host: init.owner?.host },
      onEvent: (event) => ctx.emit("session-changed", event),
    });
    /** Views opened through RPC, by session id (writable ones hold a lease). */
    const views = new Map<string, SessionView>();
    const viewOf = (sessionId: string): SessionView => {
      const view = views.get(sessionId);
      if (!view || view.closed) {
        throw new StoreError(
          "SESSION_NOT_OPEN",
          `session ${sessionId} is not open in the store worker; open or create it first`,
        );
      }
      return view;
    };
    const keep = (view: SessionView) => {
      const previous = views.get(view.id);
      if (previous && previous !== view && !previous.closed && previous.readOnly) {
        void previous.close();
      }
      views.set(view.id, view);
      return opened(view);
    };
    return {
      handlers: {
        info: () => store.info(),
        create: async (p: { init?: SessionInit & { id?: string } } = {}) =>
          keep(await store.sessions.create(p.init ?? {})),
        open: async (
          p: { ref: string; readOnly?: boolean; takeOverFrom?: { pid: number; host: string } },
        ) =>
          keep(
            await store.sessions.open(p.ref, {
              readOnly: p.readOnly,
              takeOverFrom: p.takeOverFrom,
            }),
          ),
        close: async (p: { sessionId: string }) => {
          const view = views.get(p.sessionId);
          views.delete(p.sessionId);
          await view?.close();
          return { closed: view !== undefined };
        },
        append: (p: { sessionId: string; message: unknown }) =>
          viewOf(p.sessionId).append(p.message),
        replaceLast: (p: { sessionId: string; seq: number; message: unknown }) =>
          viewOf(p.sessionId).replaceLast(p.seq, p.message),
        appendMany: (p: { sessionId: string; messages: unknown[] }) =>
          viewOf(p.sessionId).appendMany(p.messages),
        recent: (p: { sessionId: string }) => [...viewOf(p.sessionId).recent],
        history: async (p: { sessionId: string; before?: number; limit?: number }) => {
          const open = views.get(p.sessionId);
          if (open && !open.closed) return open.history(p);
          const view = await store.sessions.open(p.sessionId, { readOnly: true, preload: false });
          try {
            return await view.history(p);
          } finally {
            await view.close();
          }
        },
        get: (p: { ref: string }) => store.sessions.get(p.ref),
        resolve: async (p: { ref: string }) => ({ id: await store.sessions.resolve(p.ref) }),
        list: (p: ListOptions = {}) => store.sessions.list(p),
        last: (p: { skipEmpty?: boolean } = {}) => store.sessions.last(p),
        update: (p: { ref: string; patch: SessionPatch }) => store.sessions.update(p.ref, p.patch),
        save: (p: { ref: string; name: string | null }) => store.sessions.save(p.ref, p.name),
        clear: (p: { ref: string }) => store.sessions.clear(p.ref),
        delete: async (p: { ref: string }) => {
          const result = await store.sessions.delete(p.ref);
          views.delete(result.id);
          return result;
        },
        exportJson: (p: { ref: string }, call: CallContext) =>
          abortable(store.transfer.exportJson(p.ref), call),
        exportMarkdown: (p: { ref: string }, call: CallContext) =>
          abortable(store.transfer.exportMarkdown(p.ref), call),
        import: (p: { data: unknown } & ImportOptions) =>
          store.transfer.import(p.data, { onConflict: p.onConflict }),
        setAlias: (p: { name: string; commands: string[] }) =>
          store.aliases.set(p.name, p.commands),
        getAlias: (p: { name: string }) => store.aliases.get(p.name),
        listAliases: () => store.aliases.list(),
        deleteAlias: async (p: { name: string }) => ({
          deleted: await store.aliases.delete(p.name),
        }),
        oauthStorage: async (p: { op: "get" | "set" | "delete"; key: string; value?: unknown }) => {
          if (p.op === "get") return { value: await store.oauth.get(p.key) };
          if (p.op === "set") await store.oauth.set(p.key, p.value);
          else await store.oauth.delete(p.key);
          return {};
        },
      },
      stop: () => store.close(),
    };
  },
});

serveWorker(storePlugin);
