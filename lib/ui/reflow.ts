/**
 * Where text already on screen is after the terminal changed its width.
 * Terminals that reflow (tmux, VTE/GNOME Terminal, kitty, iTerm2, WezTerm,
 * Alacritty, foot, Windows Terminal) re-wrap each line at the new width:
 * a row `w` cells wide takes `ceil(w / columns)` rows, and the cursor stays
 * on the character it was on. This is the arithmetic the editor and the
 * live output use to find their first row again after a resize.
 *
 * @module
 */

/**
 * Rows that a row of `width` cells takes at `columns` (at least one).
 *
 * @example
 * ```ts
 * import { rowsAt } from "./reflow.ts";
 * console.log(rowsAt(60, 40), rowsAt(0, 40), rowsAt(40, 40)); // 2 1 1
 * ```
 */
export function rowsAt(width: number, columns: number): number {
  return Math.max(1, Math.ceil(width / Math.max(1, columns)));
}

/**
 * Rows between the first row of some drawn rows and the cursor, once the
 * terminal reflowed them to `columns`: the cursor is at `cursorColumn` of
 * row `cursorRow` (rows are `widths` cells wide, each ended by a newline).
 *
 * @example
 * ```ts
 * import { rowsAboveCursor } from "./reflow.ts";
 * // "top", 60 cells, then 50 cells with the cursor at their end; now 40 columns wide.
 * console.log(rowsAboveCursor([3, 60, 50], 2, 50, 40)); // 1 + 2 + 1 = 4
 * ```
 */
export function rowsAboveCursor(
  widths: readonly number[],
  cursorRow: number,
  cursorColumn: number,
  columns: number,
): number {
  let rows = 0;
  for (let i = 0; i < cursorRow && i < widths.length; i++) rows += rowsAt(widths[i], columns);
  // At the very end of a full row the cursor waits on that row (pending wrap), not below it.
  const own = Math.floor(cursorColumn / Math.max(1, columns));
  const last = rowsAt(Math.max(widths[cursorRow] ?? 0, cursorColumn), columns) - 1;
  return rows + Math.min(own, last);
}
