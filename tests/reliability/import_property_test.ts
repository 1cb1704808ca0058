/**
 * Property tests of session import files (issue 19): whatever a file holds,
 * `parseSessionExport` either returns a valid export or throws a
 * `StoreValidationError` whose message says what is wrong and what to do.
 * Nothing else escapes (no TypeError, no stack overflow), and a valid export
 * survives export → import unchanged.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkImportNesting,
  exportJson,
  MAX_IMPORT_DEPTH,
  parseSessionExport,
} from "../../lib/store/export.ts";
import { StoreValidationError } from "../../lib/store/errors.ts";
import type {
  ContentPart,
  JsonValue,
  Message,
  MessageEntry,
  SessionRecord,
} from "../../lib/store/types.ts";

/** Runs of each property; the sum is reported by the suite's own count. */
const RUNS = { roundTrip: 600, mutated: 1500, shapes: 1500, nesting: 400 };

// Quoted values are the file's own text ("got \"undefined\"" is fine); bare ones are our bugs.
const UNCLEAR =
  /(?<!")undefined(?!")|\[object |(?<!")NaN(?!")|call stack|is not a function|Cannot read|TypeError/;

/** Parses `input`; a failure must be a clear StoreValidationError. */
function parsesOrClearError(input: unknown): ReturnType<typeof parseSessionExport> | undefined {
  try {
    return parseSessionExport(input);
  } catch (error) {
    if (!(error instanceof StoreValidationError)) {
      throw new assert.AssertionError({
        message: `not a StoreValidationError: ${String(error)}\nfor ${
          String(typeof input === "string" ? input : JSON.stringify(input)).slice(0, 300)
        }`,
      });
    }
    assert.match(error.message, /^import: /, error.message);
    assert.doesNotMatch(error.message, UNCLEAR, error.message);
    assert.ok(error.message.length < 2_000, `message too long: ${error.message.slice(0, 200)}…`);
    return undefined;
  }
}

// Values the store keeps: JSON without -0 (it does not survive JSON) and nested within bounds.
const jsonValue: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 4 }).map((v) =>
  JSON.parse(JSON.stringify(v)) as JsonValue
);

const part: fc.Arbitrary<ContentPart> = fc.oneof(
  fc.record({ type: fc.constant("text" as const), text: fc.string() }),
  fc.record({
    type: fc.constant("tool-call" as const),
    id: fc.string({ minLength: 1, maxLength: 12 }),
    name: fc.string({ minLength: 1, maxLength: 20 }),
    // Not null: the store reads absent-or-null arguments as {} (a known asymmetry).
    arguments: fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 3 }),
  }),
  fc.record(
    {
      type: fc.constant("tool-result" as const),
      id: fc.string({ minLength: 1, maxLength: 12 }),
      content: jsonValue,
      isError: fc.boolean(),
    },
    { requiredKeys: ["type", "id", "content"] },
  ),
);

