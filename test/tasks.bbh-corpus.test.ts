// The BBH-style corpus: its mistakes are always wrong, its reflections are edits whose effect is
// checked by the verifier (good ones repair, bad ones do not), and untrusted reflection text never
// makes the edit parser throw.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { generateBbhProblem } from "../src/tasks/bbh/generate.js";
import { BBH_SUBS, type BbhProblem, type BbhSub } from "../src/tasks/bbh/problem.js";
import { wrongBbhAnswer } from "../src/tasks/bbh/mistakes.js";
import {
  applyBbhReflection,
  badBbhReflections,
  bbhReflectionFixes,
  goodBbhReflection,
} from "../src/tasks/bbh/reflection.js";
import { bbhCorpusExample, DEFAULT_BBH_MIX } from "../src/tasks/bbh/corpus.js";
import { reflectPrompt, SPECIAL } from "../src/tasks/bbh/prompts.js";
import { verifyBbh } from "../src/tasks/bbh/verify.js";
import { Rng } from "../src/util/rng.js";

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const sub = fc.constantFrom(...BBH_SUBS);
const problemOf = (s: number, k: BbhSub): BbhProblem => generateBbhProblem(new Rng(s), [k]);

describe("mistakes and reflections", () => {
  test.prop([seed, sub])("a mistake is wrong, and one good edit repairs it", (s, k) => {
    const p = problemOf(s, k);
    const rng = new Rng(s + 1);
    const wrong = wrongBbhAnswer(rng, p);
    expect(verifyBbh(p, wrong).correct).toBe(false);
    const good = goodBbhReflection(p, wrong);
    expect(good, `${p.input} → ${p.target}, attempt ${wrong}`).toBeDefined();
    expect(bbhReflectionFixes(p, wrong, good as string)).toBe(true);
  });

  test.prop([seed, sub])("bad edits apply to the attempt, change it, and never repair it", (s, k) => {
    const p = problemOf(s, k);
    const rng = new Rng(s + 2);
    const wrong = wrongBbhAnswer(rng, p);
    for (const r of badBbhReflections(rng, p, wrong)) {
      const applied = applyBbhReflection(p, wrong, r);
      expect(applied).toBeDefined();
      expect(applied).not.toBe(wrong);
      expect(bbhReflectionFixes(p, wrong, r)).toBe(false);
    }
  });

  const arith = { sub: "multistep_arithmetic", input: "((-1 + 2) * (3 - 4)) =" } as const;
  const bool = { sub: "boolean_expressions", input: "not ( True and False ) or False" } as const;
  const count = { sub: "object_counting", input: "I have two pears, a cat and a plum. How many fruits?" } as const;

  test("each sub-task's edit, by example: a step edit redoes the work after it, keeping the attempt's other slips", () => {
    expect(applyBbhReflection(arith, "-1+2=1, 3-4=-2, 1*-2=-2; -2", "step 2=-1")).toBe("-1+2=1, 3-4=-1, 1*-1=-1; -1");
    expect(applyBbhReflection(arith, "-1+2=3, 3-4=-2, 3*-2=-6; -6", "step 2=-1")).toBe("-1+2=3, 3-4=-1, 3*-1=-3; -3");
    expect(applyBbhReflection(bool, "T and F=T, not T=F, F or F=F; False", "step 1=F")).toBe(
      "T and F=F, not F=T, T or F=T; True",
    );
    expect(applyBbhReflection(count, "pears 3, plum 1, 3+1=4; 4", "step 1=2")).toBe("pears 2, plum 1, 2+1=3; 3");
    expect(applyBbhReflection({ sub: "word_sorting", input: "sort: cat bat egg" }, "cat bat egg", "swap cat bat")).toBe(
      "bat cat egg",
    );
    expect(applyBbhReflection({ sub: "dyck_languages", input: "{ < [" }, ") ] }", "set 2 >")).toBe(") > }");
  });

  test.prop([seed, sub, fc.string({ maxLength: 40 }), fc.string({ maxLength: 60 })])(
    "untrusted text never makes the edit parser throw",
    (s, k, attempt, reflection) => {
      const p = problemOf(s, k);
      for (const r of [reflection, `step ${reflection}`, "step 1=T", "step 1=3"]) {
        const out = applyBbhReflection(p, attempt, r);
        expect(out === undefined || typeof out === "string").toBe(true);
      }
    },
  );

  test("edits that do not fit the attempt are refused, not guessed", () => {
    expect(applyBbhReflection(arith, "-1+2=1, 3-4=-2, 1*-2=-2; -2", "step 3=T")).toBeUndefined(); // a truth value for a number
    expect(applyBbhReflection(arith, "-1+2=1, 3-4=-2, 1*-2=-2; -2", "step 4=1")).toBeUndefined(); // no such step
    expect(applyBbhReflection(arith, "-1+2=1, 3-4=-2, 1*-2=-2; -2", "step 0=1")).toBeUndefined();
    expect(applyBbhReflection(arith, "-1+2=1, 1*-2=-2; -2", "step 1=1")).toBeUndefined(); // a step missing
    expect(applyBbhReflection(arith, "-1+2=1, 3-4=-2, 1*-2=-2; -3", "step 1=1")).toBeUndefined(); // answer not the last step's
    expect(applyBbhReflection(arith, "-1", "step 1=1")).toBeUndefined(); // no work
    expect(applyBbhReflection(count, "pears 2, plum 1, 2+1=3; 3", "step 1=2; rm -rf /")).toBeUndefined();
    expect(
      applyBbhReflection({ sub: "word_sorting", input: "sort: cat bat" }, "cat bat", "swap cat dog"),
    ).toBeUndefined();
    expect(applyBbhReflection({ sub: "dyck_languages", input: "[ (" }, ") ]", "set 3 )")).toBeUndefined();
    expect(applyBbhReflection({ sub: "dyck_languages", input: "[ (" }, ") ]", "set 0 )")).toBeUndefined();
  });
});

