/**
 * `/notification`: recent MCP notifications, and switching categories.
 *
 * @module
 */

import { NOTIFICATION_CATEGORIES } from "../../../mcp/notifications.ts";
import { sanitizeLine } from "../../../ui/sanitize.ts";
import type { ReplCommand } from "../state.ts";

/** `/notification`. */
export const notificationCommand: ReplCommand = {
  name: "notification",
  summary: "MCP notifications: recent ones, filtered; switch categories on and off",
  usage: "/notification [CATEGORY on|off] | [list [TEXT]]",
  group: "mcp",
  complete: (_s, words) =>
    words.length === 0
      ? ["list", ...NOTIFICATION_CATEGORIES]
      : words.length === 1 && words[0] !== "list"
      ? ["on", "off"]
      : [],
  run: async (s, [first, second]) => {
    const { io } = s;
    const mcp = s.mcp;
    if (!mcp) return void io.err("no MCP server has been used yet\n");
    const manager = await mcp;
    if (first && (second === "on" || second === "off")) {
      const category = NOTIFICATION_CATEGORIES.find((name) => name === first);
      if (!category) {
        return void io.err(
          `no category "${first}"; one of ${NOTIFICATION_CATEGORIES.join(", ")}\n`,
        );
      }
      const categories = await manager.call("setNotificationCategory", {
        category,
        enabled: second === "on",
      });
      io.out(
        Object.entries(categories).map(([k, v]) => `${k}: ${v ? "on" : "off"}`).join(", ") + "\n",
      );
      return;
    }
    const records = await manager.call("notifications", {
      limit: 30,
      text: first === "list" ? second : first,
    });
    for (const r of records) {
      const detail = JSON.stringify(r.params);
      io.out(
        `${new Date(r.at).toISOString().slice(11, 19)} ${sanitizeLine(r.server)} ${r.category} ` +
          `${sanitizeLine(r.method)} ${
            detail.length > 100 ? `${detail.slice(0, 100)}…` : detail
          }\n`,
      );
    }
    const stats = await manager.call("notificationStats", undefined);
    const seen = Object.entries(stats.seen).filter(([, n]) => n).map(([k, n]) => `${k} ${n}`);
    const off = Object.entries(stats.categories).filter(([, on]) => !on).map(([k]) => k);
    io.err(
      io.errColor.dim(`seen: ${seen.join(", ") || "none"} · off: ${off.join(", ") || "none"}\n`),
    );
  },
};
