// The synthetic corpus a translation base model is pretrained on, built like Countdown's:
//
// - answer:  a share of translations are right, the rest carry one mistake, so RL has room;
// - judge:   right and wrong translations in equal measure, labelled by exact match (RLC's CEP);
// - quality: translations of graded quality (0-2 mistakes) with their BLEU-derived 0-10 score
//            (RLC's QEP), so the judge's score tracks the metric;
// - reflect: after a failed translation, a gloss. Good glosses name a word the attempt got wrong
//            or left out, and the retry is the reference; others are true but useless, and the
//            retry repeats the attempt. Which gloss to write is therefore worth learning (R3).
import type { TextSegment } from "../../train/segments.js";
import type { Rng } from "../../util/rng.js";
import type { TranslationProblem } from "./generate.js";
import { LEXICAL_MISTAKES, wrongTranslation } from "./mistakes.js";
import { answerPrompt, judgePrompt, qualityPrompt, reflectPrompt, SPECIAL } from "./prompts.js";
import { qualityTarget } from "./quality.js";
import { helpfulGloss, unhelpfulGlosses } from "./reflection.js";
import { verifyTranslation } from "./verify.js";
import { drawKind, reflectSegments } from "../corpus.js";

export type TranslationExampleKind = "answer" | "judge" | "quality" | "reflect";

export interface TranslationCorpusExample {
  kind: TranslationExampleKind;
  segments: TextSegment[];
}

export interface TranslationCorpusMix {
  kinds: Record<TranslationExampleKind, number>;
  /** Share of answers that are right. */
  answerCorrect: number;
  /** Share of reflections that help. */
  goodReflection: number;
}

export const DEFAULT_TRANSLATION_MIX: TranslationCorpusMix = {
  kinds: { answer: 0.3, judge: 0.25, quality: 0.2, reflect: 0.25 },
  answerCorrect: 0.3,
  goodReflection: 0.5,
};

function answerExample(rng: Rng, p: TranslationProblem, mix: TranslationCorpusMix): TranslationCorpusExample {
  const answer = rng.next() < mix.answerCorrect ? p.reference : wrongTranslation(rng, p.reference);
  return {
    kind: "answer",
    segments: [
      { text: answerPrompt(p), train: false },
      { text: answer + SPECIAL.eos, train: true },
    ],
  };
}

function judgeExample(rng: Rng, p: TranslationProblem): TranslationCorpusExample {
  const answer = rng.next() < 0.5 ? p.reference : wrongTranslation(rng, p.reference);
  const verdict = verifyTranslation(p, answer).correct ? SPECIAL.yes : SPECIAL.no;
  return {
    kind: "judge",
    segments: [
      { text: judgePrompt(p, answer), train: false },
      { text: verdict, train: true },
    ],
  };
}

function qualityExample(rng: Rng, p: TranslationProblem): TranslationCorpusExample {
  let answer = p.reference;
  for (let m = rng.int(0, 2); m > 0; m--) answer = wrongTranslation(rng, answer);
  const score = String(qualityTarget(p, answer));
  return {
    kind: "quality",
    segments: [
      { text: qualityPrompt(p, answer), train: false },
      { text: score + SPECIAL.eos, train: true },
    ],
  };
}

function reflectExample(rng: Rng, p: TranslationProblem, mix: TranslationCorpusMix): TranslationCorpusExample {
  const attempt = wrongTranslation(rng, p.reference, LEXICAL_MISTAKES);
  const good = helpfulGloss(p, attempt);
  const bad = unhelpfulGlosses(p, attempt);
  const useGood = good !== undefined && (bad.length === 0 || rng.next() < mix.goodReflection);
  const reflection = useGood ? good : bad.length > 0 ? rng.pick(bad) : (good ?? "");
  const retry = useGood ? p.reference : attempt;
  return {
    kind: "reflect",
    segments: reflectSegments(reflectPrompt(p, attempt), reflection, retry, SPECIAL),
  };
}

/** One training example for a pair, its kind drawn from the mix. */
export function translationCorpusExample(
  rng: Rng,
  p: TranslationProblem,
  mix: TranslationCorpusMix = DEFAULT_TRANSLATION_MIX,
): TranslationCorpusExample {
  const kind = drawKind(rng, mix.kinds);
  if (kind === "judge") return judgeExample(rng, p);
  if (kind === "quality") return qualityExample(rng, p);
  if (kind === "reflect") return reflectExample(rng, p, mix);
  return answerExample(rng, p, mix);
}
