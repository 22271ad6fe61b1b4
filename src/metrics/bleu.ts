// BLEU (Papineni et al., 2002) at sentence and corpus level, following sacreBLEU 2.x: the same
// sufficient statistics, closest-reference brevity penalty, smoothing methods (Chen & Cherry,
// 2014) and 0-100 scale, so that our numbers can be compared with published ones. No npm package
// fitted (the one BLEU package there is a single unmaintained release without types), so this is
// our own, tested against values computed with sacreBLEU 2.6.0 and NLTK 3.10.3.
//
// Inputs are untrusted model output: every function here accepts any string and never throws.

import { splitWords, tokenize13a } from "./tokenize-13a.js";

/** Smoothing of zero n-gram precisions, as in sacreBLEU (Chen & Cherry 2014 methods 1, 2 and 3). */
export type BleuSmoothing = "none" | "floor" | "add-k" | "exp";

export interface BleuOptions {
  /** Highest n-gram order (4 for BLEU-4). */
  maxOrder?: number;
  /** sacreBLEU's default is "exp" (NIST geometric smoothing). */
  smooth?: BleuSmoothing;
  /** Epsilon for "floor" (0.1) and k for "add-k" (1). */
  smoothValue?: number;
  /** Average only over the orders the hypothesis is long enough to have (sentence-level BLEU). */
  effectiveOrder?: boolean;
  /** "13a" (sacreBLEU's default) splits off punctuation; "none" splits on whitespace only. */
  tokenize?: "13a" | "none";
  lowercase?: boolean;
}

/** The counts BLEU is computed from; they add up over sentences to give corpus BLEU. */
export interface BleuStats {
  sysLen: number;
  refLen: number;
  /** Clipped n-gram matches, index n-1 for order n. */
  correct: number[];
  /** Hypothesis n-grams, index n-1 for order n. */
  total: number[];
}

export interface BleuScore extends BleuStats {
  /** 0..100. */
  score: number;
  /** Smoothed n-gram precisions in percent. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
}

const SMOOTH_DEFAULTS: Record<BleuSmoothing, number> = { none: 0, floor: 0.1, "add-k": 1, exp: 0 };
// sacreBLEU's stand-in for log(0): makes the score 0 without producing NaN or -Infinity.
const LOG_ZERO = -9999999999;

function tokens(text: string, opts: BleuOptions): string[] {
  const s = typeof text === "string" ? text : "";
  const cased = opts.lowercase ? s.toLowerCase() : s;
  return splitWords(opts.tokenize === "none" ? cased : tokenize13a(cased.trimEnd()));
}

// Tokens never contain whitespace, so joining with a space gives a unique key per n-gram.
function ngramCounts(words: readonly string[], maxOrder: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      const key = `${n}\u0000${words.slice(i, i + n).join(" ")}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function orderOf(key: string): number {
  return Number(key.slice(0, key.indexOf("\u0000")));
}

/** Of several reference lengths, the one closest to the hypothesis length (the shorter on a tie). */
export function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let best = -1;
  let bestDiff = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && len < best)) {
      bestDiff = diff;
      best = len;
    }
  }
  return Math.max(best, 0);
}

function checkedMaxOrder(opts: BleuOptions): number {
  const n = opts.maxOrder ?? 4;
  return Number.isInteger(n) && n >= 1 && n <= 16 ? n : 4;
}

/** Matching statistics of one hypothesis against its references (clipped by the max count over references). */
export function bleuStats(hypothesis: string, references: readonly string[], opts: BleuOptions = {}): BleuStats {
  const maxOrder = checkedMaxOrder(opts);
  const refMax = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of references) {
    const words = tokens(ref, opts);
    refLens.push(words.length);
    for (const [key, c] of ngramCounts(words, maxOrder)) refMax.set(key, Math.max(refMax.get(key) ?? 0, c));
  }
  const hyp = tokens(hypothesis, opts);
  const correct = new Array<number>(maxOrder).fill(0);
  const total = new Array<number>(maxOrder).fill(0);
  for (const [key, c] of ngramCounts(hyp, maxOrder)) {
    const n = orderOf(key) - 1;
    total[n] = (total[n] as number) + c;
    correct[n] = (correct[n] as number) + Math.min(c, refMax.get(key) ?? 0);
  }
  return { sysLen: hyp.length, refLen: closestRefLength(hyp.length, refLens), correct, total };
}

