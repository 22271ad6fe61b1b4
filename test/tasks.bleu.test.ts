import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { bleuStats, closestRefLength, corpusBleu, sentenceBleu } from "../src/metrics/bleu.js";
import { tokenize13a } from "../src/metrics/tokenize-13a.js";
import { timeGrowth } from "./helpers/scaling.js";

// Reference values below were computed with sacreBLEU 2.6.0 (sentence_bleu / corpus_bleu) and
// NLTK 3.10.3 (nltk.translate.bleu_score), with the inputs shown.

// The example of Papineni et al. (2002) as NLTK's documentation writes it (already tokenised).
const H1 = "It is a guide to action which ensures that the military always obeys the commands of the party";
const H2 = "It is to insure the troops forever hearing the activity guidebook that party direct";
const R1 = "It is a guide to action that ensures that the military will forever heed Party commands";
const R2 =
  "It is the guiding principle which guarantees the military forces always being under the command of the Party";
const R3 = "It is the practical guide for the army always to heed the directions of the party";
const R2A = "he read the book because he was interested in world history";
const H2A = "he was interested in world history because he read the book";

describe("BLEU known values", () => {
  test("identical sentences score 100, disjoint ones 0", () => {
    expect(sentenceBleu("the cat sat on the mat", ["the cat sat on the mat"]).score).toBeCloseTo(100, 10);
    expect(sentenceBleu("a", ["a"]).score).toBeCloseTo(100, 10);
    expect(sentenceBleu("dogs bark loudly", ["the cat sat"]).score).toBe(0);
    expect(sentenceBleu("", ["the cat sat"]).score).toBe(0);
    expect(sentenceBleu("the cat", []).score).toBe(0);
    expect(
      corpusBleu(
        ["the cat sat on the mat", "a dog barked at the man"],
        [["the cat sat on the mat"], ["a dog barked at the man"]],
      ).score,
    ).toBeCloseTo(100, 10);
  });

  test("hand-computed: 'the cat the cat' against 'the cat sat on the mat'", () => {
    // 1-grams: the x2 (ref has 2), cat x2 (ref has 1) -> 3/4; 2-grams: "the cat" x2 (ref 1), "cat the" -> 1/3;
    // 3-grams 0/2 and 4-grams 0/1, which exp smoothing turns into 100/(2*2) and 100/(4*1) percent.
    // BP = exp(1 - 6/4). BLEU = BP * (75 * 33.33 * 25 * 25)^(1/4).
    const s = sentenceBleu("the cat the cat", ["the cat sat on the mat"]);
    expect(s.correct).toEqual([3, 1, 0, 0]);
    expect(s.total).toEqual([4, 3, 2, 1]);
    expect(s.bp).toBeCloseTo(Math.exp(-0.5), 12);
    const expected = Math.exp(-0.5) * (75 * (100 / 3) * 25 * 25) ** 0.25;
    expect(s.score).toBeCloseTo(expected, 10);
    expect(s.score).toBeCloseTo(21.444097124017667, 10); // sacreBLEU
    // Without smoothing any zero precision makes BLEU-4 zero.
    expect(
      sentenceBleu("the cat the cat", ["the cat sat on the mat"], { smooth: "none", effectiveOrder: false }).score,
    ).toBe(0);
  });

  test("effective order for short hypotheses (sacreBLEU sentence_bleu)", () => {
    // "the cat" has no 3- or 4-grams: only orders 1 and 2 are averaged. p1 = p2 = 100, BP = exp(1 - 3/2).
    expect(sentenceBleu("the cat", ["the cat sat"]).score).toBeCloseTo(60.653065971263366, 10);
    expect(sentenceBleu("cat the", ["the cat sat"]).score).toBeCloseTo(42.88819424803536, 10);
  });

  test("Papineni et al.'s example, three references (NLTK and sacreBLEU agree)", () => {
    const refs = [R1, R2, R3];
    const noSmooth = { smooth: "none", effectiveOrder: false, tokenize: "none" } as const;
    expect(sentenceBleu(H1, refs, noSmooth).score / 100).toBeCloseTo(0.5045666840058485, 12); // NLTK sentence_bleu
    expect(sentenceBleu(H2, refs, noSmooth).score).toBe(0);
    expect(sentenceBleu(H2, refs, { tokenize: "none", smooth: "floor" }).score / 100).toBeCloseTo(
      0.03703131191121491,
      12,
    ); // NLTK method1
    expect(sentenceBleu(H2, refs).score).toBeCloseTo(6.963003305718091, 10);
    expect(sentenceBleu(H2, refs, { smooth: "add-k" }).score).toBeCloseTo(13.111209575157433, 10);
    expect(sentenceBleu(H1, refs, { smooth: "add-k", effectiveOrder: false }).score).toBeCloseTo(53.9755306744061, 10);
  });

  test("corpus BLEU sums statistics over sentences (NLTK corpus_bleu example)", () => {
    const score = corpusBleu([H1, H2A], [[R1, R2, R3], [R2A]], { tokenize: "none", smooth: "none" }).score;
    expect(score / 100).toBeCloseTo(0.5920778868801042, 12);
    expect(corpusBleu([H1, H2A], [[R1, R2, R3], [R2A]], { smooth: "add-k" }).score).toBeCloseTo(61.08780048582718, 10);
    // Not the mean of the sentence scores.
    const mean = (sentenceBleu(H1, [R1, R2, R3]).score + sentenceBleu(H2A, [R2A]).score) / 2;
    expect(Math.abs(score - mean)).toBeGreaterThan(1);
  });

  test("13a tokenisation, lowercasing and punctuation match sacreBLEU", () => {
    const hyps = ["The Cat sat on the mat today.", "A dog barked at the mailman, twice!"];
    const refs = [["the cat sat on the mat."], ["a dog barked at the postman twice."]];
    const b = corpusBleu(hyps, refs);
    expect(b.correct).toEqual([10, 6, 4, 2]);
    expect(b.total).toEqual([17, 15, 13, 11]);
    expect([b.sysLen, b.refLen, b.bp]).toEqual([17, 15, 1]);
    expect(b.score).toBeCloseTo(33.87203230430012, 10);
    expect(corpusBleu(hyps, refs, { lowercase: true }).score).toBeCloseTo(57.88878334527707, 10);
    expect(corpusBleu(hyps, refs, { tokenize: "none" }).score).toBeCloseTo(29.730177875068033, 10);
    expect(
      sentenceBleu("The cat, sat on the mat. It's 3.14-5 dollars!", ["The cat sat on the mat; it's 3.14 - 5 dollars."])
        .score,
    ).toBeCloseTo(40.01601601922502, 10);
  });

  test.each([
    ["The cat, sat on the mat. It's 3.14-5 dollars!", "The cat , sat on the mat . It's 3.14 - 5 dollars !"],
    ["a&quot;b&amp;c <skipped> x-\ny {a}[b]\\c^_`~|@", 'a " b & c xy { a } [ b ] \\ c ^ _ ` ~ | @'],
    ["1,000.5 people, 2-3 days. (ok)", "1,000.5 people , 2 - 3 days . ( ok )"],
    ["   ", ""],
  ])("tokenize13a(%j) = %j (sacreBLEU)", (input, expected) => {
    expect(tokenize13a(input)).toBe(expected);
  });

  test("closest reference length prefers the shorter on a tie", () => {
    expect(closestRefLength(5, [3, 7])).toBe(3);
    expect(closestRefLength(5, [6, 4, 9])).toBe(4);
    expect(closestRefLength(5, [])).toBe(0);
    expect(bleuStats("a b c d e", ["a b c", "a b c d e f g"]).refLen).toBe(3);
  });
});