describe("corpus", () => {
  test.prop([seed, sub])(
    "a reflect example's retry is right exactly when its reflection repairs the attempt",
    (s, k) => {
      const p = problemOf(s, k);
      const rng = new Rng(s);
      for (let i = 0; i < 8; i++) {
        const ex = bbhCorpusExample(rng, p, { ...DEFAULT_BBH_MIX, kinds: { answer: 0, judge: 0, reflect: 1 } });
        const [prompt, reflection, retry] = ex.segments.map((x) => x.text) as [string, string, string];
        expect(prompt.startsWith(reflectPrompt(p, "").slice(0, -SPECIAL.reflect.length))).toBe(true);
        const attempt = prompt.slice(prompt.indexOf(SPECIAL.ans) + SPECIAL.ans.length, -SPECIAL.reflect.length);
        const edit = reflection.slice(0, -SPECIAL.retry.length);
        const answer = retry.slice(0, -SPECIAL.eos.length);
        expect(verifyBbh(p, answer).correct).toBe(bbhReflectionFixes(p, attempt, edit));
      }
    },
  );

  test("the default mix teaches about half good reflections, and answers right about 30% of the time", () => {
    const rng = new Rng(99);
    let reflects = 0;
    let good = 0;
    let answers = 0;
    let right = 0;
    for (let i = 0; i < 3000; i++) {
      const p = generateBbhProblem(rng);
      const ex = bbhCorpusExample(rng, p);
      const texts = ex.segments.map((x) => x.text);
      if (ex.kind === "reflect") {
        reflects++;
        if (verifyBbh(p, (texts[2] as string).slice(0, -SPECIAL.eos.length)).correct) good++;
      } else if (ex.kind === "answer") {
        answers++;
        if (verifyBbh(p, (texts[1] as string).slice(0, -SPECIAL.eos.length)).correct) right++;
      }
    }
    expect(good / reflects).toBeGreaterThan(0.4);
    expect(good / reflects).toBeLessThan(0.6);
    expect(right / answers).toBeGreaterThan(0.25);
    expect(right / answers).toBeLessThan(0.35);
  });
});