/** Sums sentence statistics into corpus statistics. */
export function addBleuStats(a: BleuStats, b: BleuStats): BleuStats {
  const n = Math.max(a.correct.length, b.correct.length);
  const at = (xs: readonly number[], i: number): number => xs[i] ?? 0;
  return {
    sysLen: a.sysLen + b.sysLen,
    refLen: a.refLen + b.refLen,
    correct: Array.from({ length: n }, (_, i) => at(a.correct, i) + at(b.correct, i)),
    total: Array.from({ length: n }, (_, i) => at(a.total, i) + at(b.total, i)),
  };
}

/** BLEU from its statistics: sacreBLEU's compute_bleu, step for step. */
export function bleuFromStats(stats: BleuStats, opts: BleuOptions = {}): BleuScore {
  const method = opts.smooth ?? "exp";
  const smoothValue = opts.smoothValue ?? SMOOTH_DEFAULTS[method];
  const maxOrder = stats.correct.length;
  const correct = stats.correct.slice();
  const total = stats.total.slice();
  const { sysLen, refLen } = stats;
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuScore => ({ score, precisions, bp, sysLen, refLen, correct, total });
  if (!correct.some((c) => c > 0)) return result(0);

  let mteval = 1;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (method === "add-k" && n > 1) {
      correct[n - 1] = (correct[n - 1] as number) + smoothValue;
      total[n - 1] = (total[n - 1] as number) + smoothValue;
    }
    const c = correct[n - 1] as number;
    const t = total[n - 1] as number;
    if (t === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (c === 0) {
      if (method === "exp") {
        mteval *= 2;
        precisions[n - 1] = 100 / (mteval * t);
      } else if (method === "floor") {
        precisions[n - 1] = (100 * smoothValue) / t;
      }
    } else {
      precisions[n - 1] = (100 * c) / t;
    }
  }
  let logSum = 0;
  for (let i = 0; i < effOrder; i++) {
    const p = precisions[i] as number;
    logSum += p === 0 ? LOG_ZERO : Math.log(p);
  }
  return result(bp * Math.exp(logSum / effOrder));
}

/**
 * Sentence-level BLEU against one or more references, with sacreBLEU's sentence_bleu defaults
 * (exp smoothing, effective order) unless overridden. 100 for an exact match, 0 for no overlap.
 */
export function sentenceBleu(hypothesis: string, references: readonly string[], opts: BleuOptions = {}): BleuScore {
  const o: BleuOptions = { smooth: "exp", effectiveOrder: true, ...opts };
  return bleuFromStats(bleuStats(hypothesis, references, o), o);
}

/**
 * Corpus-level BLEU: statistics summed over sentences, then one score (not a mean of sentence
 * scores). `references[i]` holds the references of `hypotheses[i]`; a missing entry counts as
 * no reference. sacreBLEU's corpus_bleu defaults: exp smoothing, no effective order.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: ReadonlyArray<readonly string[]>,
  opts: BleuOptions = {},
): BleuScore {
  const o: BleuOptions = { smooth: "exp", effectiveOrder: false, ...opts };
  const maxOrder = checkedMaxOrder(o);
  let stats: BleuStats = {
    sysLen: 0,
    refLen: 0,
    correct: new Array<number>(maxOrder).fill(0),
    total: new Array<number>(maxOrder).fill(0),
  };
  hypotheses.forEach((hyp, i) => {
    stats = addBleuStats(stats, bleuStats(hyp, references[i] ?? [], o));
  });
  return bleuFromStats(stats, o);
}
