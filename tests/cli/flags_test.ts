/** lib/cli/flags.ts against node:util's parseArgs, and each rule on its own. */
import assert from "node:assert/strict";
import { FlagError, type FlagErrorKind, parseFlags } from "../../lib/cli/flags.ts";
import { OPTION_SPEC, parseCommandLine, UsageError } from "../../lib/cli/args.ts";

/** The error code parseArgs gives for each kind. */
const NODE_CODE: Record<FlagErrorKind, string> = {
  "unknown-option": "ERR_PARSE_ARGS_UNKNOWN_OPTION",
  "missing-value": "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
  "ambiguous-value": "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
  "unexpected-value": "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
};

/**
 * The message users saw when args.ts used parseArgs: its first sentence for an
 * unknown option (without the tip about positionals), the rest whole.
 */
function messageUsersSaw(nodeMessage: string): string {
  return nodeMessage
    .replace(/\. To specify a positional argument starting with a '-', [^]*$/, "")
    .replace(/^Unknown option/, "unknown option");
}

Deno.test("parseFlags agrees with node:util parseArgs on generated command lines over OPTION_SPEC", async () => {
  const fc = (await import("fast-check")).default;
  const { parseArgs } = await import("node:util");
  const names = Object.keys(OPTION_SPEC);
  const shorts = Object.values(OPTION_SPEC).flatMap((s) => "short" in s ? [s.short] : []);
  const name = fc.constantFrom(...names, "frob", "no-such", "m", "x", "__proto__", "", "=", "-");
  const letter = fc.constantFrom(...shorts, "x", "z", "-", "=", "\u{1F600}");
  const value = fc.oneof(
    fc.constantFrom("gpt-4o", "", "-", "--", "-x", "--yes", "a=b", "=", "tools", "list", "1"),
    fc.string({ maxLength: 4 }),
  );
  const word = fc.oneof(
    name.map((n) => `--${n}`),
    fc.tuple(name, value).map(([n, v]) => `--${n}=${v}`),
    letter.map((l) => `-${l}`),
    fc.tuple(letter, value).map(([l, v]) => `-${l}${v}`),
    fc.array(letter, { minLength: 2, maxLength: 4 }).map((ls) => `-${ls.join("")}`),
    fc.tuple(fc.array(letter, { minLength: 1, maxLength: 3 }), value).map(([ls, v]) =>
      `-${ls.join("")}${v}`
    ),
    value,
    fc.constant("--"),
    fc.string({ maxLength: 6, unit: "binary" }),
  );
  fc.assert(
    fc.property(fc.array(word, { maxLength: 8 }), (argv) => {
      let expected: { values: Record<string, unknown>; positionals: string[] } | undefined;
      let expectedError: (Error & { code?: string }) | undefined;
      try {
        expected = parseArgs({
          args: argv,
          options: OPTION_SPEC,
          allowPositionals: true,
          strict: true,
        });
      } catch (error) {
        expectedError = error as Error & { code?: string };
      }
      let actual: ReturnType<typeof parseFlags<typeof OPTION_SPEC>> | undefined;
      let actualError: unknown;
      try {
        actual = parseFlags(argv, OPTION_SPEC);
      } catch (error) {
        actualError = error;
      }
      const label = JSON.stringify(argv);
      if (expectedError) {
        assert.ok(
          actualError instanceof FlagError,
          `${label}: parseArgs threw ${expectedError.message}`,
        );
        assert.equal(NODE_CODE[actualError.kind], expectedError.code, label);
        assert.equal(actualError.message, messageUsersSaw(expectedError.message), label);
      } else {
        assert.equal(actualError, undefined, `${label}: parseArgs accepted it`);
        assert.deepEqual({ ...actual!.values }, { ...expected!.values }, label);
        assert.deepEqual(actual!.positionals, expected!.positionals, label);
        assert.equal(Object.getPrototypeOf(actual!.values), null);
      }
    }),
    { numRuns: 3000 },
  );
});