describe("BLEU properties", () => {
  const sentence = fc
    .array(fc.constantFrom("a", "b", "c", "the", "cat", "."), { maxLength: 12 })
    .map((ws) => ws.join(" "));

  test.prop([fc.string({ maxLength: 200 }), fc.array(fc.string({ maxLength: 200 }), { maxLength: 3 })])(
    "never throws and stays within [0, 100] on any strings",
    (hyp, refs) => {
      const s = sentenceBleu(hyp, refs).score;
      expect(Number.isFinite(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(100 + 1e-9);
    },
  );

  test.prop([sentence.filter((s) => s !== "")])("a sentence scores 100 against itself", (s) => {
    expect(sentenceBleu(s, [s]).score).toBeCloseTo(100, 9);
  });

  test.prop([sentence, sentence, sentence])("adding a reference never lowers the matches", (hyp, r1, r2) => {
    const one = bleuStats(hyp, [r1]);
    const two = bleuStats(hyp, [r1, r2]);
    two.correct.forEach((c, i) => expect(c).toBeGreaterThanOrEqual(one.correct[i] as number));
  });

  test("linear-ish on long untrusted input (2,000 → 20,000 words)", () => {
    // Side by side in CPU time, not against a clock: 10× the words cost 10-25× (n-gram maps
    // grow), where matching n-grams pairwise would cost 100×.
    const short = "word ".repeat(2_000);
    const long = "word ".repeat(20_000);
    expect(sentenceBleu(long, [long]).score).toBeCloseTo(100, 9);
    expect(
      timeGrowth(
        () => sentenceBleu(short, [short]),
        () => sentenceBleu(long, [long]),
        { rounds: 3 },
      ),
    ).toBeLessThan(50);
  });
});
