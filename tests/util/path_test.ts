/** lib/util/path.ts against node:path. */
import assert from "node:assert/strict";

Deno.test("path helpers agree with node:path (posix) on generated paths", async () => {
  const fc = (await import("fast-check")).default;
  const posix = (await import("node:path")).posix;
  const { basenamePath, dirnamePath, isAbsolutePath, joinPath, normalizePath, resolvePath } =
    await import("../../lib/util/path.ts");
  const segment = fc.constantFrom("a", "b.c", ".", "..", "", "x y", "~");
  const path = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }), fc.boolean()).map(
    ([abs, parts, trailing]) => (abs ? "/" : "") + parts.join("/") + (trailing ? "/" : ""),
  );
  fc.assert(
    fc.property(path, path, (p, q) => {
      if (p !== "") {
        // node keeps a trailing slash; the config never needs one.
        assert.equal(normalizePath(p), posix.normalize(p).replace(/(.)\/$/, "$1"), p);
        const n = posix.normalize(p);
        assert.equal(dirnamePath(n), posix.dirname(n), p);
      }
      assert.equal(isAbsolutePath(p), posix.isAbsolute(p));
      assert.equal(basenamePath(p), posix.basename(p), p);
      if (q !== "") {
        const resolved = resolvePath("/base/dir", q);
        assert.equal(resolved, posix.resolve("/base/dir", q).replace(/(.)\/$/, "$1"), q);
      }
      if (p !== "" && q !== "") {
        assert.equal(joinPath(p, q), posix.join(p, q).replace(/(.)\/$/, "$1"), `${p} + ${q}`);
      }
    }),
    { numRuns: 2000 },
  );
});
