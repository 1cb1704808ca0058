/**
 * The size limit of one message from an HTTP/SSE server, whatever the chunk
 * boundaries: normal events pass unchanged, an oversized one becomes an error
 * reply for its id, or is dropped (and reported) when no id shows.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { cappedFetch } from "../../lib/mcp/reply_cap.ts";

/** A fetch answering with `chunks` as the body, typed `type`. */
function chunked(chunks: string[], type: string): typeof fetch {
  return () => {
    const body = ReadableStream.from(chunks).pipeThrough(new TextEncoderStream());
    return Promise.resolve(new Response(body, { headers: { "content-type": type } }));
  };
}

/** Cuts `text` at the given (sorted, deduplicated) positions. */
function cut(text: string, at: number[]): string[] {
  const points = [...new Set(at.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let last = 0;
  for (const p of points) {
    pieces.push(text.slice(last, p));
    last = p;
  }
  pieces.push(text.slice(last));
  return pieces.filter((p) => p.length > 0);
}

const small = (id: number) => JSON.stringify({ jsonrpc: "2.0", id, result: { ok: true } });
const big = JSON.stringify({ jsonrpc: "2.0", id: 2, result: { text: "y".repeat(300) } });
const bigNoId = JSON.stringify({ jsonrpc: "2.0", method: "note", params: { t: "z".repeat(300) } });

/** The `data:` payloads of a server-sent event stream. */
function dataOf(stream: string): string[] {
  return stream.split(/\r?\n\r?\n/).filter((e) => e.trim()).map((e) =>
    e.split(/\r?\n/).filter((l) => l.startsWith("data:")).map((l) => l.replace(/^data: ?/, ""))
      .join("\n")
  );
}

Deno.test("server-sent events: any chunking keeps the small ones and replaces the oversized one", async () => {
  for (const eol of ["\n", "\r\n"]) {
    const stream = [
      `event: message${eol}data: ${small(1)}${eol}${eol}`,
      `event: message${eol}data: ${big}${eol}${eol}`,
      `data: ${bigNoId}${eol}${eol}`,
      `event: message${eol}data: ${small(3)}${eol}${eol}`,
    ].join("");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { maxLength: 12 }), async (at) => {
        const dropped: string[] = [];
        const capped = cappedFetch(chunked(cut(stream, at), "text/event-stream"), {
          server: "s",
          maxChars: 200,
          onDropped: (e) => dropped.push(e.message),
        });
        const text = await (await capped("http://127.0.0.1/")).text();
        const messages = dataOf(text).map((d) => JSON.parse(d));
        assert.deepEqual(messages.map((m) => m.id), [1, 2, 3]);
        assert.match(messages[1].error.message, /^reply from s exceeded 200 characters/);
        assert.equal(dropped.length, 1);
      }),
      { numRuns: 60 },
    );
  }
});

Deno.test("a JSON body over the limit becomes the error reply for the posted request's id", async () => {
  const huge = JSON.stringify({ jsonrpc: "2.0", result: { text: "x".repeat(500) }, id: "r9" });
  const capped = cappedFetch(chunked(cut(huge, [7, 100, 333]), "application/json"), {
    server: "j",
    maxChars: 100,
  });
  const posted = JSON.stringify({ jsonrpc: "2.0", id: "r9", method: "tools/call" });
  const reply = await (await capped("http://127.0.0.1/", { method: "POST", body: posted }))
    .json();
  assert.equal(reply.id, "r9");
  assert.equal(reply.error.code, -32001);
  // Under the limit, the body is passed on unchanged.
  const fine = cappedFetch(chunked([small(4)], "application/json"), { server: "j" });
  assert.deepEqual(await (await fine("http://127.0.0.1/")).json(), JSON.parse(small(4)));
});

Deno.test("an oversized event without an end or an id is dropped; nothing of it is passed on", async () => {
  const line = "data: " + "q".repeat(5_000);
  let largest = 0;
  const capped = cappedFetch(
    chunked(cut(line, [900, 1_800, 2_700, 3_600, 4_500]), "text/event-stream"),
    {
      server: "e",
      maxChars: 1_000,
      onDropped: () => {},
    },
  );
  const reader = (await capped("http://127.0.0.1/")).body!.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    largest = Math.max(largest, value.length);
  }
  assert.equal(largest, 0, "nothing of the oversized event was passed on");
});
