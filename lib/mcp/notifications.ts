/**
 * Notification history: every notification a server sends is recorded with a
 * timestamp in a bounded ring, by category, with per-category enable flags
 * and filters. Progress bursts are coalesced per token per interval so 1,000
 * updates become a handful of UI events.
 *
 * @module
 */

import { type Clock, systemClock, type TimerHandle } from "../util/clock.ts";

/** Categories of notifications (the `[notifications.categories]` keys). */
export type NotificationCategory =
  | "progress"
  | "logging"
  | "resources"
  | "tools"
  | "prompts"
  | "cancelled"
  | "elicitation"
  | "tasks"
  | "connection"
  | "other";

/** All categories, in display order. */
export const NOTIFICATION_CATEGORIES: readonly NotificationCategory[] = [
  "progress",
  "logging",
  "resources",
  "tools",
  "prompts",
  "cancelled",
  "elicitation",
  "tasks",
  "connection",
  "other",
];

/**
 * The category of an MCP notification method.
 *
 * @example
 * ```ts
 * import { categoryOf } from "./notifications.ts";
 * categoryOf("notifications/resources/updated"); // "resources"
 * ```
 */
export function categoryOf(method: string): NotificationCategory {
  if (method === "notifications/progress") return "progress";
  if (method === "notifications/message") return "logging";
  if (method.startsWith("notifications/resources/")) return "resources";
  if (method === "notifications/tools/list_changed") return "tools";
  if (method === "notifications/prompts/list_changed") return "prompts";
  if (method === "notifications/cancelled") return "cancelled";
  if (method.startsWith("notifications/elicitation/")) return "elicitation";
  if (method.startsWith("notifications/tasks/")) return "tasks";
  if (method.startsWith("mcpchat/")) return "connection";
  return "other";
}

/** One recorded notification. */
export interface NotificationRecord {
  /** Monotonic sequence number. */
  seq: number;
  /** Clock time it arrived. */
  at: number;
  /** Server that sent it. */
  server: string;
  /** JSON-RPC method (`notifications/…`, or `mcpchat/…` for client events). */
  method: string;
  /** Category, for filters and enable flags. */
  category: NotificationCategory;
  /** The notification's params (plain JSON). */
  params: Record<string, unknown>;
}

/** A query over the history. */
export interface NotificationFilter {
  /** Only this server's. */
  server?: string;
  /** Only these categories. */
  categories?: NotificationCategory[];
  /** Only records after this sequence number. */
  sinceSeq?: number;
  /** Case-insensitive substring of method or JSON params. */
  text?: string;
  /** At most this many, newest last (default all). */
  limit?: number;
}

/** Options of {@linkcode NotificationHistory}. */
export interface NotificationHistoryOptions {
  /** Ring size (default 1000). */
  size?: number;
  /** Categories enabled (recorded); missing keys are enabled. */
  categories?: Partial<Record<NotificationCategory, boolean>>;
  /** Clock for timestamps. */
  clock?: Clock;
}

/**
 * Bounded ring of notifications.
 *
 * @example
 * ```ts
 * import { NotificationHistory } from "./notifications.ts";
 * const h = new NotificationHistory({ size: 2 });
 * h.record("s", "notifications/message", { level: "info", data: "hi" });
 * h.query({ categories: ["logging"] }).length; // 1
 * ```
 */
export class NotificationHistory {
  readonly #size: number;
  readonly #ring: (NotificationRecord | undefined)[];
  #next = 0;
  #seq = 0;
  #dropped = 0;
  readonly #enabled: Record<NotificationCategory, boolean>;
  readonly #counts: Record<NotificationCategory, number>;
  readonly #clock: Clock;

