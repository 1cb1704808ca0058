// deno-lint-ignore-file no-control-regex -- the property checks for control characters
import assert from "node:assert/strict";
import fc from "fast-check";
import { sanitizeLine, sanitizeText } from "../../lib/ui/sanitize.ts";

Deno.test("sanitizeText removes CSI, OSC, DCS, APC and two-byte escapes", () => {
  assert.equal(sanitizeText("a\x1b[2K\x1b[1Ab"), "ab");
  assert.equal(sanitizeText("a\x1b]0;title\x07b"), "ab");
  assert.equal(sanitizeText("a\x1b]52;c;aGVsbG8=\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\x1b]8;;https://evil\x07link\x1b]8;;\x07b"), "alinkb");
  assert.equal(sanitizeText("a\x1bP1$r0m\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\x1b_payload\x1b\\b"), "ab");
  assert.equal(sanitizeText("a\x1bcb"), "ab"); // RIS: full terminal reset
  assert.equal(sanitizeText("a\x1b(0b"), "ab"); // charset switch
});

Deno.test("sanitizeText removes 8-bit C1 introducers with their payload", () => {
  assert.equal(sanitizeText("a\x9b2Jb"), "ab");
  assert.equal(sanitizeText("a\x9d0;title\x9cb"), "ab");
  assert.equal(sanitizeText("a\x90data\x9cb"), "ab");
});

Deno.test("an unterminated string command is cut to the end of the text", () => {
  assert.equal(sanitizeText("a\x1b]52;c;aGVsbG8="), "a");
  assert.equal(sanitizeText("a\x1b"), "a");
});

Deno.test("sanitizeText shows other controls visibly and keeps newlines and tabs", () => {
  assert.equal(sanitizeText("line1\r\nline2\tx"), "line1\nline2\tx");
  assert.equal(sanitizeText("abc\rXYZ"), "abc\u240dXYZ");
  assert.equal(sanitizeText("a\bb\x07c\x7f"), "a\u2408b\u2407c\u2421");
  assert.equal(sanitizeText("safe \u202eevil"), "safe <U+202E>evil");
  assert.equal(sanitizeText("a\x85b"), "a<U+0085>b");
});

Deno.test("plain text, emoji and wide characters pass through unchanged", () => {
  const text = "Grüße 👋 — 漢字 `code` **bold**\n\ttab";
  assert.equal(sanitizeText(text), text);
  assert.equal(sanitizeLine("Grüße 👋 漢字"), "Grüße 👋 漢字");
});

Deno.test("sanitizeLine folds newlines and tabs so no line can be faked", () => {
  assert.equal(sanitizeLine("tool\n✔ approved"), "tool\u23ce✔ approved");
  assert.equal(sanitizeLine("a\tb\r\nc"), "a b\u23cec");
});

Deno.test("property: no output of the sanitiser holds ESC, BEL, CR, C1 or bidi overrides", () => {
  const hostile = fc.constantFrom(
    "\x1b",
    "\x1b[",
    "\x1b]",
    "\x07",
    "\x9b",
    "\x9d",
    "\x9c",
    "\r",
    "\b",
    "\u202e",
    "[2J",
    ";",
    "\\",
    "a",
    "\n",
  );
  const input = fc.oneof(
    fc.string({ unit: "binary", maxLength: 60 }),
    fc.array(hostile).map((p) => p.join("")),
  );
  fc.assert(
    fc.property(input, (s) => {
      const text = sanitizeText(s);
      const line = sanitizeLine(s);
      for (const out of [text, line]) {
        if (/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(out)) return false;
      }
      return !/[\n\t]/.test(line);
    }),
    { numRuns: 2000 },
  );
});
