/**
 * Resumability for streamable HTTP: each session keeps its last events in
 * memory so a client whose SSE stream dropped reconnects with
 * `Last-Event-ID` and gets what it missed. Bounded per session.
 *
 * @module
 */

// @ts-types="@modelcontextprotocol/sdk/server/webStandardStreamableHttp"
import type { EventStore } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
// @ts-types="@modelcontextprotocol/sdk/types"
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

/**
 * An in-memory event store holding the newest `limit` events of one session.
 *
 * @example
 * ```ts
 * import { MemoryEventStore } from "./event_store.ts";
 * const store = new MemoryEventStore(10);
 * const first = await store.storeEvent("s1", { jsonrpc: "2.0", method: "a" });
 * await store.storeEvent("s1", { jsonrpc: "2.0", method: "b" });
 * const seen: string[] = [];
 * await store.replayEventsAfter(first, { send: (_id, m) => { seen.push((m as { method: string }).method); return Promise.resolve(); } });
 * console.log(seen); // ["b"]
 * ```
 */
export class MemoryEventStore implements EventStore {
  readonly #limit: number;
  readonly #events: { id: string; stream: string; message: JSONRPCMessage }[] = [];
  #next = 0;

  constructor(limit = 500) {
    this.#limit = limit;
  }

  storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${(++this.#next).toString(36).padStart(8, "0")}`;
    this.#events.push({ id, stream: streamId, message });
    if (this.#events.length > this.#limit) this.#events.shift();
    return Promise.resolve(id);
  }

  getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    const cut = eventId.lastIndexOf("_");
    return Promise.resolve(cut > 0 ? eventId.slice(0, cut) : undefined);
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const stream = await this.getStreamIdForEventId(lastEventId) ?? "";
    const at = this.#events.findIndex((e) => e.id === lastEventId);
    for (const event of this.#events.slice(at + 1)) {
      if (event.stream === stream && event.id > lastEventId) await send(event.id, event.message);
    }
    return stream;
  }
}