const SPECS = {
  model: { type: "string", short: "m" },
  yes: { type: "boolean", short: "y" },
  continue: { type: "boolean", short: "c" },
  print: { type: "boolean", short: "p" },
  env: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

/** `{...values}` and positionals of a parse, for deepEqual. */
function parse(argv: string[]) {
  const { values, positionals } = parseFlags(argv, SPECS);
  return { values: { ...values }, positionals };
}

function throwsKind(argv: string[], kind: FlagErrorKind, message: string | RegExp) {
  assert.throws(() => parseFlags(argv, SPECS), (error) => {
    assert.ok(error instanceof FlagError, String(error));
    assert.equal(error.kind, kind);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  });
}

Deno.test("long options: --name, --name value, --name=value", () => {
  assert.deepEqual(parse(["--json", "--model", "gpt-4o"]), {
    values: { json: true, model: "gpt-4o" },
    positionals: [],
  });
  assert.deepEqual(parse(["--model=gpt-4o"]).values, { model: "gpt-4o" });
  assert.deepEqual(parse(["--model="]).values, { model: "" }, "an empty inline value is a value");
  assert.deepEqual(parse(["--model=a=b"]).values, { model: "a=b" }, "only the first = splits");
  assert.deepEqual(parse(["--model", "x", "--model", "y"]).values, { model: "y" }, "last one wins");
});

Deno.test("short options: -x, -x value, -xvalue", () => {
  assert.deepEqual(parse(["-y"]).values, { yes: true });
  assert.deepEqual(parse(["-m", "gpt-4o"]).values, { model: "gpt-4o" });
  assert.deepEqual(parse(["-mgpt-4o"]).values, { model: "gpt-4o" });
  assert.deepEqual(parse(["-m-x"]).values, { model: "-x" }, "glued, a dash value is meant");
  assert.deepEqual(parse(["-m", "-"]).values, { model: "-" }, "a lone - is a value");
});

Deno.test("grouped short booleans, a string option ending the group", () => {
  assert.deepEqual(parse(["-yc"]).values, { yes: true, continue: true });
  assert.deepEqual(parse(["-ycp"]).values, { yes: true, continue: true, print: true });
  assert.deepEqual(parse(["-ym", "gpt-4o"]).values, { yes: true, model: "gpt-4o" });
  assert.deepEqual(parse(["-ymgpt-4o"]).values, { yes: true, model: "gpt-4o" });
  throwsKind(["-yz"], "unknown-option", "unknown option '-z'");
  throwsKind(["-ym"], "missing-value", "Option '-m, --model <value>' argument missing");
});

Deno.test("multiple: true collects every value in order", () => {
  assert.deepEqual(parse(["--env", "A=1", "--env=B=2"]).values, { env: ["A=1", "B=2"] });
  assert.deepEqual(parse([]).values, {});
});

Deno.test("positionals anywhere, and everything after -- is one", () => {
  assert.deepEqual(parse(["tools", "-y", "call", "-", "echo"]), {
    values: { yes: true },
    positionals: ["tools", "call", "-", "echo"],
  });
  assert.deepEqual(parse(["-y", "--", "-m", "--json", "--"]), {
    values: { yes: true },
    positionals: ["-m", "--json", "--"],
  });
});

Deno.test("errors: unknown option, missing value, value on a boolean", () => {
  throwsKind(["--frob"], "unknown-option", "unknown option '--frob'");
  throwsKind(["-z"], "unknown-option", "unknown option '-z'");
  throwsKind(["--frob=1"], "unknown-option", "unknown option '--frob'");
  throwsKind(["--__proto__"], "unknown-option", "unknown option '--__proto__'");
  throwsKind(["--model"], "missing-value", "Option '-m, --model <value>' argument missing");
  throwsKind(["-m"], "missing-value", "Option '-m, --model <value>' argument missing");
  throwsKind(["--env"], "missing-value", "Option '--env <value>' argument missing");
  throwsKind(["--yes=1"], "unexpected-value", "Option '-y, --yes' does not take an argument");
  throwsKind(["--json="], "unexpected-value", "Option '--json' does not take an argument");
  // The first mistake is the one reported.
  throwsKind(["--frob", "--model"], "unknown-option", "unknown option '--frob'");
});

Deno.test("a value that looks like an option is refused, with the way to write it", () => {
  throwsKind(
    ["-m", "--json"],
    "ambiguous-value",
    "Option '-m' argument is ambiguous.\n" +
      "Did you forget to specify the option argument for '-m'?\n" +
      "To specify an option argument starting with a dash use '--model=-XYZ' or '-m-XYZ'.",
  );
  throwsKind(["--model", "-x"], "ambiguous-value", /use '--model=-XYZ'\.$/);
  throwsKind(["--model", "--"], "ambiguous-value", /argument is ambiguous/);
  assert.deepEqual(parse(["--model=--json"]).values, { model: "--json" });
});

Deno.test("parseCommandLine turns parser errors into usage errors with the same words", () => {
  assert.throws(
    () => parseCommandLine(["--frob"]),
    (error) => error instanceof UsageError && error.message === "unknown option '--frob'",
  );
  assert.throws(
    () => parseCommandLine(["tools", "list", "-m"]),
    (error) =>
      error instanceof UsageError &&
      error.message === "Option '-m, --model <value>' argument missing",
  );
  const { options, command, flags } = parseCommandLine([
    "-ymgpt-4o",
    "servers",
    "add",
    "--env",
    "A=1",
    "--env=B=2",
    "--",
    "-x",
  ]);
  assert.equal(options.model, "gpt-4o");
  assert.equal(options.yes, true);
  assert.deepEqual(command, ["servers", "add", "-x"]);
  assert.equal(flags.env, "A=1\u0000B=2");
});
