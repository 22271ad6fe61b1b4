import { test, fc } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { evaluateExpression, parseExpression } from "../src/tasks/countdown/expression.js";
import { generateCountdown } from "../src/tasks/countdown/generate.js";
import { solveCountdown } from "../src/tasks/countdown/solve.js";
import { extractAnswer, verifyCountdown, type CountdownPuzzle } from "../src/tasks/countdown/verify.js";
import { Rng } from "../src/util/rng.js";
import { timeGrowth } from "./helpers/scaling.js";

const SEED = 7331;

/**
 * 10× the input must cost under 50× the time: linear work measures 10-30× (allocation and GC
 * grow a little faster than the input), quadratic work 100× or more.
 */
const LINEAR_BOUND = 5;

describe("expression parser", () => {
  test("precedence and left associativity", () => {
    const value = (s: string): string => {
      const r = evaluateExpression(s);
      return r.ok ? r.value.toString() : r.reason;
    };
    expect(value("2+3*4")).toBe("14");
    expect(value("8-3-2")).toBe("3");
    expect(value("8/4/2")).toBe("1");
    expect(value("8/(4/2)")).toBe("4");
    expect(value("2*3-4/8")).toBe("11/2");
    expect(value(" ( 1 + 2 ) * 3 ")).toBe("9");
    expect(value("7 − 2 × 3 ÷ 4")).toBe("11/2");
    expect(value("007+1")).toBe("8");
  });

  test("reports literals in order of appearance", () => {
    const r = evaluateExpression("(3+10)*2-7");
    expect(r.ok && r.numbers).toEqual([3n, 10n, 2n, 7n]);
  });

  test.each([
    "2**5",
    "2^5",
    "-3",
    "3.5",
    "process.exit(1)",
    "",
    "   ",
    "１+2",
    "٣+1",
    "1 2",
    "(1+2",
    "1+2)",
    "()",
    "1+",
    "x",
    "2(3)",
    "(2)3",
  ])("rejects %j as unparsable", (s) => {
    const r = evaluateExpression(s);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe("unparsable");
  });

  test("deep nesting parses without recursion, in linear time", () => {
    const nested = (depth: number): string => "(".repeat(depth) + "1" + ")".repeat(depth);
    const small = nested(100_000);
    const large = nested(1_000_000);
    const r = evaluateExpression(large);
    expect(r.ok && r.value.toString()).toBe("1");
    expect(
      timeGrowth(
        () => evaluateExpression(small),
        () => evaluateExpression(large),
        { rounds: 3 },
      ),
    ).toBeLessThan(10 * LINEAR_BOUND);
  });

  test("standalone evaluation refuses work that would build giant numbers", () => {
    const r = evaluateExpression("99*".repeat(33_000) + "99");
    expect(!r.ok && r.reason).toBe("unparsable");
    expect(!r.ok && r.detail).toMatch(/too many numbers/);
    expect(parseExpression("99*".repeat(33_000) + "99").ok).toBe(true);
  });

  test("the largest evaluation the limits allow stays cheap", () => {
    // 64 literals of 24 digits summed as fractions: denominators multiply, so gcds run on ~1500 digits.
    const rng = new Rng(1);
    const lit = (): string => String(rng.int(1, 9)) + Array.from({ length: 23 }, () => rng.int(0, 9)).join("");
    const s = Array.from({ length: 32 }, () => `${lit()}/${lit()}`).join("+");
    expect(evaluateExpression(s).ok).toBe(true);
    // Cheap means: the limits keep the arithmetic below the cost of merely reading a long
    // hostile answer, which the verifier must do anyway (measured side by side, not in ms).
    const hostile = "1+".repeat(50_000) + "1";
    expect(
      timeGrowth(
        () => parseExpression(hostile),
        () => evaluateExpression(s),
      ),
    ).toBeLessThan(1);
  });
});

