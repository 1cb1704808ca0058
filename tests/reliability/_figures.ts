/**
 * Figures of the reliability suite (restarts survived, inputs tried, calls
 * made, anything lost). Each test adds to them; when
 * `MCPCHAT_RELIABILITY_FIGURES` names a directory (set by
 * `tests/reliability/report.ts`), they are written there as JSON, one file
 * per test file, for `docs/reliability.md`.
 *
 * @module
 */

/** One figure: what was done, how often, and what was lost (0 is the claim). */
export interface Figure {
  /** The scenario, one line. */
  scenario: string;
  /** What the figure counts: "restarts survived", "inputs tried", "calls made"… */
  measure: string;
  value: number;
  /** What was lost or went uncaught (must be 0). */
  lost: number;
  /** Any detail worth a column (e.g. "backoff 200→400→800 ms"). */
  note?: string;
}

const figures: Figure[] = [];

/**
 * Records a figure for the report (a no-op outside `report.ts` runs).
 *
 * @example
 * ```ts ignore
 * await recordFigure("worker_kill", { scenario: "store killed mid-append", measure: "restarts survived", value: 1, lost: 0 });
 * ```
 */
export async function recordFigure(file: string, figure: Figure): Promise<void> {
  figures.push(figure);
  const dir = Deno.env.get("MCPCHAT_RELIABILITY_FIGURES");
  if (!dir) return;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${file}.json`;
  const existing: Figure[] = await Deno.readTextFile(path).then(JSON.parse, () => []);
  existing.push(figure);
  await Deno.writeTextFile(path, JSON.stringify(existing, null, 2));
}