const message: fc.Arbitrary<Message> = fc.record(
  {
    role: fc.constantFrom(
      "system" as const,
      "user" as const,
      "assistant" as const,
      "tool" as const,
    ),
    content: fc.oneof(fc.string(), fc.array(part, { maxLength: 4 })),
    createdAt: fc.nat(),
    model: fc.string({ maxLength: 10 }),
    usage: fc.record({ inputTokens: fc.nat(), outputTokens: fc.nat() }),
    cost: fc.double({ min: 0, max: 10, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  },
  { requiredKeys: ["role", "content", "createdAt"] },
);

const record: fc.Arbitrary<SessionRecord> = fc.record({
  id: fc.stringMatching(/^[\w.-]{1,64}$/),
  title: fc.string({ maxLength: 40 }),
  createdAt: fc.nat(),
  lastActive: fc.nat(),
  messageCount: fc.constant(0),
  firstSeq: fc.constant(0),
  nextSeq: fc.constant(0),
  tokens: fc.record({ input: fc.nat(), output: fc.nat(), cachedInput: fc.nat() }),
  cost: fc.double({ min: 0, max: 100, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
});

async function exportText(r: SessionRecord, messages: Message[]): Promise<string> {
  async function* entries(): AsyncGenerator<MessageEntry> {
    for (const [seq, m] of messages.entries()) yield { ...m, seq };
  }
  let text = "";
  for await (const piece of exportJson(r, entries())) text += piece;
  return text;
}

Deno.test("import property: every export mcpchat writes imports back unchanged", async () => {
  await fc.assert(
    fc.asyncProperty(record, fc.array(message, { maxLength: 6 }), async (r, messages) => {
      const text = await exportText(r, messages);
      const parsed = parseSessionExport(text);
      assert.deepEqual(parsed.messages, JSON.parse(JSON.stringify(messages)));
      assert.equal(parsed.session.id, r.id);
      // And the export of the import is the same text.
      assert.equal(await exportText({ ...r, ...parsed.session }, parsed.messages), text);
    }),
    { numRuns: RUNS.roundTrip },
  );
});

Deno.test("import property: a damaged export imports or fails with a clear error", async () => {
  const edit = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    cut: fc.nat({ max: 12 }),
    insert: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", "null", "-1", "1e999", "\u0000"),
    ),
  });
  await fc.assert(
    fc.asyncProperty(
      record,
      fc.array(message, { maxLength: 3 }),
      fc.array(edit, { minLength: 1, maxLength: 3 }),
      async (r, messages, edits) => {
        let text = await exportText(r, messages);
        for (const { at, cut, insert } of edits) {
          const i = Math.floor(at * text.length);
          text = text.slice(0, i) + insert + text.slice(i + cut);
        }
        parsesOrClearError(text);
      },
    ),
    { numRuns: RUNS.mutated },
  );
});

Deno.test("import property: any JSON shape in any field fails clearly or imports", () => {
  const anything = fc.anything({ maxDepth: 3, withNullPrototype: true, withBigInt: false });
  const field = fc.oneof(anything, jsonValue);
  fc.assert(
    fc.property(
      fc.record({
        format: fc.oneof(fc.constant("mcpchat-session"), field),
        version: fc.oneof(fc.constant(1), field),
        session: fc.oneof(
          fc.record({
            id: fc.oneof(fc.stringMatching(/^[\w.-]{1,64}$/), field),
            title: fc.oneof(fc.string(), field),
            name: field,
            createdAt: fc.oneof(fc.nat(), field),
            lastActive: fc.oneof(fc.nat(), field),
            tokens: fc.oneof(
              fc.record({ input: fc.nat(), output: fc.nat(), cachedInput: fc.nat() }),
              field,
            ),
            cost: fc.oneof(fc.nat(), field),
          }, { requiredKeys: [] }),
          field,
        ),
        messages: fc.oneof(fc.array(fc.oneof(message, field), { maxLength: 4 }), field),
      }, { requiredKeys: [] }),
      fc.boolean(),
      (data, asText) => {
        // Files arrive as text; the store API also takes parsed values.
        const input = asText ? JSON.stringify(data) ?? "undefined" : data;
        parsesOrClearError(input);
      },
    ),
    { numRuns: RUNS.shapes },
  );
});

Deno.test("import property: nesting is bounded before parsing, at the right place", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 20_000 }),
      fc.constantFrom("[", '{"a":'),
      fc.string({ maxLength: 5 }).filter((s) => !/["\\[\]{}]/.test(s)),
      (depth, open, noise) => {
        const close = open === "[" ? "]" : "}";
        const inner = open.repeat(depth) + "1" + close.repeat(depth);
        const text =
          `{"format":"mcpchat-session","version":1,"session":{"id":"a","title":"${noise}",` +
          `"createdAt":0,"lastActive":0,"tokens":{"input":0,"output":0},"cost":0},` +
          `"messages":[{"role":"tool","createdAt":0,"content":[{"type":"tool-result","id":"x",` +
          `"content":${inner}}]}]}`;
        const parsed = parsesOrClearError(text);
        // Six levels of the export's own structure surround the content.
        if (depth + 5 > MAX_IMPORT_DEPTH) {
          assert.equal(parsed, undefined);
          assert.throws(
            () => checkImportNesting(text),
            /more than 80 levels deep \(at line 1, column \d+\)/,
          );
        }
      },
    ),
    { numRuns: RUNS.nesting },
  );
});

Deno.test("import: the nesting check ignores brackets inside strings", () => {
  const text = JSON.stringify({ s: "[".repeat(10_000), t: '{"\\"[[' });
  checkImportNesting(text);
  assert.throws(() => checkImportNesting("[".repeat(MAX_IMPORT_DEPTH + 1)), StoreValidationError);
  checkImportNesting("[".repeat(MAX_IMPORT_DEPTH) + "]".repeat(MAX_IMPORT_DEPTH));
});
