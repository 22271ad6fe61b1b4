// The BBH-style corpus: its mistakes are always wrong, its reflections are edits whose effect is
// checked by the verifier (good ones repair, bad ones do not), and untrusted reflection text never
// makes the edit parser throw.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { generateBbhProblem } from "../src/tasks/bbh/generate.js";
import { BBH_SUBS, type BbhProblem, type BbhSub } from "../src/tasks/bbh/problem.js";
import { wrongBbhAnswer } from "../src/tasks/bbh/mistakes.js";
import { applyBbhReflection, badBbhReflections, bbhReflectionFixes, goodBbhReflection } from "../src/tasks/bbh/reflection.js";
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
      const applied = applyBbhReflection(p.sub, wrong, r);
      expect(applied).toBeDefined();
      expect(applied).not.toBe(wrong);
      expect(bbhReflectionFixes(p, wrong, r)).toBe(false);
    }
  });

  test("each sub-task's edit, by example", () => {
    expect(applyBbhReflection("boolean_expressions", "True", "flip")).toBe("False");
    expect(applyBbhReflection("multistep_arithmetic", "-14", "sub 1")).toBe("-15");
    expect(applyBbhReflection("object_counting", "3", "add 2")).toBe("5");
    expect(applyBbhReflection("word_sorting", "cat bat egg", "swap cat bat")).toBe("bat cat egg");
    expect(applyBbhReflection("dyck_languages", ") ] }", "set 2 >")).toBe(") > }");
  });

  test.prop([sub, fc.string({ maxLength: 40 }), fc.string({ maxLength: 60 })])("untrusted text never makes the edit parser throw", (k, attempt, reflection) => {
    const out = applyBbhReflection(k, attempt, reflection);
    expect(out === undefined || typeof out === "string").toBe(true);
  });

  test("edits that do not fit the attempt are refused, not guessed", () => {
    expect(applyBbhReflection("boolean_expressions", "maybe", "flip")).toBeUndefined();
    expect(applyBbhReflection("multistep_arithmetic", "12", "add -3")).toBeUndefined();
    expect(applyBbhReflection("word_sorting", "cat bat", "swap cat dog")).toBeUndefined();
    expect(applyBbhReflection("dyck_languages", ") ]", "set 3 )")).toBeUndefined();
    expect(applyBbhReflection("dyck_languages", ") ]", "set 0 )")).toBeUndefined();
    expect(applyBbhReflection("object_counting", "3", "add 2; rm -rf /")).toBeUndefined();
  });
});

describe("corpus", () => {
  test.prop([seed, sub])("a reflect example's retry is right exactly when its reflection repairs the attempt", (s, k) => {
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
  });

  test("the default mix teaches about half good reflections (all good on boolean, which has no bad edit), and answers right about 30% of the time", () => {
    const rng = new Rng(3);
    let reflects = 0;
    let good = 0;
    let boolReflects = 0;
    let boolGood = 0;
    let answers = 0;
    let right = 0;
    for (let i = 0; i < 3000; i++) {
      const p = generateBbhProblem(rng);
      const ex = bbhCorpusExample(rng, p);
      const texts = ex.segments.map((x) => x.text);
      if (ex.kind === "reflect") {
        const ok = verifyBbh(p, (texts[2] as string).slice(0, -SPECIAL.eos.length)).correct;
        if (p.sub === "boolean_expressions") {
          boolReflects++;
          if (ok) boolGood++;
        } else {
          reflects++;
          if (ok) good++;
        }
      } else if (ex.kind === "answer") {
        answers++;
        if (verifyBbh(p, (texts[1] as string).slice(0, -SPECIAL.eos.length)).correct) right++;
      }
    }
    expect(boolGood).toBe(boolReflects);
    expect(good / reflects).toBeGreaterThan(0.4);
    expect(good / reflects).toBeLessThan(0.6);
    expect(right / answers).toBeGreaterThan(0.25);
    expect(right / answers).toBeLessThan(0.35);
  });
});
