/**
 * One line per MCP tool, resource, template or prompt, and the text of a
 * resource's contents, as both the command line (`mcpchat tools list` …) and
 * the chat (`/mcp tools` …) print them. Every field is a server's text, so
 * each passes the one sanitiser here, before our own colours are added.
 *
 * @module
 */

import type { Palette } from "../ui/output.ts";
import { sanitizeLine, sanitizeText } from "../ui/sanitize.ts";

/**
 * `server tool  first line of the description`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toolLine } from "./mcp_listing.ts";
 * import { plainPalette } from "../ui/output.ts";
 * assert.equal(
 *   toolLine(plainPalette, { server: "fs", tool: "read\x1b]0;x\x07", description: "Reads.\nMore" }),
 *   "fs read  Reads.",
 * );
 * ```
 */
export function toolLine(
  c: Palette,
  t: { server: string; tool: string; description?: string },
): string {
  const summary = sanitizeLine((t.description ?? "").split("\n")[0]);
  return `${c.bold(sanitizeLine(t.server))} ${c.cyan(sanitizeLine(t.tool))}${
    summary ? `  ${c.dim(summary)}` : ""
  }`;
}

/**
 * `server uri  name`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resourceLine } from "./mcp_listing.ts";
 * import { plainPalette } from "../ui/output.ts";
 * assert.equal(resourceLine(plainPalette, { server: "m", uri: "mem://a", name: "A" }), "m mem://a  A");
 * ```
 */
export function resourceLine(
  c: Palette,
  r: { server: string; uri: string; name?: string },
): string {
  return `${c.bold(sanitizeLine(r.server))} ${c.cyan(sanitizeLine(r.uri))}${
    r.name ? `  ${c.dim(sanitizeLine(r.name))}` : ""
  }`;
}

/**
 * `server uri-template  (template)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { templateLine } from "./mcp_listing.ts";
 * import { plainPalette } from "../ui/output.ts";
 * assert.equal(templateLine(plainPalette, { server: "m", uriTemplate: "mem://{id}" }), "m mem://{id}  (template)");
 * ```
 */
export function templateLine(c: Palette, t: { server: string; uriTemplate: string }): string {
  return `${c.bold(sanitizeLine(t.server))} ${c.magenta(sanitizeLine(t.uriTemplate))}  ${
    c.dim("(template)")
  }`;
}

/**
 * `server prompt required [optional]  description`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { promptLine } from "./mcp_listing.ts";
 * import { plainPalette } from "../ui/output.ts";
 * const line = promptLine(plainPalette, {
 *   server: "e",
 *   name: "greet",
 *   arguments: [{ name: "who", required: true }, { name: "tone" }],
 *   description: "Says hello\r? [y]es",
 * });
 * assert.equal(line, "e greet who [tone]  Says hello␍? [y]es");
 * ```
 */
export function promptLine(
  c: Palette,
  p: {
    server: string;
    name: string;
    description?: string;
    arguments?: { name: string; required?: boolean }[];
  },
): string {
  const args = (p.arguments ?? []).map((a) => a.required ? a.name : `[${a.name}]`)
    .map(sanitizeLine).join(" ");
  return `${c.bold(sanitizeLine(p.server))} ${c.cyan(sanitizeLine(p.name))}${
    args ? ` ${args}` : ""
  }${p.description ? `  ${c.dim(sanitizeLine(p.description))}` : ""}`;
}

/**
 * A resource's contents as terminal text: text as it is (sanitised), binary
 * as a label with its size and `hint` (how to save it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentsText } from "./mcp_listing.ts";
 * import { plainPalette } from "../ui/output.ts";
 * const text = contentsText(plainPalette, [
 *   { uri: "m://a", text: "hello\x1b[2K" },
 *   { uri: "m://b", mimeType: "image/png", blob: "AAAA" },
 * ], "save it with -o FILE");
 * assert.equal(text, "hello\n[image/png m://b 3 bytes; save it with -o FILE]\n");
 * ```
 */
export function contentsText(
  c: Palette,
  contents: readonly { uri: string; mimeType?: string; text?: unknown; blob?: unknown }[],
  hint: string,
): string {
  return contents.map((content) => {
    if (typeof content.text === "string") return sanitizeText(content.text) + "\n";
    const size = typeof content.blob === "string"
      ? ` ${
        Math.floor(content.blob.length * 3 / 4) - (/={1,2}$/.exec(content.blob)?.[0].length ?? 0)
      } bytes;`
      : "";
    return c.dim(
      `[${sanitizeLine(content.mimeType ?? "binary")} ${sanitizeLine(content.uri)}${size} ${hint}]`,
    ) + "\n";
  }).join("");
}

/**
 * `server: message` of a server that failed a listing, as one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverErrorLine } from "./mcp_listing.ts";
 * assert.equal(serverErrorLine({ server: "x", message: "boom\x1b[2K\nagain" }), "x: boom⏎again\n");
 * ```
 */
export function serverErrorLine(e: { server: string; message: string }): string {
  return `${sanitizeLine(e.server)}: ${sanitizeLine(e.message)}\n`;
}
