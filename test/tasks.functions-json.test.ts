import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { verifyCall } from "../src/tasks/functions/verify.js";
import {
  DEFAULT_JSON_LIMITS,
  isJsonObject,
  parseStrictJson,
  type JsonValue,
} from "../src/tasks/functions/strict-json.js";
import { timeGrowth } from "./helpers/scaling.js";

const EXPECTED = { tool: "weather", args: { city: "oslo", unit: "f" } };

/**
 * 10× the input must cost under 50× the time: linear work measures 10-30× (allocation and GC
 * grow a little faster than the input), quadratic work 100× or more.
 */
const LINEAR_BOUND = 5;

/** Converts parser output back to plain JSON-compatible data for comparison with JSON.parse. */
function plain(v: JsonValue): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (isJsonObject(v)) return Object.fromEntries([...v].map(([k, x]) => [k, plain(x)]));
  return v;
}

const UNLIMITED = { maxLength: Number.POSITIVE_INFINITY, maxDepth: Number.POSITIVE_INFINITY };

describe("strict JSON parser", () => {
  test.each([
    ['{"a":1}', { a: 1 }],
    [' [1, -2.5e3, true, false, null, "x"] ', [1, -2500, true, false, null, "x"]],
    ['{"s":"\\u0041\\n\\"\\\\\\/"}', { s: 'A\n"\\/' }],
    ['{"a":{"b":[{}, []]}}', { a: { b: [{}, []] } }],
    ["-0", 0],
    ['"\\ud83d\\ude00"', "😀"],
  ])("parses %j like JSON.parse", (text, expected) => {
    const r = parseStrictJson(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(plain(r.value)).toEqual(expected);
  });

  test.each([
    ['{"a":1,"a":2}', /duplicate key "a"/],
    ['{"a":1,"\\u0061":2}', /duplicate key "a"/],
    ['{"__proto__":{"x":1}}', /forbidden key "__proto__"/],
    ['{"a":{"constructor":1}}', /forbidden key "constructor"/],
    ['{"prototype":1}', /forbidden key "prototype"/],
    ["1e400", /unsafe number/],
    ["-1e400", /unsafe number/],
    ["9007199254740993", /unsafe number/],
    ["1e-400", /unsafe number/],
    ["1" + "0".repeat(40), /unsafe number/],
    ["[1,]", /unexpected character/],
    ["{'a':1}", /expected a string key/],
    ["01", /trailing characters/],
    ["NaN", /unexpected character/],
    ['"a\nb"', /control character/],
    ['"\\x41"', /bad escape/],
    ['"\\u12"', /bad \\u escape/],
    ['"abc', /unterminated string/],
    ["", /unexpected end/],
    ["[[[[[[[[[1]]]]]]]]]", /nesting too deep/],
    ["\ufeff{}", /unexpected character/],
  ])("rejects %j", (text, error) => {
    const r = parseStrictJson(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });

  test("objects are Maps: no key ever becomes a property", () => {
    const r = parseStrictJson('{"toString":1,"hasOwnProperty":2}');
    expect(r.ok && isJsonObject(r.value) && r.value.get("toString")).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test.prop([fc.json({ maxDepth: 6 })])(
    "agrees with JSON.parse on JSON without duplicate or forbidden keys",
    (text) => {
      const r = parseStrictJson(text, UNLIMITED);
      // JSON.parse keeps -0; the strict parser reads it as 0 (the same number to any caller).
      if (r.ok) expect(plain(r.value)).toEqual(JSON.parse(text, (_k, v: unknown) => (Object.is(v, -0) ? 0 : v)));
      else expect(r.error).toMatch(/duplicate key|forbidden key|unsafe number/);
    },
  );

  test.prop([fc.string({ maxLength: 300 })])("never throws on any string", (text) => {
    const r = parseStrictJson(text);
    expect(typeof r.ok).toBe("boolean");
  });

  test("duplicate-key detection stays linear (10k → 100k keys)", () => {
    const keys = (n: number): string => `{${Array.from({ length: n }, (_, i) => `"k${i}":${i}`).join(",")},"k5":0}`;
    const small = keys(10_000);
    const large = keys(100_000);
    expect(parseStrictJson(large, UNLIMITED)).toMatchObject({ ok: false, error: 'duplicate key "k5"' });
    expect(
      timeGrowth(
        () => parseStrictJson(small, UNLIMITED),
        () => parseStrictJson(large, UNLIMITED),
        { rounds: 3 },
      ),
    ).toBeLessThan(10 * LINEAR_BOUND);
  });

  test("1 MB of nesting without a stack overflow, with and without the depth cap", () => {
    const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
    const capped = parseStrictJson(nested(500_000), { maxLength: Number.POSITIVE_INFINITY });
    // The cap stops the parser at the first bracket too deep: the rest of the megabyte is never read.
    expect(capped).toEqual({ ok: false, error: "nesting too deep", at: DEFAULT_JSON_LIMITS.maxDepth });
    // Uncapped, the iterative parser still answers: depth costs heap frames, not stack. (Its cost
    // at this depth is mostly allocation and GC, whose CPU time grew 64x for 10x the input on a
    // loaded machine: too noisy for a growth bound here; the hostile-input bounds below cover it.)
    expect(parseStrictJson(nested(100_000), UNLIMITED).ok).toBe(true);
  });
});

describe("function-call verifier against hostile input", () => {
  const MB = 1 << 20;
  // Hostile answers of n characters (about), so the parser's cost can be compared across sizes.
  const scalable: Array<[string, (n: number) => string]> = [
    ["[", (n) => "[".repeat(n)],
    ["nested brackets", (n) => "[".repeat(n / 2) + "]".repeat(n / 2)],
    ["nested objects", (n) => '{"a":'.repeat(n / 5) + "1" + "}".repeat(n / 5)],
    ["number", (n) => "9".repeat(n)],
    ["string", (n) => `{"n":"${"a".repeat(n)}"}`],
    ["escapes", (n) => `"${"\\u0041".repeat(n / 6)}"`],
    ["escaped backslashes", (n) => `"${"\\\\".repeat(n / 2)}"`],
    ["duplicate keys", (n) => `{"a":{${'"x":1,'.repeat(n / 6)}"x":2}}`],
    ["whitespace", (n) => " ".repeat(n)],
    ["unterminated", (n) => '{"n":"' + "\\".repeat(n)],
  ];
  const small: Array<[string, string]> = [
    ["__proto__ argument", '{"n":"weather","a":{"city":"oslo","__proto__":{"unit":"f"}}}'],
    ["constructor argument", '{"n":"weather","a":{"constructor":{"prototype":{"x":1}},"city":"oslo","unit":"f"}}'],
    ["duplicate tool name", '{"n":"search","n":"weather","a":{"city":"oslo","unit":"f"}}'],
    ["duplicate argument", '{"n":"weather","a":{"city":"paris","city":"oslo","unit":"f"}}'],
    ["huge number argument", '{"n":"weather","a":{"city":"oslo","unit":1e999}}'],
    ["unsafe integer", '{"n":"timer","a":{"min":9007199254740993}}'],
    ["lone surrogates", '{"n":"weather","a":{"city":"\\ud800oslo\\udfff","unit":"f"}}'],
    ["NUL bytes", '{"n":"weather\u0000","a":{"city":"oslo","unit":"f"}}'],
  ];

  test.each(scalable)("1 MB %s: refused by the size cap before any parsing, never correct", (name, make) => {
    const result = verifyCall(EXPECTED, make(MB));
    // Whitespace is trimmed (linear) to nothing before the cap is looked at.
    expect(result).toMatchObject({
      correct: false,
      reason: "unparsable",
      error: name === "whitespace" ? "unexpected end" : "input too long",
    });
  });

  test.each(small)("%s: never correct", (_name, text) => {
    const result = verifyCall(EXPECTED, text);
    expect(result.correct).toBe(false);
    expect(["unparsable", "wrong tool", "wrong value", "unexpected argument"]).toContain(result.reason);
  });

  // The size cap answers all of the above at once; the parser must also be linear without it:
  // a megabyte costs about ten times 100 KB (measured side by side, not against a clock).
  test.each(scalable)("%s: the parser alone, without the size cap, is linear (100 KB → 1 MB)", (_name, make) => {
    const a = make(MB / 10);
    const b = make(MB);
    const parse = (text: string) => (): unknown => parseStrictJson(text, { maxLength: Number.POSITIVE_INFINITY });
    expect(typeof parseStrictJson(b, { maxLength: Number.POSITIVE_INFINITY }).ok).toBe("boolean");
    expect(timeGrowth(parse(a), parse(b), { rounds: 3 })).toBeLessThan(10 * LINEAR_BOUND);
  });

  test("keys that would pollute prototypes are refused as unparsable", () => {
    expect(verifyCall(EXPECTED, '{"n":"weather","a":{"city":"oslo","unit":"f","__proto__":{}}}')).toMatchObject({
      reason: "unparsable",
      error: 'forbidden key "__proto__"',
    });
    expect(({} as Record<string, unknown>).unit).toBeUndefined();
  });
});
