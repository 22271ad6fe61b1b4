import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { verifyCall } from "../src/tasks/functions/verify.js";
import { isJsonObject, parseStrictJson, type JsonValue } from "../src/tasks/functions/strict-json.js";

const EXPECTED = { tool: "weather", args: { city: "oslo", unit: "f" } };

function timed<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

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

  test.prop([fc.json({ maxDepth: 6 })])("agrees with JSON.parse on JSON without duplicate or forbidden keys", (text) => {
    const r = parseStrictJson(text, UNLIMITED);
    // JSON.parse keeps -0; the strict parser reads it as 0 (the same number to any caller).
    if (r.ok) expect(plain(r.value)).toEqual(JSON.parse(text, (_k, v: unknown) => (Object.is(v, -0) ? 0 : v)));
    else expect(r.error).toMatch(/duplicate key|forbidden key|unsafe number/);
  });

  test.prop([fc.string({ maxLength: 300 })])("never throws on any string", (text) => {
    const r = parseStrictJson(text);
    expect(typeof r.ok).toBe("boolean");
  });

  test("duplicate-key detection stays linear (100k keys)", () => {
    const text = `{${Array.from({ length: 100_000 }, (_, i) => `"k${i}":${i}`).join(",")},"k5":0}`;
    const { result, ms } = timed(() => parseStrictJson(text, UNLIMITED));
    expect(result).toMatchObject({ ok: false, error: 'duplicate key "k5"' });
    expect(ms).toBeLessThan(500);
  });

  test("1 MB of nesting without a stack overflow, with and without the depth cap", () => {
    const depth = 500_000;
    const deep = "[".repeat(depth) + "]".repeat(depth);
    const capped = timed(() => parseStrictJson(deep, { maxLength: Number.POSITIVE_INFINITY }));
    expect(capped.result).toMatchObject({ ok: false, error: "nesting too deep" });
    expect(capped.ms).toBeLessThan(50);
    // Uncapped, the iterative parser still answers: depth costs heap frames, not stack.
    const full = timed(() => parseStrictJson("[".repeat(100_000) + "]".repeat(100_000), UNLIMITED));
    expect(full.result.ok).toBe(true);
    expect(full.ms).toBeLessThan(500);
  });
});

describe("function-call verifier against hostile input", () => {
  const MB = 1 << 20;
  const hostile: Array<[string, string]> = [
    ["1 MB of [", "[".repeat(MB)],
    ["1 MB of nested brackets", "[".repeat(MB / 2) + "]".repeat(MB / 2)],
    ["1 MB of nested objects", '{"a":'.repeat(MB / 5) + "1" + "}".repeat(MB / 5)],
    ["1 MB number", "9".repeat(MB)],
    ["1 MB string", `{"n":"${"a".repeat(MB)}"}`],
    ["1 MB of escapes", `"${"\\u0041".repeat(MB / 6)}"`],
    ["1 MB of escaped backslashes", `"${"\\\\".repeat(MB / 2)}"`],
    ["100k duplicate keys", `{"a":{${'"x":1,'.repeat(100_000)}"x":2}}`],
    ["__proto__ argument", '{"n":"weather","a":{"city":"oslo","__proto__":{"unit":"f"}}}'],
    ["constructor argument", '{"n":"weather","a":{"constructor":{"prototype":{"x":1}},"city":"oslo","unit":"f"}}'],
    ["duplicate tool name", '{"n":"search","n":"weather","a":{"city":"oslo","unit":"f"}}'],
    ["duplicate argument", '{"n":"weather","a":{"city":"paris","city":"oslo","unit":"f"}}'],
    ["huge number argument", '{"n":"weather","a":{"city":"oslo","unit":1e999}}'],
    ["unsafe integer", '{"n":"timer","a":{"min":9007199254740993}}'],
    ["lone surrogates", '{"n":"weather","a":{"city":"\\ud800oslo\\udfff","unit":"f"}}'],
    ["NUL bytes", '{"n":"weather\u0000","a":{"city":"oslo","unit":"f"}}'],
    ["1 MB whitespace", " ".repeat(MB)],
    ["unterminated 1 MB", '{"n":"' + "\\".repeat(MB)],
  ];

  test.each(hostile)("%s: answered in well under 50 ms, never correct", (_name, text) => {
    verifyCall(EXPECTED, text); // warm up this shape once so the timing measures the verifier, not the JIT
    const { result, ms } = timed(() => verifyCall(EXPECTED, text));
    expect(result.correct).toBe(false);
    expect(["unparsable", "wrong tool", "wrong value", "unexpected argument"]).toContain(result.reason);
    expect(ms).toBeLessThan(50);
  });

  // The size cap answers all of the above at once; the parser must also be linear without it.
  test.each(hostile)("%s: the parser alone, without the size cap, within 50 ms", (_name, text) => {
    parseStrictJson(text, { maxLength: Number.POSITIVE_INFINITY });
    const { result, ms } = timed(() => parseStrictJson(text, { maxLength: Number.POSITIVE_INFINITY }));
    expect(typeof result.ok).toBe("boolean");
    expect(ms).toBeLessThan(50);
  });

  test("keys that would pollute prototypes are refused as unparsable", () => {
    expect(verifyCall(EXPECTED, '{"n":"weather","a":{"city":"oslo","unit":"f","__proto__":{}}}')).toMatchObject({
      reason: "unparsable",
      error: 'forbidden key "__proto__"',
    });
    expect(({} as Record<string, unknown>).unit).toBeUndefined();
  });
});
