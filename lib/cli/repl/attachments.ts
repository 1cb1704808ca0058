/**
 * Attachments in a chat message: `@path` attaches a local text file,
 * `@server:uri` an MCP resource (read through the manager, so through its
 * cache). The message goes to the model as typed, followed by each
 * attachment in an `<attachment>` block. What names a file or resource that
 * cannot be attached (missing, too big, binary, unreadable) is in `errors`:
 * the message is then not sent.
 *
 * @module
 */

import { resolvePath } from "../../util/path.ts";

/** Where attachments are read from (injected for tests). */
export interface AttachmentSources {
  /** Configured MCP server names (`@name:` picks a resource). */
  servers: readonly string[];
  cwd: string;
  home?: string;
  readFile(path: string): Promise<Uint8Array>;
  readResource(server: string, uri: string): Promise<string>;
}

/** The message with its attachments, what was attached, and what could not be. */
export interface Attached {
  text: string;
  attached: string[];
  errors: string[];
}

/** Largest file attached whole. */
const MAX_BYTES = 256 * 1024;
const MENTION = /(?:^|\s)@([^\s@]+)/g;

/**
 * Finds `@…` mentions in `text` and appends what they name.
 *
 * @example
 * ```ts
 * import { attach } from "./attachments.ts";
 * const result = await attach("explain @notes.txt", {
 *   servers: [],
 *   cwd: "/work",
 *   readFile: () => Promise.resolve(new TextEncoder().encode("hello")),
 *   readResource: () => Promise.reject(new Error("none")),
 * });
 * console.log(result.attached); // ["notes.txt"]
 * ```
 */
export async function attach(text: string, sources: AttachmentSources): Promise<Attached> {
  const blocks: string[] = [];
  const attached: string[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const [, ref] of text.matchAll(MENTION)) {
    const mention = ref.replace(/[.,;:!?)]+$/, "");
    if (seen.has(mention)) continue;
    seen.add(mention);
    const colon = mention.indexOf(":");
    const server = colon > 0 ? mention.slice(0, colon) : "";
    try {
      if (server && sources.servers.includes(server)) {
        const uri = mention.slice(colon + 1);
        const content = await sources.readResource(server, uri);
        blocks.push(block(`${server}:${uri}`, content));
        attached.push(mention);
        continue;
      }
      const path = mention.startsWith("~/") && sources.home
        ? resolvePath(sources.home, mention.slice(2))
        : resolvePath(sources.cwd, mention);
      let bytes: Uint8Array;
      try {
        bytes = await sources.readFile(path);
      } catch (error) {
        // A word (@someone) is only text; what looks like a path must be there.
        if (!looksLikePath(mention)) continue;
        errors.push(
          error instanceof Deno.errors.NotFound
            ? `@${mention}: no such file (${path})`
            : `@${mention}: cannot be read: ${error instanceof Error ? error.message : error}`,
        );
        continue;
      }
      if (bytes.length > MAX_BYTES) {
        errors.push(
          `@${mention}: ${Math.ceil(bytes.length / 1024)} KiB, over the ${
            MAX_BYTES / 1024
          } KiB limit of an attachment`,
        );
        continue;
      }
      if (bytes.includes(0)) {
        errors.push(`@${mention}: not a text file, not attached`);
        continue;
      }
      blocks.push(block(mention, new TextDecoder().decode(bytes)));
      attached.push(mention);
    } catch (error) {
      errors.push(`@${mention}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return { text: blocks.length ? `${text}\n\n${blocks.join("\n\n")}` : text, attached, errors };
}

/** `@./x`, `@~/x`, `@/x`, `@dir/file`: meant as a file, not a word. */
function looksLikePath(mention: string): boolean {
  return mention.includes("/") || mention.startsWith("~") || mention.startsWith(".");
}

function block(source: string, content: string): string {
  return `<attachment source="${source.replaceAll('"', "&quot;")}">\n${content}\n</attachment>`;
}
