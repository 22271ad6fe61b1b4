import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { DEFAULT_TRANSLATION_MIX, translationCorpusExample } from "../src/tasks/translation/corpus.js";
import {
  generateTranslation,
  generateTranslationSet,
  MAX_SOURCE_LENGTH,
  type TranslationProblem,
} from "../src/tasks/translation/generate.js";
import { parseTranslationJsonl, verifyTranslationJsonl } from "../src/tasks/translation/jsonl.js";
import { ADJECTIVES, NOUNS, VERBS } from "../src/tasks/translation/lexicon.js";
import { TRANSLATION_MISTAKES, translationMistake, wrongTranslation } from "../src/tasks/translation/mistakes.js";
import { MAX_TOKENS } from "../src/tasks/translation/prompts.js";
import { parseQualityScore, qualityTarget } from "../src/tasks/translation/quality.js";
import { glossHelps, helpfulGloss, parseGloss } from "../src/tasks/translation/reflection.js";
import { toEnglish, toKalo, type NounPhrase, type Sentence } from "../src/tasks/translation/sentence.js";
import { translationTask } from "../src/tasks/translation/spec.js";
import { verifyTranslation } from "../src/tasks/translation/verify.js";
import { JsonlError, toJsonl } from "../src/util/jsonl.js";
import { Rng } from "../src/util/rng.js";

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const problemFrom = (s: number): TranslationProblem => generateTranslation(new Rng(s));

const noun = (en: string) => NOUNS.find((x) => x.en === en) as (typeof NOUNS)[number];
const adj = (en: string) => ADJECTIVES.find((x) => x.en === en) as (typeof ADJECTIVES)[number];
const verb = (en: string) => VERBS.find((x) => x.en === en) as (typeof VERBS)[number];
const np = (n: string, o: Partial<NounPhrase> = {}): NounPhrase => ({
  noun: noun(n),
  plural: false,
  definite: true,
  ...o,
});

describe("Kalo grammar", () => {
  test.each<[string, Sentence, string, string]>([
    [
      "SOV, adjective after noun, 'the' as a particle",
      {
        subject: np("dog", { adjective: adj("big") }),
        verb: verb("see"),
        object: np("cat", { definite: false }),
        negated: false,
      },
      "the big dog sees a cat",
      "bako gan ta miro vido",
    ],
    [
      "plural suffix, no agreement",
      {
        subject: np("child", { plural: true }),
        verb: verb("like"),
        object: np("apple", { plural: true, definite: false }),
        negated: false,
      },
      "the children like apples",
      "pimone ta apune amu",
    ],
    [
      "'an' before a vowel",
      {
        subject: np("man", { definite: false }),
        verb: verb("eat"),
        object: np("apple", { definite: false }),
        negated: false,
      },
      "a man eats an apple",
      "keto apu mako",
    ],
    [
      "negation before the verb",
      { subject: np("dog", { plural: true }), verb: verb("sleep"), negated: true },
      "the dogs do not sleep",
      "bakone ta nu dor",
    ],
    [
      "singular negation",
      {
        subject: np("woman", { definite: false, adjective: adj("old") }),
        verb: verb("chase"),
        object: np("horse", { plural: true, adjective: adj("white") }),
        negated: true,
      },
      "an old woman does not chase the white horses",
      "sela sen darane bel ta nu kuri",
    ],
  ])("%s", (_why, s, en, kalo) => {
    expect(toEnglish(s)).toBe(en);
    expect(toKalo(s)).toBe(kalo);
  });

  test("each source has exactly one reference (the source says everything the reference needs)", () => {
    const seen = new Map<string, string>();
    for (const p of generateTranslationSet(4, 5000)) {
      expect(seen.get(p.source) ?? p.reference, p.source).toBe(p.reference);
      seen.set(p.source, p.reference);
    }
    expect(seen.size).toBeGreaterThan(1500);
  });

  test("lexicon of 30-50 words", () => {
    const kalo = new Set([...NOUNS, ...ADJECTIVES, ...VERBS].map((w) => w.kalo));
    expect(kalo.size + 2).toBeGreaterThanOrEqual(30);
    expect(kalo.size + 2).toBeLessThanOrEqual(50);
  });
});