describe("verifyCountdown", () => {
  const puzzle: CountdownPuzzle = { target: 98, nums: [44, 19, 35] };

  test("exact rational arithmetic", () => {
    expect(verifyCountdown({ target: 1, nums: [7, 3, 2, 3] }, "(7/3-2)*3")).toEqual({
      correct: true,
      reason: "ok",
      value: "1",
    });
  });

  test("each reason", () => {
    expect(verifyCountdown(puzzle, " 44+19+35 \n")).toEqual({ correct: true, reason: "ok", value: "98" });
    expect(verifyCountdown(puzzle, "44+19-35")).toEqual({ correct: false, reason: "wrong value", value: "28" });
    expect(verifyCountdown(puzzle, "44+19")).toEqual({ correct: false, reason: "wrong numbers" });
    expect(verifyCountdown(puzzle, "44+19+35+0")).toEqual({ correct: false, reason: "wrong numbers" });
    expect(verifyCountdown(puzzle, "44+19+36")).toEqual({ correct: false, reason: "wrong numbers" });
    expect(verifyCountdown(puzzle, "44+19+35=98")).toEqual({ correct: false, reason: "unparsable" });
    expect(verifyCountdown({ target: 1, nums: [4, 2, 2] }, "4/(2-2)")).toEqual({
      correct: false,
      reason: "division by zero",
    });
    expect(verifyCountdown({ target: 5, nums: [5] }, "5")).toEqual({ correct: true, reason: "ok", value: "5" });
  });

  test("duplicate numbers must each be used exactly once", () => {
    const p = { target: 12, nums: [6, 6, 1] };
    expect(verifyCountdown(p, "6+6*1").correct).toBe(true);
    expect(verifyCountdown(p, "6+6+1-1").reason).toBe("wrong numbers");
    expect(verifyCountdown(p, "6*1*1+6").reason).toBe("wrong numbers");
  });

  // Hostile answers that scale: each is answered as expected, and 10× the input costs about
  // 10× the time (measured side by side), so no input length can stall a reward computation.
  test.each([
    ["1+ repeated", (n: number) => "1+".repeat(n / 2) + "1", "wrong numbers"],
    ["digits", (n: number) => "9".repeat(n), "wrong numbers"],
    ["operators", (n: number) => "1" + "+".repeat(n - 1), "unparsable"],
    ["nested parentheses", (n: number) => "(".repeat(n / 2) + "44+19+35" + ")".repeat(n / 2), "ok"],
    ["long product", (n: number) => "99*".repeat(n / 3) + "99", "wrong numbers"],
  ] as const)("hostile input (%s) is answered in linear time", (_name, make, reason) => {
    const small = make(100_000);
    const large = make(1_000_000);
    expect(verifyCountdown(puzzle, small).reason).toBe(reason);
    expect(verifyCountdown(puzzle, large).reason).toBe(reason);
    expect(
      timeGrowth(
        () => verifyCountdown(puzzle, small),
        () => verifyCountdown(puzzle, large),
        { rounds: 3 },
      ),
    ).toBeLessThan(10 * LINEAR_BOUND);
  });

  test.each([
    ["process.exit", "process.exit(1)", "unparsable"],
    ["unicode digits", "４４+１９+３５", "unparsable"],
    ["arabic-indic digits", "٤٤+١٩+٣٥", "unparsable"],
    ["power", "2**5", "unparsable"],
    ["caret", "2^5", "unparsable"],
  ])("hostile input (%s) is refused", (_name, answer, reason) => {
    expect(verifyCountdown(puzzle, answer).reason).toBe(reason);
  });

  test.prop([fc.string({ unit: "binary", maxLength: 200 })], { seed: SEED })("never throws on binary strings", (s) => {
    expect(verifyCountdown(puzzle, s).correct).toBeTypeOf("boolean");
  });

  test.prop([fc.string({ unit: "grapheme", maxLength: 100 })], { seed: SEED })("never throws on graphemes", (s) => {
    expect(verifyCountdown(puzzle, s).correct).toBeTypeOf("boolean");
  });

  // Strings drawn from the expression alphabet hit the parser's interesting states far more often.
  const exprChars = fc.constantFrom(..."0123456789+-*/()  −×÷.^x");
  test.prop([fc.string({ unit: exprChars, maxLength: 60 })], { seed: SEED })(
    "never throws on near-expressions and is consistent with evaluation",
    (s) => {
      const v = verifyCountdown({ target: 3, nums: [1, 2] }, s);
      const r = evaluateExpression(s);
      if (v.reason === "unparsable") expect(parseExpression(s).ok).toBe(false);
      if (v.reason === "ok" || v.reason === "wrong value") expect(r.ok && r.value.toString()).toBe(v.value);
    },
  );

  test.prop([fc.integer({ min: 0, max: 2 ** 31 })], { seed: SEED })("accepts the generator's own solution", (seed) => {
    const p = generateCountdown(new Rng(seed));
    expect(verifyCountdown(p, p.solution)).toEqual({ correct: true, reason: "ok", value: String(p.target) });
  });

  test.prop([fc.integer({ min: 0, max: 2 ** 31 }), fc.nat(), fc.integer({ min: 1, max: 99 })], { seed: SEED })(
    "rejects answers that reuse, omit or substitute a number",
    (seed, pick, extra) => {
      const p = generateCountdown(new Rng(seed));
      const k = pick % p.nums.length;
      const n = p.nums[k] as number;
      // Reusing a number while keeping the value right isolates the numbers check.
      expect(verifyCountdown(p, `${p.solution}+${n}-${n}`).reason).toBe("wrong numbers");
      expect(verifyCountdown(p, `(${p.solution})*${n}/${n}`).reason).toBe("wrong numbers");
      expect(verifyCountdown({ ...p, nums: [...p.nums, extra] }, p.solution).reason).toBe("wrong numbers");
      const literals = [...p.solution.matchAll(/\d+/g)];
      const lit = literals[pick % literals.length];
      if (lit?.index !== undefined && Number(lit[0]) !== extra) {
        const swapped = p.solution.slice(0, lit.index) + String(extra) + p.solution.slice(lit.index + lit[0].length);
        expect(verifyCountdown(p, swapped).reason).toBe("wrong numbers");
      }
    },
  );

  test.prop([fc.integer({ min: 0, max: 2 ** 31 })], { seed: SEED })("every solver solution verifies", (seed) => {
    const p = generateCountdown(new Rng(seed));
    const solutions = solveCountdown(p, { limit: 20 });
    expect(solutions.length).toBeGreaterThan(0);
    for (const s of solutions) expect(verifyCountdown(p, s).correct).toBe(true);
    for (const s of solveCountdown(p, { limit: 20, integerOnly: false }))
      expect(verifyCountdown(p, s).correct).toBe(true);
  });
});

