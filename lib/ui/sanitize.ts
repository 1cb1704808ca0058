// deno-lint-ignore-file no-control-regex -- matching control characters is this module's job
/**
 * The one sanitiser for foreign text on its way to the terminal.
 *
 * Everything that servers and models say (tool names, descriptions, results,
 * resource and prompt text, notifications, error messages, session titles,
 * streamed answers) passes through here before it is written to a terminal,
 * so that only mcpchat's own rendering emits escape sequences.
 *
 * What it does:
 * - removes escape sequences whole: CSI (`ESC [` … final byte), OSC (`ESC ]`
 *   … BEL or ST: window titles, hyperlinks, OSC 52 clipboard writes), DCS,
 *   SOS, PM and APC strings (`ESC P`, `ESC X`, `ESC ^`, `ESC _` … ST) and the
 *   two-byte `ESC x` forms; the same for their 8-bit C1 introducers;
 * - shows every other C0/C1 control, DEL and the bidirectional overrides
 *   (which can reorder what a line appears to say) visibly, as `␍`-style
 *   control pictures or `<U+202E>`, instead of letting the terminal act on them;
 * - keeps `\n` and `\t` in {@linkcode sanitizeText}, and turns them into
 *   visible marks in {@linkcode sanitizeLine} (for one-line fields such as
 *   names and titles, where a newline could fake a line of our own).
 *
 * Machine output (`--output-format json|stream-json`) does not go through
 * here: JSON escapes every control character, so it stays byte-exact.
 *
 * Not a library: the npm candidates (`strip-ansi`, `ansi-regex`) strip only
 * CSI/OSC forms they know and leave bare C0 controls such as `\r` and `\b`,
 * which are enough to overwrite a line; this is one small pass that treats
 * every control as hostile.
 *
 * @module
 */

// ESC-introduced forms, longest first. String commands (OSC, DCS, SOS, PM,
// APC) run to BEL or ST (ESC \ or 0x9C), or to the end of the text when
// unterminated; CSI runs to its final byte; anything else is ESC + one char.
const ESCAPE_SEQUENCE = new RegExp(
  [
    // OSC: ESC ] or 0x9D, ends at BEL, ESC \ or 0x9C (or end of text)
    "(?:\\x1b\\]|\\x9d)[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c|(?=\\x1b)|$)",
    // DCS, SOS, PM, APC: ESC P/X/^/_ or 0x90/0x98/0x9E/0x9F, end at ST
    "(?:\\x1b[PX^_]|[\\x90\\x98\\x9e\\x9f])[^\\x1b\\x9c]*(?:\\x1b\\\\|\\x9c|(?=\\x1b)|$)",
    // CSI: ESC [ or 0x9B, parameter and intermediate bytes, one final byte
    "(?:\\x1b\\[|\\x9b)[\\x20-\\x3f]*[\\x40-\\x7e]?",
    // Two-byte and nF forms: ESC, intermediates, one final byte
    "\\x1b[\\x20-\\x2f]*[\\x30-\\x7e]?",
  ].join("|"),
  "g",
);

// Quick test: does the text hold anything this module changes?
const NEEDS_WORK = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const NEEDS_WORK_LINE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_LINE = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  // C0 controls and DEL have Unicode "control pictures" (U+2400…U+2421).
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return "\u2421";
  return `<U+${code.toString(16).toUpperCase().padStart(4, "0")}>`;
}

function stripEscapes(text: string): string {
  // `\r\n` is a line break, not an overwrite: normalise it before controls
  // are made visible.
  return text.replace(ESCAPE_SEQUENCE, "").replace(/\r\n/g, "\n");
}

/**
 * Makes multi-line foreign text safe to print: escape sequences removed,
 * other controls shown visibly, newlines and tabs kept.
 *
 * @example
 * ```ts
 * import { sanitizeText } from "./sanitize.ts";
 * // A window title (OSC 0) and a clipboard write (OSC 52) vanish; colour too.
 * console.log(sanitizeText("ok\x1b]0;pwned\x07 \x1b]52;c;aGk=\x07\x1b[31mred\x1b[0m"));
 * // "ok red"
 * // A carriage return cannot overwrite the line: it is shown as ␍.
 * console.log(sanitizeText("approve? [y]\rAllowed")); // "approve? [y]␍Allowed"
 * ```
 */
export function sanitizeText(text: string): string {
  if (!NEEDS_WORK.test(text)) return text;
  return stripEscapes(text).replace(CONTROL, visible);
}

/**
 * Makes foreign text safe for a one-line field (a name, a title, a status):
 * like {@linkcode sanitizeText}, and newlines become `⏎`, tabs a space.
 *
 * @example
 * ```ts
 * import { sanitizeLine } from "./sanitize.ts";
 * console.log(sanitizeLine("weather\n✔ approved: rm -rf")); // "weather⏎✔ approved: rm -rf"
 * ```
 */
export function sanitizeLine(text: string): string {
  if (!NEEDS_WORK_LINE.test(text)) return text;
  return stripEscapes(text).replace(
    CONTROL_LINE,
    (ch) => ch === "\n" ? "\u23ce" : ch === "\t" ? " " : visible(ch),
  );
}
