/**
 * Screening a server's tool listing before anything else touches it: a
 * schema nested thousands of levels deep overflows the stack of every
 * recursive step after it (structured clone between workers, the provider
 * libraries), a huge one or tens of thousands of tools swamp the prompt. Such
 * tools are set aside here, with a reason naming them, so one bad server
 * never breaks a turn for the others.
 *
 * @module
 */

/** The limits a tool listing must keep. */
export interface ToolLimits {
  /** Deepest nesting of a tool (its schemas included). */
  maxDepth: number;
  /** Largest JSON size of one tool, in characters. */
  maxChars: number;
  /** Most tools one server may offer. */
  maxTools: number;
}

/** The default limits: far above any real server's, far below what breaks. */
export const TOOL_LIMITS: ToolLimits = {
  maxDepth: 64,
  maxChars: 256 * 1024,
  maxTools: 2_000,
};

/**
 * Walks `value` without recursion and says whether it is deeper than
 * `maxDepth` or larger than `maxChars` (JSON characters, estimated), stopping
 * at the first limit crossed.
 *
 * @example
 * ```ts
 * import { exceedsLimits } from "./tool_screen.ts";
 * exceedsLimits({ a: { b: 1 } }, 1, 1000); // "nested deeper than 1 levels"
 * exceedsLimits({ a: "x".repeat(50) }, 10, 20); // "larger than 20 characters"
 * ```
 */
export function exceedsLimits(
  value: unknown,
  maxDepth: number,
  maxChars: number,
): string | undefined {
  const stack: [unknown, number][] = [[value, 0]];
  let chars = 0;
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v === "string") chars += v.length + 2;
    else if (v === null || typeof v !== "object") chars += String(v).length;
    else {
      if (depth >= maxDepth) return `nested deeper than ${maxDepth} levels`;
      if (Array.isArray(v)) {
        chars += 2 + v.length;
        for (const item of v) stack.push([item, depth + 1]);
      } else {
        for (const [k, item] of Object.entries(v)) {
          chars += k.length + 4;
          stack.push([item, depth + 1]);
        }
      }
    }
    if (chars > maxChars) return `larger than ${Math.round(maxChars / 1024)} KB`;
  }
  return undefined;
}

/** What screening kept and why the rest was set aside. */
export interface ScreenedTools<T> {
  kept: T[];
  /** One line naming what was set aside and why; absent when all was kept. */
  problem?: string;
}

/**
 * Keeps the tools within `limits`. More tools than `maxTools` sets all of
 * the server's tools aside (no model can choose among them).
 *
 * @example
 * ```ts
 * import { screenTools } from "./tool_screen.ts";
 * const { kept, problem } = screenTools([{ name: "ok", inputSchema: { type: "object" } }]);
 * console.log(kept.length, problem); // 1 undefined
 * ```
 */
export function screenTools<T extends { name: string }>(
  tools: readonly T[],
  limits: ToolLimits = TOOL_LIMITS,
): ScreenedTools<T> {
  if (tools.length > limits.maxTools) {
    return {
      kept: [],
      problem: `offers ${tools.length.toLocaleString("en-US")} tools (more than ${
        limits.maxTools.toLocaleString("en-US")
      }): all set aside`,
    };
  }
  const kept: T[] = [];
  const reasons: string[] = [];
  for (const tool of tools) {
    const why = exceedsLimits(tool, limits.maxDepth, limits.maxChars);
    if (why) reasons.push(`${String(tool.name).slice(0, 64)}: ${why}`);
    else kept.push(tool);
  }
  if (reasons.length === 0) return { kept };
  const shown = reasons.slice(0, 3).join("; ") +
    (reasons.length > 3 ? `; and ${reasons.length - 3} more` : "");
  return {
    kept,
    problem: `${reasons.length} tool${reasons.length === 1 ? "" : "s"} set aside (${shown})`,
  };
}