type Tree = { kind: "num"; value: number } | { kind: "op"; op: "+" | "-" | "*" | "/"; left: Tree; right: Tree };

const { tree: treeArb } = fc.letrec<{ tree: Tree; leaf: Tree; node: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, tie("leaf"), tie("node")),
  leaf: fc.integer({ min: 0, max: 1000 }).map((value): Tree => ({ kind: "num", value })),
  node: fc
    .record({ op: fc.constantFrom("+", "-", "*", "/" as const), left: tie("tree"), right: tie("tree") })
    .map((n): Tree => ({ kind: "op", ...n })),
}));

/** Unreduced fraction [num, den], or null on division by zero: deliberately unlike Rational's code. */
function reference(t: Tree): [bigint, bigint] | null {
  if (t.kind === "num") return [BigInt(t.value), 1n];
  const l = reference(t.left);
  const r = reference(t.right);
  if (l === null || r === null) return null;
  const [a, b] = l;
  const [c, d] = r;
  switch (t.op) {
    case "+":
      return [a * d + c * b, b * d];
    case "-":
      return [a * d - c * b, b * d];
    case "*":
      return [a * c, b * d];
    case "/":
      if (c === 0n) return null;
      return [a * d, b * c];
  }
}

function print(t: Tree, spaced: boolean): string {
  if (t.kind === "num") return String(t.value);
  const sp = spaced ? " " : "";
  return `(${print(t.left, spaced)}${sp}${t.op}${sp}${print(t.right, spaced)})`;
}

describe("exact arithmetic against a reference", () => {
  test.prop([treeArb, fc.boolean()], { seed: SEED })("evaluation matches fraction arithmetic", (tree, spaced) => {
    const ref = reference(tree);
    const r = evaluateExpression(print(tree, spaced));
    if (ref === null) {
      expect(!r.ok && r.reason).toBe("division by zero");
      return;
    }
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const [n, d] = ref;
    expect(r.value.num * d).toBe(n * r.value.den);
  });
});

describe("extractAnswer", () => {
  test("first non-blank line, trimmed", () => {
    expect(extractAnswer("  \n  44+19+35  \nbecause...")).toBe("44+19+35");
    expect(extractAnswer("1+2\r\n3")).toBe("1+2");
    expect(extractAnswer("")).toBe("");
  });
});
