/**
 * The health report as one table for the terminal (`/health`,
 * `mcpchat health`), and the short summary `doctor` prints. Text that came
 * from outside (server statuses, crash messages) goes through the sanitiser.
 *
 * @module
 */

import type { Palette } from "../ui/output.ts";
import { sanitizeLine } from "../ui/sanitize.ts";
import { describeProblem } from "./monitor.ts";
import type { HealthReport } from "./types.ts";

/** The colours the table uses. */
export type HealthPalette = Pick<Palette, "bold" | "dim" | "green" | "yellow" | "red">;

const same = (text: string | number | null | undefined) => String(text);
const plain: HealthPalette = { bold: same, dim: same, green: same, yellow: same, red: same };

interface Row {
  cells: string[];
  tone: "ok" | "warn" | "bad" | "none";
}

function mb(bytes: number | undefined): string {
  return bytes === undefined ? "-" : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function clip(text: string, max = 70): string {
  const line = sanitizeLine(text);
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Renders the report as one aligned table plus a line of totals.
 *
 * @example
 * ```ts
 * import { renderHealthTable } from "./render.ts";
 * const text = renderHealthTable({
 *   since: 0, at: 60_000, restartCount: 0, restarts: [], alerts: [], breakers: [], mcpServers: [],
 *   thresholds: { maxHeapBytes: 100 * 2 ** 20, maxQueue: 1000, missedHeartbeats: 3, restartAfterChecks: 3 },
 *   workers: [{ id: "store", supervisor: "root", state: "running", restarts: 0, inWorker: true,
 *     heapUsed: 5 * 2 ** 20, queued: 0, unansweredHeartbeats: 0, problems: [], healthy: true }],
 * });
 * console.log(text.split("\n")[1].startsWith("store")); // true
 * ```
 */
export function renderHealthTable(report: HealthReport, color: HealthPalette = plain): string {
  const header = ["SERVICE", "STATE", "RESTARTS", "HEAP", "QUEUE", "BEATS", "NOTE"];
  const rows: Row[] = [];
  const limits = report.thresholds;
  for (const w of report.workers) {
    const note = w.problems.length
      ? w.problems.map(describeProblem).join(", ")
      : w.lastError
      ? `last error: ${w.lastError}`
      : w.inline
      ? "inline (main thread)"
      : "";
    rows.push({
      cells: [
        w.id,
        w.state,
        String(w.restarts),
        mb(w.heapUsed),
        w.queued === undefined ? "-" : String(w.queued),
        w.unansweredHeartbeats === undefined
          ? "-"
          : `${w.unansweredHeartbeats}/${limits.missedHeartbeats}`,
        clip(note),
      ],
      tone: w.state !== "running" ? "bad" : w.healthy ? "ok" : "warn",
    });
  }
  for (const b of report.breakers) {
    rows.push({
      cells: [
        `llm ${b.backend}`,
        `breaker ${b.state}`,
        "-",
        "-",
        "-",
        "-",
        `${b.consecutiveFailures} failures in a row` +
        (b.retryInMs ? `, retry in ${Math.ceil(b.retryInMs / 1000)} s` : ""),
      ],
      tone: b.state === "closed" ? "ok" : b.state === "open" ? "bad" : "warn",
    });
  }
  for (const s of report.mcpServers) {
    rows.push({
      cells: [`mcp ${clip(s.name, 30)}`, clip(s.state, 20), "-", "-", "-", "-", clip(s.status)],
      tone: s.state === "ready" ? "ok" : s.state === "failed" ? "bad" : "warn",
    });
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const pad = (cells: string[]) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i])).join("  ")
      .trimEnd();
  const toneOf = { ok: color.green, warn: color.yellow, bad: color.red, none: same };
  const lines = [color.bold(pad(header))];
  for (const row of rows) {
    // Colour the state cell only, after padding, so columns stay aligned.
    const cells = [...row.cells];
    const padded = pad(cells);
    const state = cells[1].padEnd(widths[1]);
    const at = widths[0] + 2;
    lines.push(
      padded.slice(0, at) + toneOf[row.tone](state) + padded.slice(at + state.length),
    );
  }
  lines.push(color.dim(summaryLine(report)));
  return lines.join("\n") + "\n";
}

/**
 * One line: uptime, restarts and alerts since start, the last alert.
 *
 * @example
 * ```ts
 * import { summaryLine } from "./render.ts";
 * console.log(summaryLine({ since: 0, at: 90_000, restartCount: 1, restarts: [], alerts: [], workers: [], breakers: [], mcpServers: [],
 *   thresholds: { maxHeapBytes: 1, maxQueue: 1, missedHeartbeats: 3, restartAfterChecks: 3 } }));
 * // up 1m30s · 1 restart · 0 alerts since start
 * ```
 */
export function summaryLine(report: HealthReport): string {
  const up = Math.max(0, Math.round((report.at - report.since) / 1000));
  const uptime = up >= 60 ? `${Math.floor(up / 60)}m${up % 60}s` : `${up}s`;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const last = report.alerts.at(-1);
  return `up ${uptime} · ${plural(report.restartCount, "restart")} · ` +
    `${plural(report.alerts.length, "alert")} since start` +
    (last ? ` (last: ${last.id} ${clip(last.message, 80)})` : "");
}

/**
 * The alert line the REPL shows when the health service raises one.
 *
 * @example
 * ```ts
 * import { alertLine } from "./render.ts";
 * console.log(alertLine({ id: "llm", message: "heap 120 MB (limit 100 MB)" }));
 * // ! health: llm heap 120 MB (limit 100 MB)
 * ```
 */
export function alertLine(alert: { id: string; message: string }): string {
  return `! health: ${sanitizeLine(alert.id)} ${sanitizeLine(alert.message)}`;
}
