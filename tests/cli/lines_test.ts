import assert from "node:assert/strict";
import { LineReader, readLines } from "../../lib/cli/lines.ts";

function source(): { push(line: string): void; end(): void; iterator: AsyncIterator<string> } {
  const queue: (string | null)[] = [];
  let wake: (() => void) | undefined;
  return {
    push: (line) => {
      queue.push(line);
      wake?.();
    },
    end: () => {
      queue.push(null);
      wake?.();
    },
    iterator: (async function* () {
      while (true) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const line = queue.shift()!;
        if (line === null) return;
        yield line;
      }
    })(),
  };
}

Deno.test("a question asked while the prompt waits gets the next line", async () => {
  const s = source();
  const reader = new LineReader(s.iterator);
  const command = reader.read(); // the REPL waiting at its prompt
  await new Promise((r) => setTimeout(r, 0));
  const answer = reader.read(); // a server asks for approval meanwhile
  s.push("y");
  assert.equal(await answer, "y");
  s.push("hello model");
  assert.equal(await command, "hello model");
});

Deno.test("lines typed ahead are kept in order; end of input gives null to everyone", async () => {
  const s = source();
  const reader = new LineReader(s.iterator);
  s.push("one");
  assert.equal(await reader.read(), "one");
  const a = reader.read();
  const b = reader.read();
  s.end();
  assert.deepEqual([await a, await b], [null, null]);
  assert.equal(await reader.read(), null);
});

Deno.test("readLines splits bytes on newlines, across chunks and CRLF", async () => {
  const bytes = new Blob(["fir", "st\r\nsec", "ond\nthird"]).stream();
  const lines: string[] = [];
  for await (const line of readLines(bytes)) lines.push(line);
  assert.deepEqual(lines, ["first", "second", "third"]);
});