  /** Creates an empty history. */
  constructor(options: NotificationHistoryOptions = {}) {
    this.#size = Math.max(1, options.size ?? 1000);
    this.#ring = new Array(this.#size);
    this.#clock = options.clock ?? systemClock;
    this.#enabled = Object.fromEntries(
      NOTIFICATION_CATEGORIES.map((c) => [c, options.categories?.[c] ?? true]),
    ) as Record<NotificationCategory, boolean>;
    this.#counts = Object.fromEntries(NOTIFICATION_CATEGORIES.map((c) => [c, 0])) as Record<
      NotificationCategory,
      number
    >;
  }

  /** Records a notification; returns the record, or `undefined` when its category is disabled. */
  record(
    server: string,
    method: string,
    params: Record<string, unknown> | undefined,
  ): NotificationRecord | undefined {
    const category = categoryOf(method);
    this.#counts[category]++;
    if (!this.#enabled[category]) return undefined;
    const rec: NotificationRecord = {
      seq: ++this.#seq,
      at: this.#clock.now(),
      server,
      method,
      category,
      params: params ?? {},
    };
    if (this.#ring[this.#next] !== undefined) this.#dropped++;
    this.#ring[this.#next] = rec;
    this.#next = (this.#next + 1) % this.#size;
    return rec;
  }

  /** Records matching a filter, oldest first. */
  query(filter: NotificationFilter = {}): NotificationRecord[] {
    const out: NotificationRecord[] = [];
    const text = filter.text?.toLowerCase();
    for (let i = 0; i < this.#size; i++) {
      const rec = this.#ring[(this.#next + i) % this.#size];
      if (!rec) continue;
      if (filter.server && rec.server !== filter.server) continue;
      if (filter.categories && !filter.categories.includes(rec.category)) continue;
      if (filter.sinceSeq !== undefined && rec.seq <= filter.sinceSeq) continue;
      if (
        text && !rec.method.toLowerCase().includes(text) &&
        !JSON.stringify(rec.params).toLowerCase().includes(text)
      ) continue;
      out.push(rec);
    }
    return filter.limit !== undefined ? out.slice(-filter.limit) : out;
  }

  /** Enables or disables recording of a category. */
  setCategory(category: NotificationCategory, enabled: boolean): void {
    this.#enabled[category] = enabled;
  }

  /** Which categories are recorded. */
  categories(): Record<NotificationCategory, boolean> {
    return { ...this.#enabled };
  }

  /** Counters: seen per category (including disabled), recorded total, overwritten. */
  stats(): { seen: Record<NotificationCategory, number>; recorded: number; overwritten: number } {
    return { seen: { ...this.#counts }, recorded: this.#seq, overwritten: this.#dropped };
  }

  /** Empties the history. */
  clear(): void {
    this.#ring.fill(undefined);
    this.#next = 0;
  }
}

/** One coalesced progress update. */
export interface ProgressUpdate {
  /** Server of the call. */
  server: string;
  /** Token identifying the call. */
  progressToken: string | number;
  /** Progress so far (increases). */
  progress: number;
  /** Total, when known. */
  total?: number;
  /** Status text from the server. */
  message?: string;
  /** How many raw notifications this update stands for. */
  coalesced: number;
}

/**
 * Coalesces progress per (server, token): the first update of a token is
 * delivered at once, later ones at most once per `intervalMs` (the latest
 * value wins), and a pending value is flushed at the end of the interval.
 *
 * @example
 * ```ts
 * import { ProgressCoalescer } from "./notifications.ts";
 * const seen: number[] = [];
 * const c = new ProgressCoalescer((u) => seen.push(u.progress), { intervalMs: 100 });
 * for (let i = 1; i <= 1000; i++) c.push({ server: "s", progressToken: 1, progress: i });
 * c.flush();
 * console.log(seen); // [1, 1000]
 * ```
 */
export class ProgressCoalescer {
  readonly #emit: (u: ProgressUpdate) => void;
  readonly #interval: number;
  readonly #clock: Clock;
  readonly #pending = new Map<string, ProgressUpdate>();
  readonly #lastEmit = new Map<string, number>();
  #timer?: TimerHandle;

  /** `emit` receives the coalesced updates. */
  constructor(
    emit: (u: ProgressUpdate) => void,
    options: { intervalMs?: number; clock?: Clock } = {},
  ) {
    this.#emit = emit;
    this.#interval = options.intervalMs ?? 100;
    this.#clock = options.clock ?? systemClock;
  }

  /** Offers a raw progress notification. */
  push(update: Omit<ProgressUpdate, "coalesced">): void {
    const key = `${update.server}\u0000${update.progressToken}`;
    const now = this.#clock.now();
    const last = this.#lastEmit.get(key);
    const previous = this.#pending.get(key);
    const merged: ProgressUpdate = { ...update, coalesced: (previous?.coalesced ?? 0) + 1 };
    if (last === undefined || now - last >= this.#interval) {
      this.#pending.delete(key);
      this.#lastEmit.set(key, now);
      this.#emit(merged);
      return;
    }
    this.#pending.set(key, merged);
    if (this.#timer === undefined) {
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.flush();
      }, this.#interval - (now - last));
    }
  }

  /** Delivers every pending update now. */
  flush(): void {
    if (this.#timer !== undefined) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const now = this.#clock.now();
    for (const [key, u] of this.#pending) {
      this.#lastEmit.set(key, now);
      this.#emit(u);
    }
    this.#pending.clear();
  }

  /** Forgets a finished token (flushing its pending value). */
  done(server: string, progressToken: string | number): void {
    const key = `${server}\u0000${progressToken}`;
    const u = this.#pending.get(key);
    if (u) {
      this.#pending.delete(key);
      this.#emit(u);
    }
    this.#lastEmit.delete(key);
  }

  /** Stops timers. */
  close(): void {
    this.flush();
    this.#lastEmit.clear();
  }
}

/** A batch of notifications for the UI. */
export interface NotificationBatch {
  /** Records, oldest first. */
  records: NotificationRecord[];
  /** Records left out of `records` because the batch was full. */
  omitted: number;
}

/**
 * Batches notification events for the UI: the first one after a quiet
 * interval goes out at once, later ones within `intervalMs` are gathered and
 * sent together (at most `maxPerBatch` records, the rest counted), so a
 * server logging 1,000 lines a second costs the terminal about ten events.
 *
 * @example
 * ```ts
 * import { NotificationBatcher } from "./notifications.ts";
 * const out: number[] = [];
 * const b = new NotificationBatcher((batch) => out.push(batch.records.length + batch.omitted), { intervalMs: 100 });
 * const rec = (seq: number) => ({ seq, at: 0, server: "s", method: "notifications/message", category: "logging" as const, params: {} });
 * for (let i = 1; i <= 5; i++) b.push(rec(i));
 * b.flush();
 * console.log(out); // [1, 4]
 * ```
 */
export class NotificationBatcher {
  readonly #emit: (batch: NotificationBatch) => void;
  readonly #interval: number;
  readonly #max: number;
  readonly #clock: Clock;
  #pending: NotificationRecord[] = [];
  #omitted = 0;
  #last = -Infinity;
  #timer?: TimerHandle;

  /** `emit` receives the batches. */
  constructor(
    emit: (batch: NotificationBatch) => void,
    options: { intervalMs?: number; maxPerBatch?: number; clock?: Clock } = {},
  ) {
    this.#emit = emit;
    this.#interval = options.intervalMs ?? 100;
    this.#max = options.maxPerBatch ?? 50;
    this.#clock = options.clock ?? systemClock;
  }

  /** Offers one record. */
  push(record: NotificationRecord): void {
    const now = this.#clock.now();
    if (this.#timer === undefined && now - this.#last >= this.#interval) {
      this.#last = now;
      this.#emit({ records: [record], omitted: 0 });
      return;
    }
    if (this.#pending.length < this.#max) this.#pending.push(record);
    else this.#omitted++;
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, Math.max(0, this.#interval - (now - this.#last)));
  }

  /** Sends what is pending now. */
  flush(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0 && this.#omitted === 0) return;
    const batch = { records: this.#pending, omitted: this.#omitted };
    this.#pending = [];
    this.#omitted = 0;
    this.#last = this.#clock.now();
    this.#emit(batch);
  }
}
