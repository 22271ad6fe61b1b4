import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { generateBbhProblem, generateBbhSet, BBH_GENERATORS } from "../src/tasks/bbh/generate.js";
import { parseBbhJsonl, verifyBbhJsonl } from "../src/tasks/bbh/jsonl.js";
import { THINGS } from "../src/tasks/bbh/object-counting.js";
import { BBH_SUBS, type BbhProblem, type BbhSub } from "../src/tasks/bbh/problem.js";
import { MAX_TOKENS } from "../src/tasks/bbh/prompts.js";
import { BBH_TASKS, bbhMixedTask, bbhTask } from "../src/tasks/bbh/spec.js";
import { normaliseBbh, verifyBbh } from "../src/tasks/bbh/verify.js";
import { JsonlError, toJsonl } from "../src/util/jsonl.js";
import { Rng } from "../src/util/rng.js";

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const sub = fc.constantFrom(...BBH_SUBS);
const problemOf = (s: number, k: BbhSub): BbhProblem => generateBbhProblem(new Rng(s), [k]);

// Independent solvers that read the (trusted) generated input text, to check that each generator's
// printed question says what its tree or stack says.
function solveBoolean(input: string): string {
  const toks = input.split(" ");
  let i = 0;
  const primary = (): boolean => {
    const t = toks[i++];
    if (t === "not") return !primary();
    if (t === "(") {
      const v = or();
      i++; // ")"
      return v;
    }
    return t === "True";
  };
  const and = (): boolean => {
    let v = primary();
    while (toks[i] === "and") {
      i++;
      const r = primary();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (toks[i] === "or") {
      i++;
      const r = and();
      v = v || r;
    }
    return v;
  };
  const v = or();
  expect(i).toBe(toks.length);
  return v ? "True" : "False";
}

function solveArithmetic(input: string): string {
  const s = input.replace(/ =$/, "");
  let i = 0;
  const expr = (): number => {
    if (s[i] === "(") {
      i++;
      const a = expr();
      const op = s.slice(i + 1, i + 2);
      i += 3;
      const b = expr();
      i++; // ")"
      return op === "+" ? a + b : op === "-" ? a - b : a * b;
    }
    const m = /^-?\d+/.exec(s.slice(i)) as RegExpExecArray;
    i += m[0].length;
    return Number(m[0]);
  };
  return String(expr() + 0);
}

function solveDyck(input: string): string {
  const close: Record<string, string> = { "(": ")", "[": "]", "{": "}", "<": ">" };
  const stack: string[] = [];
  for (const t of input.split(" ")) {
    if (t in close) stack.push(t);
    else expect(close[stack.pop() as string]).toBe(t);
  }
  return stack
    .reverse()
    .map((o) => close[o])
    .join(" ");
}

function solveCounting(input: string): string {
  const m = /^I have (.*)\. How many (\w+)\?$/.exec(input) as RegExpExecArray;
  const counts: Record<string, number> = { a: 1, an: 1, two: 2, three: 3, four: 4 };
  let total = 0;
  for (const part of (m[1] as string).split(/, | and /)) {
    const [n, ...rest] = part.split(" ");
    const name = rest.join(" ");
    const thing = THINGS.find((t) => t.one === part || t.many === name) as (typeof THINGS)[number];
    if (thing.category === m[2]) total += counts[n as string] as number;
  }
  return String(total);
}

const SOLVERS: Record<BbhSub, (input: string) => string> = {
  boolean_expressions: solveBoolean,
  multistep_arithmetic: solveArithmetic,
  dyck_languages: solveDyck,
  word_sorting: (input) => input.replace("sort: ", "").split(" ").sort().join(" "),
  object_counting: solveCounting,
};

/** A well-formed but wrong answer for each sub-task. */
function perturb(p: BbhProblem, rng: Rng): string {
  switch (p.sub) {
    case "boolean_expressions":
      return p.target === "True" ? "False" : "True";
    case "multistep_arithmetic":
    case "object_counting":
      return String(Number(p.target) + rng.pick([1, 2, 10]));
    case "dyck_languages": {
      const t = p.target.split(" ");
      return t.length > 1 && rng.next() < 0.5 ? t.slice(1).join(" ") : [...t, ")"].join(" ");
    }
    case "word_sorting": {
      const w = p.target.split(" ");
      return [w[1], w[0], ...w.slice(2)].join(" ");
    }
  }
}

describe("BBH generators", () => {
  test.prop([seed, sub])("targets agree with an independent solver of the printed input", (s, k) => {
    const p = problemOf(s, k);
    expect(SOLVERS[k](p.input)).toBe(p.target);
  });

  test.prop([seed])("are deterministic per seed, with content-based ids", (s) => {
    const a = generateBbhSet(s, 10);
    expect(generateBbhSet(s, 10)).toEqual(a);
    for (const p of a) expect(p.id.startsWith(`bbh-${p.sub}-`)).toBe(true);
  });

  test("cover every sub-task, keep inputs short and targets within the answer budget", () => {
    const set = generateBbhSet(1, 3000);
    expect(new Set(set.map((p) => p.sub))).toEqual(new Set(BBH_SUBS));
    for (const p of set) {
      expect(p.input.length).toBeLessThanOrEqual(60);
      expect(p.target.length + 1).toBeLessThanOrEqual(MAX_TOKENS.answer);
    }
    const bools = set.filter((p) => p.sub === "boolean_expressions");
    const trues = bools.filter((p) => p.target === "True").length / bools.length;
    expect(trues).toBeGreaterThan(0.35);
    expect(trues).toBeLessThan(0.65);
  });

  test("no <|unk|> in any prompt and answer", () => {
    const tok = new Tokenizer(bbhMixedTask.tokenizer);
    for (const p of generateBbhSet(2, 3000)) {
      const text = bbhMixedTask.judgePrompt(p, p.target);
      expect(tok.encode(text), text).not.toContain(tok.unk);
    }
  });

  test("each sub-task generator is a pure function of the rng", () => {
    for (const k of BBH_SUBS) expect(BBH_GENERATORS[k](new Rng(9))).toEqual(BBH_GENERATORS[k](new Rng(9)));
  });
});

describe("BBH verifier", () => {
  test.prop([seed, sub])("accepts the generator's own target, and lightly reformatted versions of it", (s, k) => {
    const p = problemOf(s, k);
    expect(verifyBbh(p, p.target)).toEqual({ correct: true, reason: "ok" });
    const spaced = `  ${p.target.toUpperCase().replaceAll(" ", "   ")} \n`;
    expect(verifyBbh(p, spaced).correct).toBe(true);
  });

  test.prop([seed, sub])("rejects perturbed answers as wrong values", (s, k) => {
    const p = problemOf(s, k);
    expect(verifyBbh(p, perturb(p, new Rng(s)))).toEqual({ correct: false, reason: "wrong value" });
  });

  test.prop([seed, sub, fc.string({ maxLength: 80 })])(
    "never throws on any string; correct only for the target",
    (s, k, answer) => {
      const p = problemOf(s, k);
      const v = verifyBbh(p, answer);
      expect(["ok", "wrong value", "unparsable"]).toContain(v.reason);
      if (v.correct) {
        const [a, t] = [normaliseBbh(k, answer), normaliseBbh(k, p.target)];
        expect(a === t || (/^-?\d+$/.test(a) && Number(a) === Number(t))).toBe(true);
      }
    },
  );

  test.each<[BbhSub, string, string, string]>([
    ["boolean_expressions", "True", "true", "ok"],
    ["boolean_expressions", "True", "yes", "unparsable"],
    ["boolean_expressions", "True", "True.", "unparsable"],
    ["multistep_arithmetic", "-12", "-12", "ok"],
    ["multistep_arithmetic", "7", "007", "ok"],
    ["multistep_arithmetic", "0", "-0", "ok"],
    ["multistep_arithmetic", "7", "7.0", "unparsable"],
    ["multistep_arithmetic", "7", "3+4", "unparsable"],
    ["dyck_languages", "} ]", "}]", "ok"],
    ["dyck_languages", "} ]", "] }", "wrong value"],
    ["dyck_languages", "} ]", "} ] x", "unparsable"],
    ["word_sorting", "ant cat dog", "ant cat dog", "ok"],
    ["word_sorting", "ant cat dog", "ant, cat, dog", "unparsable"],
    ["word_sorting", "ant cat dog", "ant cat", "wrong value"],
    ["object_counting", "3", "three", "unparsable"],
    ["object_counting", "3", " 3 ", "ok"],
    ["object_counting", "3", "1".repeat(2000), "unparsable"],
  ])("%s: target %j, answer %j → %s", (k, target, answer, reason) => {
    expect(verifyBbh({ sub: k, target }, answer).reason).toBe(reason);
  });
});

describe("BBH JSONL", () => {
  test.prop([seed])("round-trips generated problems", (s) => {
    const set = generateBbhSet(s, 10);
    expect(parseBbhJsonl(toJsonl(set), "bbh.jsonl").map((r) => r.problem)).toEqual(set);
  });

  test("reads BBH's own shape with a sub-task, deriving the id", () => {
    const [r] = parseBbhJsonl(
      '{"sub":"boolean_expressions","input":"not ( True ) and ( True )","target":"False"}',
      "b.jsonl",
    );
    expect(r?.problem).toMatchObject({ sub: "boolean_expressions", target: "False" });
    expect(r?.problem.id).toMatch(/^bbh-boolean_expressions-/);
  });

  test.each([
    ['{"sub":"navigate","input":"x","target":"y"}', 1, /field "sub": invalid enum value/i],
    ['\n\n{"sub":"word_sorting","input":"x"}', 3, /field "target": required/],
    ['{"sub":"word_sorting","input":"","target":"a"}', 1, /field "input": string must contain at least 1/i],
    ["[1]", 1, /expected a JSON object/],
  ])("reports %j at line %i", (text, line, message) => {
    let err: unknown;
    try {
      parseBbhJsonl(text, "bbh.jsonl");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonlError);
    expect((err as JsonlError).line).toBe(line);
    expect((err as JsonlError).message).toMatch(message);
  });

  test("verifyBbhJsonl scores answers line by line", () => {
    const text =
      '{"sub":"object_counting","input":"I have a cat. How many animals?","target":"1","answer":"1"}\n{"sub":"dyck_languages","input":"( [","target":"] )","answer":") ]"}\n';
    expect(verifyBbhJsonl(text, "a.jsonl").map(({ line, correct, reason }) => ({ line, correct, reason }))).toEqual([
      { line: 1, correct: true, reason: "ok" },
      { line: 2, correct: false, reason: "wrong value" },
    ]);
  });
});

describe("BBH TaskSpecs", () => {
  test("one per sub-task plus a mixed one; held-out sets are fixed and stay in their sub-task", () => {
    expect(Object.keys(BBH_TASKS)).toEqual([...BBH_SUBS]);
    expect(bbhMixedTask.name).toBe("bbh");
    expect(BBH_TASKS.word_sorting.name).toBe("bbh-word_sorting");
    expect(bbhTask(["dyck_languages", "word_sorting"]).name).toBe("bbh-dyck_languages+word_sorting");
    expect(() => bbhTask([])).toThrow(RangeError);
    const held = BBH_TASKS.dyck_languages.heldOut(30);
    expect(held).toEqual(BBH_TASKS.dyck_languages.heldOut(30));
    expect(held.every((p) => p.sub === "dyck_languages")).toBe(true);
    const p = held[0] as BbhProblem;
    const t = BBH_TASKS.dyck_languages;
    expect(t.verify(p, t.extractAnswer(`${p.target}\nsome more`)).correct).toBe(true);
    expect(t.retryPrompt(p, "a", "b")).toBe(`${t.reflectPrompt(p, "a")}b<|retry|>`);
  });
});
