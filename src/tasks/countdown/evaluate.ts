// Held-out evaluation of a Countdown model in every role:
// - first try: answer each puzzle once;
// - judging: P(<|yes|>) vs P(<|no|>) on a balanced set of right and wrong answers;
// - second try: on each failure, reflect, then retry with the reflection in context (R3's loop);
//   a puzzle counts as solved at the second try if either attempt is right.
import type { LanguageModel } from "../../engine/language-model.js";
import { Rng } from "../../util/rng.js";
import { inBatches, scoreJudge, type JudgeScore } from "../judging.js";
import { correctAnswer, reflectionIsGood, reflectionMoveIsGood, wrongAnswer } from "./corpus.js";
import { answerPrompt, judgePrompt, MAX_TOKENS, reflectPrompt, retryPrompt, SPECIAL } from "./prompts.js";
import { extractAnswer, verifyCountdown, type CountdownPuzzle } from "./verify.js";

export interface CountdownEvalOptions {
  seed?: number;
  /** Sampling temperature for answers, reflections and retries (0 = greedy). */
  temperature?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface CountdownEvalResult {
  n: number;
  temperature: number;
  firstTry: number;
  secondTry: number;
  /** Share of first-try failures fixed by the retry. */
  retryFixRate: number;
  /** Share of reflections naming a legal move that keeps the target reachable. */
  goodReflectionRate: number;
  /** ... and that also state the move's result correctly. */
  exactReflectionRate: number;
  judge: JudgeScore;
  /** Judging accuracy minus first-try accuracy: RLC's evaluation-vs-generation gap. */
  judgeGap: number;
}

export function evaluateCountdown(lm: LanguageModel, puzzles: readonly CountdownPuzzle[], opts: CountdownEvalOptions = {}): CountdownEvalResult {
  const seed = opts.seed ?? 0;
  const temperature = opts.temperature ?? 1;
  const bs = opts.batchSize ?? 128;
  const n = puzzles.length;
  if (n === 0) throw new Error("evaluate: no puzzles");
  const total = 4 * n;
  let done = 0;
  const tick = (k: number): void => {
    done += k;
    opts.onProgress?.(Math.min(done, total), total);
  };
  const sample = (prompts: string[], maxTokens: number, offset: number, salt: number, stop?: string[]): string[] =>
    lmComplete(lm, prompts, { maxTokens, temperature, seed: seed * 1_000_003 + salt * 7919 + offset, ...(stop ? { stop } : {}) });

  // First try.
  const first = inBatches(puzzles, bs, (chunk, off) => {
    const texts = sample(chunk.map(answerPrompt), MAX_TOKENS.answer, off, 1);
    tick(chunk.length);
    return texts.map((t, i) => ({ text: extractAnswer(t), correct: verifyCountdown(chunk[i] as CountdownPuzzle, extractAnswer(t)).correct }));
  });

  // Judging on a balanced set: one right and one wrong answer per puzzle (when a right one exists).
  const rng = new Rng(seed + 17);
  const judgeItems: Array<{ p: CountdownPuzzle; answer: string; right: boolean }> = [];
  for (const p of puzzles) {
    const right = correctAnswer(rng, p);
    if (right === undefined) continue;
    judgeItems.push({ p, answer: right, right: true }, { p, answer: wrongAnswer(rng, p), right: false });
  }
  const judge = scoreJudge(lm, judgeItems, { prompt: (it) => judgePrompt(it.p, it.answer), yes: SPECIAL.yes, no: SPECIAL.no, batchSize: bs, onBatch: (k) => tick(k / 2) });

  // Second try on failures: reflect, then retry with the reflection in context.
  const failed = puzzles.map((p, i) => ({ p, attempt: (first[i] as { text: string }).text, i })).filter((_, i) => !(first[i] as { correct: boolean }).correct);
  let fixed = 0;
  let goodReflections = 0;
  let exactReflections = 0;
  inBatches(failed, bs, (chunk, off) => {
    const reflections = sample(chunk.map((f) => reflectPrompt(f.p, f.attempt)), MAX_TOKENS.reflection, off, 2, [SPECIAL.retry]);
    const retries = sample(
      chunk.map((f, i) => retryPrompt(f.p, f.attempt, reflections[i] as string)),
      MAX_TOKENS.answer,
      off,
      3,
    );
    chunk.forEach((f, i) => {
      if (reflectionMoveIsGood(f.p, reflections[i] as string)) goodReflections++;
      if (reflectionIsGood(f.p, reflections[i] as string)) exactReflections++;
      if (verifyCountdown(f.p, extractAnswer(retries[i] as string)).correct) fixed++;
    });
    tick(chunk.length * 2);
    return [];
  });
  opts.onProgress?.(total, total);

  const firstTry = first.filter((f) => f.correct).length / n;
  return {
    n,
    temperature,
    firstTry,
    secondTry: (first.filter((f) => f.correct).length + fixed) / n,
    retryFixRate: failed.length > 0 ? fixed / failed.length : 0,
    goodReflectionRate: failed.length > 0 ? goodReflections / failed.length : 0,
    exactReflectionRate: failed.length > 0 ? exactReflections / failed.length : 0,
    judge,
    judgeGap: judge.accuracy - firstTry,
  };
}

function lmComplete(lm: LanguageModel, prompts: string[], opts: { maxTokens: number; temperature: number; seed: number; stop?: string[] }): string[] {
  return lm.complete(prompts, opts).map((s) => s.text);
}
