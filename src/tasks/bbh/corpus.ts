// The synthetic corpus a BBH-style base model is pretrained on, built like the other tasks':
//
// - answer:  a share of answers are right, the rest carry one mistake, so RL has room; boolean,
//            arithmetic and counting answers show their work (work.ts), so that judging one is
//            checking steps, easier than getting every step right;
// - judge:   right and wrong answers in equal measure, labelled by the verifier (RLC's premise);
// - reflect: after a failed answer, a reflection proposes one edit (reflection.ts). Good ones
//            repair the answer, bad ones edit something else; the retry carries out the edit, so
//            it succeeds after good reflections only. Which edit to write is worth learning (R3).
import type { Rng } from "../../util/rng.js";
import type { BbhProblem } from "./problem.js";
import { answerPrompt, judgePrompt, reflectPrompt, SPECIAL } from "./prompts.js";
import { wrongBbhAnswer } from "./mistakes.js";
import { applyBbhReflection, badBbhReflections, goodBbhReflection } from "./reflection.js";
import { verifyBbh } from "./verify.js";
import { solveBbh } from "./work.js";
import { DEFAULT_CORPUS_MIX, drawKind, reflectSegments, type CorpusMix, type TaskCorpusExample } from "../corpus.js";

export type BbhCorpusExample = TaskCorpusExample;
export type BbhCorpusMix = CorpusMix;
export const DEFAULT_BBH_MIX: BbhCorpusMix = DEFAULT_CORPUS_MIX;

function answerExample(rng: Rng, p: BbhProblem, mix: BbhCorpusMix): BbhCorpusExample {
  const answer = rng.next() < mix.answerCorrect ? solveBbh(p) : wrongBbhAnswer(rng, p);
  return {
    kind: "answer",
    segments: [
      { text: answerPrompt(p), train: false },
      { text: answer + SPECIAL.eos, train: true },
    ],
  };
}

function judgeExample(rng: Rng, p: BbhProblem): BbhCorpusExample {
  const answer = rng.next() < 0.5 ? solveBbh(p) : wrongBbhAnswer(rng, p);
  const verdict = verifyBbh(p, answer).correct ? SPECIAL.yes : SPECIAL.no;
  return {
    kind: "judge",
    segments: [
      { text: judgePrompt(p, answer), train: false },
      { text: verdict, train: true },
    ],
  };
}

function reflectExample(rng: Rng, p: BbhProblem, mix: BbhCorpusMix): BbhCorpusExample {
  const attempt = wrongBbhAnswer(rng, p);
  const good = goodBbhReflection(p, attempt);
  const bad = badBbhReflections(rng, p, attempt);
  const useGood = good !== undefined && (bad.length === 0 || rng.next() < mix.goodReflection);
  const reflection = useGood ? (good as string) : bad.length > 0 ? rng.pick(bad) : (good ?? "keep");
  const retry = applyBbhReflection(p, attempt, reflection) ?? attempt;
  return { kind: "reflect", segments: reflectSegments(reflectPrompt(p, attempt), reflection, retry, SPECIAL) };
}

/** One training example for a problem, its kind drawn from the mix. */
export function bbhCorpusExample(rng: Rng, p: BbhProblem, mix: BbhCorpusMix = DEFAULT_BBH_MIX): BbhCorpusExample {
  const kind = drawKind(rng, mix.kinds);
  return kind === "answer"
    ? answerExample(rng, p, mix)
    : kind === "judge"
      ? judgeExample(rng, p)
      : reflectExample(rng, p, mix);
}
