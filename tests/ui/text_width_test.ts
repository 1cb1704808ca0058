import assert from "node:assert/strict";
import fc from "fast-check";
import stringWidth from "string-width";
import { estimatedWidth, loadTextWidth, textWidth } from "../../lib/ui/text_width.ts";

/** Every character the quick measure answers for itself. */
const NARROW: string[] = [];
for (const [from, to] of [[0x20, 0x7e], [0xa0, 0x2ff], [0x2010, 0x2027], [0x2030, 0x205e]]) {
  for (let c = from; c <= to; c++) if (c !== 0xad) NARROW.push(String.fromCharCode(c));
}

Deno.test("narrow text is measured as string-width measures it, character by character and joined", () => {
  for (const char of NARROW) {
    assert.equal(textWidth(char), stringWidth(char), `U+${char.charCodeAt(0).toString(16)}`);
  }
  fc.assert(fc.property(fc.array(fc.constantFrom(...NARROW)).map((a) => a.join("")), (text) => {
    assert.equal(textWidth(text), stringWidth(text));
  }));
});

Deno.test("once loaded, any text is measured by string-width", async () => {
  await loadTextWidth();
  for (const text of ["你好", "👩‍💻 ok", "e\u0301", "\x1b[36m› \x1b[39m", "a\tb", "한국어", "‼️"]) {
    assert.equal(textWidth(text), stringWidth(text), JSON.stringify(text));
  }
  fc.assert(fc.property(fc.string({ unit: "grapheme" }), (text) => {
    assert.equal(textWidth(text), stringWidth(text));
  }));
});

Deno.test("before the library is there, the estimate gets common wide, zero-width and styled text right", () => {
  for (
    const text of [
      "你好",
      "한국어",
      "ｆｕｌｌ",
      "😀",
      "e\u0301",
      "\x1b[36m› \x1b[39m",
      "zero\u200bwidth",
      "日本語 mixed",
    ]
  ) {
    assert.equal(estimatedWidth(text), stringWidth(text), JSON.stringify(text));
  }
});