describe("translation generator", () => {
  test.prop([seed])("is deterministic per seed, with content-based ids", (s) => {
    const a = generateTranslationSet(s, 10);
    expect(generateTranslationSet(s, 10)).toEqual(a);
    for (const p of a) expect(p.id).toMatch(/^tr-/);
  });

  test("sources and references fit the budgets; no <|unk|> in any prompt, answer or corpus example", () => {
    const tok = new Tokenizer(translationTask.tokenizer);
    const rng = new Rng(5);
    for (const p of generateTranslationSet(6, 2000)) {
      expect(p.source.length).toBeLessThanOrEqual(MAX_SOURCE_LENGTH);
      expect(p.reference.length + 1).toBeLessThanOrEqual(MAX_TOKENS.answer);
      const ex = translationCorpusExample(rng, p);
      for (const text of [translationTask.judgePrompt(p, p.reference), ex.segments.map((s) => s.text).join("")]) {
        expect(tok.encode(text), text).not.toContain(tok.unk);
      }
    }
  });
});

describe("translation verifier", () => {
  test.prop([seed])("accepts the reference with BLEU 100, also re-spaced and re-cased", (s) => {
    const p = problemFrom(s);
    const v = verifyTranslation(p, p.reference);
    expect(v).toMatchObject({ correct: true, reason: "ok" });
    expect(v.score).toBeCloseTo(100, 9);
    expect(verifyTranslation(p, `  ${p.reference.toUpperCase().replaceAll(" ", "  ")}\n`).correct).toBe(true);
  });

  test.prop([seed, fc.constantFrom(...TRANSLATION_MISTAKES)])(
    "rejects a translation with a mistake, and BLEU drops below 100",
    (s, kind) => {
      const p = problemFrom(s);
      const wrong = translationMistake(new Rng(s + 7), p.reference.split(" "), kind);
      fc.pre(wrong !== undefined && wrong.join(" ") !== p.reference);
      const v = verifyTranslation(p, (wrong as string[]).join(" "));
      expect(v).toMatchObject({ correct: false, reason: "wrong value" });
      expect(v.score).toBeLessThan(100);
    },
  );

  test.prop([seed, fc.string({ maxLength: 100 })])(
    "never throws on any string; the score stays in [0, 100]",
    (s, answer) => {
      const v = verifyTranslation(problemFrom(s), answer);
      expect(["ok", "wrong value", "unparsable"]).toContain(v.reason);
      expect(v.score).toBeGreaterThanOrEqual(0);
      expect(v.score).toBeLessThanOrEqual(100 + 1e-9);
    },
  );

  test("BLEU grades: one mistake scores higher on average than two, empty and oversized answers are unparsable", () => {
    const rng = new Rng(8);
    let one = 0;
    let two = 0;
    const set = generateTranslationSet(9, 400);
    for (const p of set) {
      const w1 = wrongTranslation(rng, p.reference);
      one += verifyTranslation(p, w1).score;
      two += verifyTranslation(p, wrongTranslation(rng, w1)).score;
    }
    expect(one / set.length).toBeGreaterThan(two / set.length + 5);
    const p = set[0] as TranslationProblem;
    expect(verifyTranslation(p, "   ")).toEqual({ correct: false, reason: "unparsable", score: 0 });
    expect(verifyTranslation(p, "a ".repeat(1000))).toEqual({ correct: false, reason: "unparsable", score: 0 });
  });
});

describe("quality evaluation (RLC's QEP)", () => {
  test.each<[string, number | undefined]>([
    ["7", 7],
    [" 10<|eos|>", 10],
    ["0", 0],
    ["12", 10],
    ["999999", 10],
    ["seven", undefined],
    ["", undefined],
    ["-3", undefined],
  ])("parses judge reply %j as %s", (reply, score) => {
    expect(parseQualityScore(reply)).toBe(score);
  });

  test.prop([seed])("the reference scores 10; a mistake scores less", (s) => {
    const p = problemFrom(s);
    expect(qualityTarget(p, p.reference)).toBe(10);
    expect(qualityTarget(p, wrongTranslation(new Rng(s), p.reference))).toBeLessThan(10);
    expect(translationTask.quality.prompt(p, "x")).toBe(`${translationTask.answerPrompt(p)}x<|score|>`);
  });
});

