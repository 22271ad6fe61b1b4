// RLC's premise, judged from an evaluation's own figures: evaluating must be easier than
// generating. `selfimprove eval` used to print "RLC's premise holds" whenever judging beat
// answering by any margin, so a model judging at chance with 0% answering "held" it. Here the
// claim needs two one-sided tests at a stated level:
//   1. judging accuracy above chance (50%: the judged set is half right, half wrong), an exact
//      binomial test on the judged answers;
//   2. judging accuracy above first-try accuracy, a two-proportion z-test (pooled variance).
// Pure: no model, no I/O, so the boundary cases are unit-tested.

/** One-sided significance level used by `eval` and run summaries. */
export const PREMISE_ALPHA = 0.01;

export interface PremiseInput {
  /** Judging accuracy on `judgeN` judged answers (balanced right/wrong). */
  judgeAccuracy: number;
  judgeN: number;
  /** First-try (answering) accuracy on `n` problems. */
  firstTry: number;
  n: number;
}

export interface PremiseVerdict {
  holds: boolean;
  alpha: number;
  /** P(X ≥ judged right) for X ~ Binomial(judgeN, 1/2); NaN when nothing was judged. */
  chanceP: number;
  aboveChance: boolean;
  /** One-sided p-value of judging > answering; NaN when a side has no items. */
  gapP: number;
  aboveAnswering: boolean;
  /** One line saying what holds and what does not, with the figures behind it. */
  text: string;
}

/** log(exp(a) + exp(b)) without overflow. */
function logAdd(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/**
 * Exact upper tail P(X ≥ k) for X ~ Binomial(n, 1/2). Summed in log space because 2^-n
 * underflows past n ≈ 1074 and `eval -n` is unbounded.
 */
export function binomialUpperTailHalf(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k))
    throw new Error(`binomialUpperTailHalf: need integers, got k=${k}, n=${n}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  const log2n = n * Math.LN2;
  // log C(n, i) built up from i = 0, summed from i = k.
  let logC = 0;
  let tail = -Infinity;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    if (i >= k) tail = logAdd(tail, logC - log2n);
  }
  return Math.min(1, Math.exp(tail));
}

/**
 * Complementary error function, Numerical Recipes' erfcc (fractional error < 1.2e-7 everywhere):
 * enough for a p-value printed to two significant figures. The verdict itself compares z with
 * the critical value, so it does not depend on this approximation.
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≥ z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** The z with P(Z ≥ z) = p, by bisection on normalUpperTail (p in (0, 0.5]). */
function normalCritical(p: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (normalUpperTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * One-sided two-proportion z-test of p1 > p2 with the pooled variance. Returns z and its p-value;
 * when both proportions are 0 or both 1 there is no variance and no evidence (p = 1).
 */
export function twoProportionZ(p1: number, n1: number, p2: number, n2: number): { z: number; p: number } {
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (!(se > 0)) return { z: 0, p: 1 };
  const z = (p1 - p2) / se;
  return { z, p: normalUpperTail(z) };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function pValue(p: number): string {
  return p < 1e-4 ? "p < 0.0001" : `p = ${p.toPrecision(2)}`;
}

export function premiseVerdict(input: PremiseInput, alpha = PREMISE_ALPHA): PremiseVerdict {
  if (!(alpha > 0 && alpha < 0.5)) throw new Error(`premiseVerdict: alpha must be in (0, 0.5), got ${alpha}`);
  const { judgeAccuracy, judgeN, firstTry, n } = input;
  const level = `one-sided, at the ${100 * alpha}% level`;
  if (!(judgeN > 0) || !(n > 0) || !Number.isFinite(judgeAccuracy) || !Number.isFinite(firstTry)) {
    return {
      holds: false,
      alpha,
      chanceP: NaN,
      aboveChance: false,
      gapP: NaN,
      aboveAnswering: false,
      text: `RLC's premise cannot be judged: ${judgeN > 0 ? "no problems were answered" : "no answers were judged"}`,
    };
  }
  // Accuracies are fractions of whole counts; round back to the count the evaluator saw.
  const judgedRight = Math.round(judgeAccuracy * judgeN);
  const chanceP = binomialUpperTailHalf(judgedRight, judgeN);
  const aboveChance = chanceP <= alpha;
  const gap = twoProportionZ(judgeAccuracy, judgeN, firstTry, n);
  const aboveAnswering = judgeAccuracy > firstTry && gap.z >= normalCritical(alpha);
  const chancePart = aboveChance
    ? `judging ${pct(judgeAccuracy)} is above chance (binomial ${pValue(chanceP)}, ${judgeN} judged)`
    : `judging ${pct(judgeAccuracy)} is not significantly above chance (binomial ${pValue(chanceP)}, ${judgeN} judged)`;
  const gapPart = aboveAnswering
    ? `above answering ${pct(firstTry)} (z-test ${pValue(gap.p)}, ${n} answered)`
    : judgeAccuracy > firstTry
      ? `not significantly above answering ${pct(firstTry)} (z-test ${pValue(gap.p)}, ${n} answered)`
      : `not above answering ${pct(firstTry)} (${n} answered)`;
  const holds = aboveChance && aboveAnswering;
  const joint = aboveChance === aboveAnswering ? " and " : aboveChance ? ", but it is " : ", though it is ";
  const text = `RLC's premise ${holds ? "holds" : "does not hold"}: ${chancePart}${joint}${gapPart}; ${level}`;
  return { holds, alpha, chanceP, aboveChance, gapP: gap.p, aboveAnswering, text };
}
