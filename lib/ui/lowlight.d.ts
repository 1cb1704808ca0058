// The part of lowlight's API that lib/ui/markdown.ts uses. Its own types pull in highlight.js's,
// which reference the DOM library and clash with Deno's stream types in the rest of the program.

/** Grammars by name (opaque here). */
export const common: Record<string, unknown>;

/** A highlighter over some grammars. */
export interface Lowlight {
  /** A hast tree of the highlighted code. */
  highlight(language: string, value: string): unknown;
  registered(language: string): boolean;
}

export function createLowlight(grammars?: Record<string, unknown>): Lowlight;