describe("translation reflections and corpus", () => {
  test.each([
    ["dogs=bakone", { english: "dogs", kalo: "bakone" }],
    [" the=ta ", { english: "the", kalo: "ta" }],
    ["dogs = bakone", undefined],
    ["__proto__=x", undefined],
  ])("parseGloss(%j)", (text, gloss) => {
    expect(parseGloss(text)).toEqual(gloss);
  });

  test("a gloss helps only when it is true and names a word the attempt lacks", () => {
    const p = { reference: "bakone ta miro vido" };
    expect(glossHelps(p, "bako ta miro vido", "dogs=bakone")).toBe(true);
    expect(glossHelps(p, "bako ta miro vido", "dog=bakone")).toBe(false); // false gloss
    expect(glossHelps(p, "bako ta miro vido", "cat=miro")).toBe(false); // already there
    expect(helpfulGloss(p, "bakone miro vido")).toBe("the=ta");
  });

  test.prop([seed, fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 })])(
    "reflection helpers never throw on untrusted text",
    (s, attempt, reflection) => {
      const p = problemFrom(s);
      expect(typeof glossHelps(p, attempt, reflection)).toBe("boolean");
      expect(() => helpfulGloss(p, attempt)).not.toThrow();
    },
  );

  test("judges are balanced and labelled by the verifier; reflections help half the time and retries follow them", () => {
    const rng = new Rng(31);
    const c = { judge: 0, yes: 0, reflect: 0, good: 0, quality: 0, answer: 0, answerRight: 0 };
    for (const p of generateTranslationSet(32, 2400)) {
      const ex = translationCorpusExample(rng, p);
      const [prompt, out, retry] = ex.segments;
      const after = (marker: string): string => (prompt?.text ?? "").split("<|ans|>")[1]?.replace(marker, "") ?? "";
      c[ex.kind]++;
      if (ex.kind === "answer" && verifyTranslation(p, (out?.text ?? "").replace("<|eos|>", "")).correct)
        c.answerRight++;
      if (ex.kind === "judge") {
        const yes = out?.text === "<|yes|>";
        expect(yes).toBe(verifyTranslation(p, after("<|judge|>")).correct);
        if (yes) c.yes++;
      }
      if (ex.kind === "quality")
        expect(Number((out?.text ?? "").replace("<|eos|>", ""))).toBe(qualityTarget(p, after("<|score|>")));
      if (ex.kind === "reflect") {
        const attempt = after("<|reflect|>");
        const gloss = (out?.text ?? "").replace("<|retry|>", "");
        expect(gloss.length + 1).toBeLessThanOrEqual(MAX_TOKENS.reflection);
        const helps = glossHelps(p, attempt, gloss);
        expect(verifyTranslation(p, (retry?.text ?? "").replace("<|eos|>", "")).correct).toBe(helps);
        if (helps) c.good++;
      }
    }
    expect(c.answerRight / c.answer).toBeCloseTo(DEFAULT_TRANSLATION_MIX.answerCorrect, 1);
    expect(c.yes / c.judge).toBeCloseTo(0.5, 1);
    expect(c.good / c.reflect).toBeCloseTo(DEFAULT_TRANSLATION_MIX.goodReflection, 1);
    expect(c.quality).toBeGreaterThan(0);
  });
});

describe("translation JSONL", () => {
  test.prop([seed])("round-trips generated pairs", (s) => {
    const set = generateTranslationSet(s, 10);
    expect(parseTranslationJsonl(toJsonl(set), "tr.jsonl").map((r) => r.problem)).toEqual(set);
  });

  test.each([
    ['{"source":"the dog sleeps"}', 1, /field "reference": required/],
    ['{"source":"a","reference":"b"}\n{"source":1,"reference":"b"}', 2, /field "source": expected string/],
    ['{"source":"","reference":"b"}', 1, /field "source": string must contain at least 1/i],
  ])("reports %j at line %i", (text, line, message) => {
    let err: unknown;
    try {
      parseTranslationJsonl(text, "tr.jsonl");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JsonlError);
    expect((err as JsonlError).line).toBe(line);
    expect((err as JsonlError).message).toMatch(message);
  });

  test("verifyTranslationJsonl reports exact match and BLEU per line", () => {
    const text =
      '{"source":"the dog sleeps","reference":"bako ta dor","answer":"bako ta dor"}\n{"source":"the dog sleeps","reference":"bako ta dor","answer":"bako dor"}\n';
    const out = verifyTranslationJsonl(text, "a.jsonl");
    expect(out.map((r) => [r.line, r.correct, r.reason])).toEqual([
      [1, true, "ok"],
      [2, false, "wrong value"],
    ]);
    expect(out[0]?.bleu).toBeCloseTo(100, 9);
    expect(out[1]?.bleu).toBeGreaterThan(0);
    expect(out[1]?.bleu).toBeLessThan(100);
  });
});

describe("translationTask", () => {
  test("held-out set is fixed; verify carries the BLEU score", () => {
    expect(translationTask.heldOut(15)).toEqual(translationTask.heldOut(15));
    const p = translationTask.heldOut(1)[0] as TranslationProblem;
    const v = translationTask.verify(p, translationTask.extractAnswer(`${p.reference}\nextra`));
    expect(v.correct).toBe(true);
    expect((v as { score?: number }).score).toBeCloseTo(100, 9);
  });
});
