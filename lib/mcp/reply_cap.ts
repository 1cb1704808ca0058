/**
 * The size limit on one message from an HTTP or SSE server, as a `fetch`
 * wrapper the SDK's transports take. A stdio server's oversized line is cut by
 * {@linkcode LineSplitter}; this does the same for a JSON body or one
 * server-sent event: the message is never buffered past the limit, and when
 * its request id is known, an error reply for that id takes its place ("reply
 * from SERVER exceeded 10 MB"), so the request fails at once instead of
 * waiting for its timeout while the worker's memory grows.
 *
 * @module
 */

import {
  DEFAULT_MAX_LINE_CHARS,
  LineTooLongError,
  oversizedReply,
  requestIdOf,
} from "./framing.ts";

/** Options of {@linkcode cappedFetch}. */
export interface ReplyCapOptions {
  /** Server name, for the error reply. */
  server: string;
  /** Limit of one message in characters; 10 MB by default. */
  maxChars?: number;
  /** Told about an oversized message that could not be tied to a request. */
  onDropped?(error: LineTooLongError): void;
}

/**
 * Wraps `base` so that no JSON body or server-sent event over the limit
 * reaches the caller whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cappedFetch } from "./reply_cap.ts";
 * const huge = JSON.stringify({ jsonrpc: "2.0", id: 7, result: { text: "x".repeat(64) } });
 * const base: typeof fetch = () =>
 *   Promise.resolve(new Response(huge, { headers: { "content-type": "application/json" } }));
 * const capped = cappedFetch(base, { server: "big", maxChars: 32 });
 * const reply = await (await capped("http://127.0.0.1/mcp", { method: "POST" })).json();
 * assert.equal(reply.id, 7);
 * assert.match(reply.error.message, /reply from big exceeded/);
 * ```
 */
export function cappedFetch(base: typeof fetch, options: ReplyCapOptions): typeof fetch {
  const max = options.maxChars ?? DEFAULT_MAX_LINE_CHARS;
  return async (input, init) => {
    const response = await base(input, init);
    if (!response.body) return response;
    const type = response.headers.get("content-type") ?? "";
    if (type.includes("text/event-stream")) {
      return withBody(
        response,
        response.body.pipeThrough(new TextDecoderStream()).pipeThrough(
          new EventCap(max, options),
        ).pipeThrough(new TextEncoderStream()),
      );
    }
    if (type.includes("json")) return await cappedJson(response, max, init, options);
    return response;
  };
}

/** A response like `response` with another body (status and headers kept). */
function withBody(response: Response, body: BodyInit): Response {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

/** Reads a JSON body up to the limit; past it, the error reply for the request that was posted. */
async function cappedJson(
  response: Response,
  max: number,
  init: RequestInit | undefined,
  options: ReplyCapOptions,
): Promise<Response> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  const chunks: string[] = [];
  let length = 0;
  let head = "";
  let tail = "";
  const decoder = new TextDecoder();
  const reader = response.body!.getReader();
  let over = declared > max;
  while (!over) {
    const { done, value } = await reader.read();
    if (done) break;
    const text = decoder.decode(value, { stream: true });
    length += text.length;
    if (head.length < 512) head = (head + text).slice(0, 512);
    tail = (tail + text).slice(-512);
    if (length > max) over = true;
    else chunks.push(text);
  }
  if (!over) return withBody(response, chunks.join("") + decoder.decode());
  await reader.cancel().catch(() => {});
  const posted = typeof init?.body === "string" ? init.body : "";
  const id = requestIdOf(posted.slice(0, 512), posted.slice(-512)) ?? requestIdOf(head, tail);
  if (id === undefined) {
    options.onDropped?.(new LineTooLongError(max, options.server));
    return withBody(response, "[]");
  }
  return withBody(
    response,
    JSON.stringify(oversizedReply(id, options.server, max, Math.max(length, declared || 0))),
  );
}

/**
 * Passes server-sent events through whole; an event over the limit is
 * skipped to its end and replaced by an error reply for its request id.
 */
class EventCap extends TransformStream<string, string> {
  constructor(max: number, options: ReplyCapOptions) {
    let pending = ""; // an unterminated line
    let continuing = false; // the start of the current line was already taken
    let event: string[] = []; // the lines of the current event
    let eventLength = 0;
    let skipping: { head: string; tail: string; length: number } | undefined;
    const endEvent = (out: TransformStreamDefaultController<string>) => {
      if (skipping) {
        const id = requestIdOf(skipping.head, skipping.tail.replace(/\r?\ndata: ?/g, ""));
        if (id === undefined) options.onDropped?.(new LineTooLongError(max, options.server));
        else {
          const reply = oversizedReply(id, options.server, max, skipping.length);
          out.enqueue(`event: message\ndata: ${JSON.stringify(reply)}\n\n`);
        }
      } else if (event.length > 0) out.enqueue(event.join("\n") + "\n\n");
      event = [];
      eventLength = 0;
      skipping = undefined;
    };
    /** Takes a piece of a line: all of it when `complete`, else its start so far. */
    const take = (
      text: string,
      complete: boolean,
      out: TransformStreamDefaultController<string>,
    ) => {
      const piece = complete && text.endsWith("\r") ? text.slice(0, -1) : text;
      if (complete && !continuing && piece === "") return endEvent(out);
      const startsLine = !continuing;
      const joined = continuing && !skipping;
      continuing = !complete;
      if (skipping) {
        skipping.tail = (skipping.tail + (startsLine ? "\n" : "") + piece).slice(-512);
        skipping.length += piece.length;
        return;
      }
      if (joined) event[event.length - 1] += piece;
      else event.push(piece);
      eventLength += piece.length;
      if (eventLength > max) {
        const data = event.map(dataOf).join("");
        skipping = { head: data.slice(0, 512), tail: data.slice(-512), length: eventLength };
        event = [];
      }
    };
    super({
      transform(chunk, out) {
        const lines = (pending + chunk).split("\n");
        pending = lines.pop() ?? "";
        for (const l of lines) take(l, true, out);
        // Never hold a line longer than the limit, nor much of one being skipped.
        if (pending.length > (skipping ? 1024 : max)) {
          take(pending, false, out);
          pending = "";
        }
      },
      flush(out) {
        if (pending || continuing) take(pending, true, out);
        endEvent(out);
      },
    });
  }
}

/** The value of a `data:` field line; other fields carry no message text. */
function dataOf(line: string): string {
  if (!line.startsWith("data:")) return "";
  return line.startsWith("data: ") ? line.slice(6) : line.slice(5);
}
