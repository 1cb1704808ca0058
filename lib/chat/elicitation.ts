/**
 * Elicitation: an MCP server asks the user for structured input
 * (`elicitation/create`, form mode). mcpchat asks each field in the terminal,
 * checks it against the requested schema, and answers accept, decline or
 * cancel.
 *
 * @module
 */

import type { ElicitResult } from "../util/mcp_types.ts";

/**
 * A value of an accepted form: what MCP allows (a string, number, boolean or
 * list of strings).
 */
export type ElicitValue = NonNullable<ElicitResult["content"]>[string];

/**
 * One field of the requested schema (the subset MCP allows: flat primitives
 * and enums of strings). Every member of the SDK's `PrimitiveSchemaDefinition`
 * fits it, and the SDK checks a request against that schema before mcpchat
 * sees it, so choices are strings and a default is an {@linkcode ElicitValue}.
 */
export interface ElicitField {
  type?: string;
  title?: string;
  description?: string;
  default?: ElicitValue;
  enum?: string[];
  enumNames?: string[];
  oneOf?: { const: string; title?: string }[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: { type?: string; enum?: string[]; anyOf?: { const: string; title?: string }[] };
  minItems?: number;
  maxItems?: number;
}

/** A form-mode elicitation request, as the server sends it. */
export interface ElicitForm {
  message: string;
  requestedSchema: {
    type?: string;
    properties: Record<string, ElicitField>;
    required?: string[];
  };
}

/** Asks the user one question; resolves with the answer, or `null` at end of input. */
export type Ask = (question: string) => Promise<string | null>;

/** Words that end a form early. */
const DECLINE = "/decline";
const CANCEL = "/cancel";

interface Choice {
  value: string;
  label: string;
}

function choicesOf(field: ElicitField): Choice[] | undefined {
  if (field.oneOf) {
    return field.oneOf.map((o) => ({ value: o.const, label: o.title ?? o.const }));
  }
  if (field.enum) {
    return field.enum.map((v, i) => ({ value: v, label: field.enumNames?.[i] ?? v }));
  }
  const items = field.items;
  if (items?.anyOf) {
    return items.anyOf.map((o) => ({ value: o.const, label: o.title ?? o.const }));
  }
  if (items?.enum) return items.enum.map((v) => ({ value: v, label: v }));
  return undefined;
}

/** Parses one answer for `field`; returns the value, or an error text to show. */
export function parseFieldAnswer(
  field: ElicitField,
  raw: string,
): { value: ElicitValue } | { error: string } {
  const text = raw.trim();
  const choices = choicesOf(field);
  const pick = (word: string): string | undefined => {
    const n = Number(word);
    if (choices && Number.isInteger(n) && n >= 1 && n <= choices.length) {
      return choices[n - 1].value;
    }
    return choices?.find((c) => c.value === word || c.label.toLowerCase() === word.toLowerCase())
      ?.value;
  };
  switch (field.type) {
    case "boolean": {
      if (/^(y|yes|true|1)$/i.test(text)) return { value: true };
      if (/^(n|no|false|0)$/i.test(text)) return { value: false };
      return { error: "answer y or n" };
    }
    case "number":
    case "integer": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n)) return { error: "a number, please" };
      if (field.type === "integer" && !Number.isInteger(n)) {
        return { error: "a whole number, please" };
      }
      if (field.minimum !== undefined && n < field.minimum) {
        return { error: `at least ${field.minimum}` };
      }
      if (field.maximum !== undefined && n > field.maximum) {
        return { error: `at most ${field.maximum}` };
      }
      return { value: n };
    }
    case "array": {
      const words = text.split(",").map((w) => w.trim()).filter(Boolean);
      const values = words.map(pick).filter((v) => v !== undefined);
      if (values.length < words.length) {
        return { error: "pick from the list (numbers or names, comma-separated)" };
      }
      if (field.minItems !== undefined && values.length < field.minItems) {
        return { error: `at least ${field.minItems}` };
      }
      if (field.maxItems !== undefined && values.length > field.maxItems) {
        return { error: `at most ${field.maxItems}` };
      }
      return { value: values };
    }
    default: {
      if (choices) {
        const value = pick(text);
        return value === undefined
          ? { error: "pick one from the list (number or name)" }
          : { value };
      }
      if (field.minLength !== undefined && text.length < field.minLength) {
        return { error: `at least ${field.minLength} characters` };
      }
      if (field.maxLength !== undefined && text.length > field.maxLength) {
        return { error: `at most ${field.maxLength} characters` };
      }
      if (field.format === "email" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text)) {
        return { error: "an email address, please" };
      }
      if (field.format === "uri" && !URL.canParse(text)) {
        return { error: "a URL, please (https://…)" };
      }
      if (field.format === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(text)) {
        return { error: "a date as YYYY-MM-DD" };
      }
      return { value: text };
    }
  }
}

/**
 * Fills a form by asking each field. An empty answer takes the default (or
 * skips an optional field); `/decline` declines, `/cancel` or end of input
 * cancels. A wrong answer is asked again, with what was wrong.
 *
 * @example
 * ```ts
 * import { fillForm } from "./elicitation.ts";
 * const answers = ["Ada", "y"];
 * const result = await fillForm(
 *   { message: "Who?", requestedSchema: { properties: { name: { type: "string" }, ok: { type: "boolean" } }, required: ["name"] } },
 *   () => Promise.resolve(answers.shift() ?? null),
 *   () => {},
 * );
 * console.log(result); // { action: "accept", content: { name: "Ada", ok: true } }
 * ```
 */
export async function fillForm(
  form: ElicitForm,
  ask: Ask,
  show: (text: string) => void,
): Promise<ElicitResult> {
  const required = new Set(form.requestedSchema.required ?? []);
  const content: Record<string, ElicitValue> = {};
  show(`${form.message}\n(Enter keeps the default; /decline or /cancel to stop)\n`);
  for (const [name, field] of Object.entries(form.requestedSchema.properties)) {
    const choices = choicesOf(field);
    if (choices) show(choices.map((c, i) => `  ${i + 1}) ${c.label}`).join("\n") + "\n");
    const label = `${field.title ?? name}${field.description ? ` — ${field.description}` : ""}`;
    const def = field.default !== undefined
      ? ` [${Array.isArray(field.default) ? field.default.join(", ") : String(field.default)}]`
      : "";
    const mark = required.has(name) ? " *" : "";
    for (let attempt = 0;; attempt++) {
      const answer = await ask(`${label}${mark}${def}: `);
      if (answer === null || answer.trim() === CANCEL) return { action: "cancel" };
      if (answer.trim() === DECLINE) return { action: "decline" };
      if (answer.trim() === "") {
        if (field.default !== undefined) {
          content[name] = field.default;
          break;
        }
        if (!required.has(name)) break;
        show("  (required)\n");
        continue;
      }
      const parsed = parseFieldAnswer(field, answer);
      if ("value" in parsed) {
        content[name] = parsed.value;
        break;
      }
      show(`  ${parsed.error}\n`);
      if (attempt >= 4) return { action: "cancel" };
    }
  }
  return { action: "accept", content };
}
