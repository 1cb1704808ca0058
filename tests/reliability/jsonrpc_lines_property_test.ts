/**
 * Property test: whatever bytes a stdio MCP server writes (valid messages
 * with wrong ids, garbage, huge lines, invalid UTF-8, split anywhere), the
 * framing the transport uses (TextDecoder with streaming + LineSplitter, then
 * JSON and the SDK's JSON-RPC schema) never throws anything but a clear
 * LineTooLongError, and every valid message within the limit comes out intact.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { LineSplitter, LineTooLongError } from "../../lib/mcp/framing.ts";
// @ts-types="@modelcontextprotocol/sdk/types"
import { JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { recordFigure } from "./_figures.ts";

const LIMIT = 2_000;
const RUNS = 8_000;

type Piece =
  | { kind: "valid"; text: string }
  | { kind: "garbage"; bytes: Uint8Array }
  | { kind: "huge"; size: number };

const validMessage = fc.oneof(
  fc.record({
    jsonrpc: fc.constant("2.0"),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 })),
    result: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 })),
  }),
  fc.record({
    jsonrpc: fc.constant("2.0"),
    method: fc.string({ minLength: 1, maxLength: 20 }),
    params: fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 30 })),
  }),
).map((m) => JSON.stringify(m)).filter((text) => text.length <= LIMIT);

const piece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 3, arbitrary: validMessage.map((text) => ({ kind: "valid" as const, text })) },
  {
    weight: 2,
    // Anything at all, including lone continuation bytes and 0xFF (invalid UTF-8), minus newlines.
    arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({
      kind: "garbage" as const,
      bytes: bytes.map((b) => (b === 0x0a ? 0xff : b)),
    })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: LIMIT + 1, max: LIMIT * 3 }).map((size) => ({
      kind: "huge" as const,
      size,
    })),
  },
);

function encode(pieces: Piece[]): Uint8Array {
  const parts = pieces.map((p) =>
    p.kind === "valid"
      ? new TextEncoder().encode(p.text)
      : p.kind === "garbage"
      ? p.bytes
      : new TextEncoder().encode("x".repeat(p.size))
  );
  const total = parts.reduce((n, p) => n + p.length + 1, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
    out[at++] = 0x0a;
  }
  return out;
}

Deno.test("JSON-RPC lines from a server: no uncaught error, clear errors, valid messages intact", async () => {
  let inputs = 0;
  let uncaught = 0;
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (pieces, cuts) => {
        inputs++;
        const bytes = encode(pieces);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const decoder = new TextDecoder("utf-8", { fatal: false });
        const splitter = new LineSplitter(LIMIT);
        const lines: string[] = [];
        const errors: Error[] = [];
        let from = 0;
        for (const to of [...points, bytes.length]) {
          const text = decoder.decode(bytes.subarray(from, to), { stream: to < bytes.length });
          from = to;
          try {
            lines.push(...splitter.push(text));
          } catch (error) {
            if (!(error instanceof LineTooLongError)) {
              uncaught++;
              throw error;
            }
            assert.match(error.message, /exceeded \d+ characters without a newline; dropped/);
            errors.push(error);
          }
        }
        // What the transport does with each line: parse, validate; a bad one is reported, not thrown.
        for (const line of lines) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(line);
          } catch {
            continue;
          }
          JSONRPCMessageSchema.safeParse(parsed);
        }
        // Every valid message arrives intact, unless a huge line before it was cut mid-way.
        if (!pieces.some((p) => p.kind !== "valid")) {
          assert.deepEqual(lines, pieces.map((p) => (p as { text: string }).text).filter(Boolean));
        } else {
          for (const p of pieces) {
            if (p.kind === "valid" && errors.length === 0) assert.ok(lines.includes(p.text));
          }
        }
      },
    ),
    { numRuns: RUNS },
  );
  assert.equal(uncaught, 0);
  await recordFigure("jsonrpc_lines_property", {
    scenario:
      "JSON-RPC lines from a stdio server: garbage, huge, wrong ids, invalid UTF-8, split anywhere",
    measure: "inputs tried",
    value: inputs,
    lost: uncaught,
  });
});
