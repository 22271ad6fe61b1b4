// Held-out evaluation of a model on any registered task, in every role the loops use:
// - first try: answer each problem once;
// - judging: P(yes) vs P(no) on a balanced set, one right answer (the generator's own) and one
//   wrong answer (the task's mistake generator) per problem;
// - second try: on each failure, reflect (stopping at the task's reflectionStop), retry with the
//   reflection in context, verify; a problem counts as solved if either attempt is right.
// The one evaluator for every task: what only some tasks can say (Countdown's reflection-quality
// rates) comes from optional hooks on the TaskSpec, not from a copy of this loop.
import type { LanguageModel } from "../engine/language-model.js";
import { Rng } from "../util/rng.js";
import { inBatches, scoreJudge, type JudgeScore } from "./judging.js";
import type { TaskEntry } from "./registry.js";
import type { TaskProblem } from "./task.js";

export interface TaskEvalOptions {
  seed?: number;
  /** Sampling temperature for answers, reflections and retries (0 = greedy). */
  temperature?: number;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * A held-out evaluation of a model on a task: first- and second-try accuracy, how often the retry
 * fixed a failure, and how well the model judges answers.
 */
export interface TaskEvalResult {
  task: string;
  n: number;
  temperature: number;
  firstTry: number;
  secondTry: number;
  /** Share of first-try failures fixed by the retry. */
  retryFixRate: number;
  /** Share of reflections the task's reflectionQuality hook calls good; only for tasks with the hook. */
  goodReflectionRate?: number;
  /** ... and exactly right. */
  exactReflectionRate?: number;
  judge: JudgeScore;
  /** Judging accuracy minus first-try accuracy: RLC's evaluation-vs-generation gap. */
  judgeGap: number;
  /** Prompts too long for the model's context (answered as failures without sampling). */
  overlong: number;
}

export function evaluateTask<P extends TaskProblem>(
  lm: LanguageModel,
  entry: TaskEntry<P>,
  problems: readonly P[],
  opts: TaskEvalOptions = {},
): TaskEvalResult {
  const { spec } = entry;
  const seed = opts.seed ?? 0;
  const temperature = opts.temperature ?? 1;
  const bs = opts.batchSize ?? 128;
  const n = problems.length;
  if (n === 0) throw new Error("evaluate: no problems");
  const ctx = lm.model.config.contextLength;
  const total = 4 * n;
  let done = 0;
  let overlong = 0;
  const tick = (k: number): void => {
    done += k;
    opts.onProgress?.(Math.min(done, total), total);
  };
  // A retry prompt carries a sampled attempt and reflection, so an untrained model can push it
  // past the context; generate() would throw for the whole batch, so such rows get "" instead.
  const sample = (prompts: string[], maxTokens: number, offset: number, salt: number, stop?: string[]): string[] => {
    const fits = prompts.map((p) => lm.tokenizer.encode(p).length < ctx);
    overlong += fits.filter((f) => !f).length;
    const kept = prompts.filter((_, i) => fits[i]);
    const texts =
      kept.length === 0
        ? []
        : lm
            .complete(kept, {
              maxTokens,
              temperature,
              seed: seed * 1_000_003 + salt * 7919 + offset,
              ...(stop ? { stop } : {}),
            })
            .map((s) => s.text);
    let k = 0;
    return fits.map((f) => (f ? (texts[k++] as string) : ""));
  };

  // First try.
  const first = inBatches(problems, bs, (chunk, off) => {
    const texts = sample(
      chunk.map((p) => spec.answerPrompt(p)),
      spec.maxTokens.answer,
      off,
      1,
    );
    tick(chunk.length);
    return texts.map((t, i) => {
      const text = spec.extractAnswer(t);
      return { text, correct: spec.verify(chunk[i] as P, text).correct };
    });
  });

  // Judging. Labels come from the verifier, not from which generator wrote the answer, so a
  // "mistake" that happens to be right is judged as right.
  const rng = new Rng(seed + 17);
  const judgeItems: Array<{ p: P; answer: string; right: boolean }> = [];
  for (const p of problems) {
    const right = entry.rightAnswer(rng, p);
    if (right === undefined) continue;
    const wrong = entry.wrongAnswer(rng, p);
    for (const answer of [right, wrong]) judgeItems.push({ p, answer, right: spec.verify(p, answer).correct });
  }
  const judge = scoreJudge(lm, judgeItems, {
    prompt: (it) => spec.judgePrompt(it.p, it.answer),
    yes: spec.judgeReplies.yes,
    no: spec.judgeReplies.no,
    batchSize: bs,
    onBatch: (k) => tick(k / 2),
  });

  // Second try on failures: reflect, then retry with the reflection in context.
  const failed = problems
    .map((p, i) => ({ p, attempt: (first[i] as { text: string }).text }))
    .filter((_, i) => !(first[i] as { correct: boolean }).correct);
  let fixed = 0;
  const quality = spec.reflectionQuality;
  let goodReflections = 0;
  let exactReflections = 0;
  inBatches(failed, bs, (chunk, off) => {
    const reflections = sample(
      chunk.map((f) => spec.reflectPrompt(f.p, f.attempt)),
      spec.maxTokens.reflection,
      off,
      2,
      spec.reflectionStop,
    );
    const retries = sample(
      chunk.map((f, i) => spec.retryPrompt(f.p, f.attempt, reflections[i] as string)),
      spec.maxTokens.answer,
      off,
      3,
    );
    chunk.forEach((f, i) => {
      if (quality?.good(f.p, reflections[i] as string)) goodReflections++;
      if (quality?.exact(f.p, reflections[i] as string)) exactReflections++;
      if (spec.verify(f.p, spec.extractAnswer(retries[i] as string)).correct) fixed++;
    });
    tick(chunk.length * 2);
    return [];
  });
  opts.onProgress?.(total, total);

  const firstRight = first.filter((f) => f.correct).length;
  const shareOfFailures = (k: number): number => (failed.length > 0 ? k / failed.length : 0);
  return {
    task: spec.name,
    n,
    temperature,
    firstTry: firstRight / n,
    secondTry: (firstRight + fixed) / n,
    retryFixRate: shareOfFailures(fixed),
    ...(quality
      ? { goodReflectionRate: shareOfFailures(goodReflections), exactReflectionRate: shareOfFailures(exactReflections) }
      : {}),
    judge,
    judgeGap: judge.accuracy - firstRight / n,
    overlong,
  };
}
