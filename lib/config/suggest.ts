/**
 * "Did you mean" suggestions for misspelt keys and values.
 *
 * @module
 */

/**
 * Levenshtein edit distance between two strings (with adjacent transposition
 * counted as one edit, so `tiemout` is one edit from `timeout`).
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * console.log(editDistance("startup_mod", "startup_mode")); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

function squash(s: string): string {
  return s.toLowerCase().replace(/[-_ ]/g, "");
}

/**
 * The candidate closest to `input`, if it is close enough to be a plausible
 * typo: same letters in another case or separator style (`startupMode`,
 * `startup-mode`), or within a small edit distance.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 * console.log(closest("startup_mod", ["startup_mode", "servers"])); // "startup_mode"
 * console.log(closest("zzz", ["startup_mode"])); // undefined
 * ```
 */
export function closest(input: string, candidates: Iterable<string>): string | undefined {
  const squashed = squash(input);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === input) continue;
    if (squash(candidate) === squashed) return candidate;
    const distance = editDistance(squashed, squash(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(squashed.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}
