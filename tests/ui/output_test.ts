import assert from "node:assert/strict";
import fc from "fast-check";
import pc from "picocolors";
import { consoleOutput, type Palette } from "../../lib/ui/output.ts";

const NAMES = ["bold", "dim", "red", "green", "yellow", "cyan", "magenta", "gray"] as const;

Deno.test("the colour palette writes the same bytes as picocolors, nested styles included", () => {
  const ours: Palette = consoleOutput({ colorFlag: "always" }).errColor;
  const theirs = pc.createColors(true);
  const name = fc.constantFrom(...NAMES);
  // Text that may already hold styled parts, as a banner built from pieces does.
  const text = fc.array(
    fc.oneof(fc.string(), fc.tuple(name, fc.string()).map(([n, t]) => theirs[n](t))),
    { maxLength: 4 },
  ).map((parts) => parts.join(""));
  fc.assert(fc.property(name, text, (n, t) => {
    assert.equal(ours[n](t), theirs[n](t));
  }));
  assert.equal(ours.dim(`a ${ours.bold("b")} c`), theirs.dim(`a ${theirs.bold("b")} c`));
  assert.equal(ours.red(42), "\x1b[31m42\x1b[39m");
});

Deno.test("colour off: the palette leaves text as it is", () => {
  const io = consoleOutput({ colorFlag: "never" });
  for (const n of NAMES) assert.equal(io.errColor[n]("x"), "x");
});
