// Shared by the evaluators: batching, and judging on a balanced set of right and wrong answers
// (the judge says yes when log P(yes) > log P(no) after the correctness prompt).
import type { LanguageModel } from "../engine/language-model.js";

export function inBatches<T, R>(items: readonly T[], size: number, f: (chunk: T[], offset: number) => R[]): R[] {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...f(items.slice(i, i + size), i));
  return out;
}

/**
 * How well a model judges answers (RLC's premise): accuracy, acceptance of right answers, rejection
 * of wrong ones.
 */
export interface JudgeScore {
  accuracy: number;
  n: number;
  /** Share of right answers accepted, and of wrong answers rejected. */
  onRight: number;
  onWrong: number;
  yesRate: number;
}

export function scoreJudge<I extends { right: boolean }>(
  lm: LanguageModel,
  items: readonly I[],
  opts: { prompt: (item: I) => string; yes: string; no: string; batchSize: number; onBatch?: (done: number) => void },
): JudgeScore {
  const says = inBatches(items, opts.batchSize, (chunk) => {
    const lp = lm.logProb(
      chunk.flatMap((it) => [
        { prompt: opts.prompt(it), continuation: opts.yes },
        { prompt: opts.prompt(it), continuation: opts.no },
      ]),
    );
    opts.onBatch?.(chunk.length);
    return chunk.map((_, i) => (lp[2 * i] as number) > (lp[2 * i + 1] as number));
  });
  let acceptedRight = 0;
  let rejectedWrong = 0;
  let right = 0;
  let yes = 0;
  items.forEach((it, i) => {
    const saysYes = says[i] as boolean;
    if (saysYes) yes++;
    if (it.right) {
      right++;
      if (saysYes) acceptedRight++;
    } else if (!saysYes) rejectedWrong++;
  });
  const n = items.length;
  const wrong = n - right;
  return {
    accuracy: n > 0 ? (acceptedRight + rejectedWrong) / n : NaN,
    n,
    onRight: right > 0 ? acceptedRight / right : NaN,
    onWrong: wrong > 0 ? rejectedWrong / wrong : NaN,
    yesRate: n > 0 ? yes / n : NaN,
  };
}
