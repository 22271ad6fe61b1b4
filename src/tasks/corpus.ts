// Pieces every task's synthetic corpus shares: drawing an example kind by weight, and the shape
// of a reflect-and-retry example (prompt untrained; reflection and retry trained).

import type { TextSegment } from "../train/segments.js";

/** The three example kinds every new task's corpus teaches. */
export type ExampleKind = "answer" | "judge" | "reflect";

export interface TaskCorpusExample<K extends string = ExampleKind> {
  kind: K;
  segments: TextSegment[];
}

/** How a corpus mixes its examples (functions, bbh). */
export interface CorpusMix<K extends string = ExampleKind> {
  /** Share of each example kind (normalised). */
  kinds: Record<K, number>;
  /** Share of answers that are right. */
  answerCorrect: number;
  /** Share of reflections that repair the failed answer. */
  goodReflection: number;
}

/** 35% answers (30% of them right), 35% judging, 30% reflections (half of them good). */
export const DEFAULT_CORPUS_MIX: CorpusMix = {
  kinds: { answer: 0.35, judge: 0.35, reflect: 0.3 },
  answerCorrect: 0.3,
  goodReflection: 0.5,
};

/** One kind, drawn with probability proportional to its weight (falls back to the first). */
export function drawKind<K extends string>(rng: { next(): number }, weights: Readonly<Record<K, number>>): K {
  const kinds = Object.entries(weights) as Array<[K, number]>;
  const total = kinds.reduce((a, [, w]) => a + w, 0);
  let u = rng.next() * total;
  for (const [kind, w] of kinds) {
    u -= w;
    if (u < 0) return kind;
  }
  return (kinds[0] as [K, number])[0];
}

/**
 * A reflect example: after the failed attempt (in the prompt), the reflection ends with the
 * retry marker and the retry with end-of-text; both are what the model learns to write.
 */
export function reflectSegments(
  prompt: string,
  reflection: string,
  retry: string,
  tokens: { retry: string; eos: string },
): Array<{ text: string; train: boolean }> {
  return [
    { text: prompt, train: false },
    { text: reflection + tokens.retry, train: true },
    { text: retry + tokens.eos, train: true },
  ];
}
