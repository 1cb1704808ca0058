/**
 * How many terminal columns text takes, from the first prompt on.
 *
 * The measure is `string-width` (CJK, emoji sequences, combining marks), but
 * importing it costs about 25 ms of the main thread (it builds an
 * `Intl.Segmenter` and Unicode-property patterns), which the first prompt
 * should not wait for. So it loads in the background from the first text
 * that needs it, and meanwhile:
 * - text of only narrow characters (ASCII, Latin, most punctuation: the
 *   prompt, the banner, what most people type) is measured here, exactly as
 *   `string-width` would (a test holds the two equal), and stays so after
 *   the load because it is also the quicker way;
 * - anything else gets an estimate from the East Asian wide ranges, for the
 *   few milliseconds until the library is there.
 *
 * @module
 */

let measure: ((text: string) => number) | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads `string-width` (once); resolves when {@linkcode textWidth} uses it.
 *
 * @example
 * ```ts
 * import { loadTextWidth, textWidth } from "./text_width.ts";
 * await loadTextWidth();
 * console.log(textWidth("👩‍💻 ok")); // 5
 * ```
 */
export function loadTextWidth(): Promise<void> {
  loading ??= import("string-width").then((module) => {
    measure = module.default;
  });
  return loading;
}

/** Whether every UTF-16 unit of `text` is a printing character one column wide. */
function narrowOnly(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue; // ASCII
    if (c >= 0xa0 && c <= 0x2ff && c !== 0xad) continue; // Latin-1, Latin Extended, IPA
    if ((c >= 0x2010 && c <= 0x2027) || (c >= 0x2030 && c <= 0x205e)) continue; // punctuation
    return false;
  }
  return true;
}

/**
 * Display width of `text` in columns (escape sequences count nothing).
 *
 * @example
 * ```ts
 * import { textWidth } from "./text_width.ts";
 * console.log(textWidth("› hello")); // 7
 * console.log(textWidth("\x1b[36m› \x1b[39m")); // 2
 * ```
 */
export function textWidth(text: string): number {
  if (narrowOnly(text)) return text.length;
  if (measure) return measure(text);
  loadTextWidth().catch(() => {}); // the estimate stays in use
  return estimatedWidth(text);
}

// deno-lint-ignore no-control-regex -- escape sequences are what it matches
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

/**
 * The width of `text` without `string-width`: escape sequences, control and
 * combining characters 0, the East Asian wide and fullwidth ranges and
 * pictographs 2, anything else 1. Exact for most text; emoji sequences and
 * rarer scripts may differ.
 *
 * @example
 * ```ts
 * import { estimatedWidth } from "./text_width.ts";
 * console.log(estimatedWidth("你好")); // 4
 * console.log(estimatedWidth("e\u0301")); // 1
 * ```
 */
export function estimatedWidth(text: string): number {
  let width = 0;
  for (const char of text.replace(ESCAPES, "")) {
    const c = char.codePointAt(0)!;
    if (
      c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0xad || (c >= 0x300 && c <= 0x36f) ||
      (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x206f) || (c >= 0xfe00 && c <= 0xfe0f) || c === 0xfeff
    ) continue;
    const wide = (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
      (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
      (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
      (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}
