// Pieces every task's synthetic corpus shares: drawing an example kind by weight, and the shape
// of a reflect-and-retry example (prompt untrained; reflection and retry trained).

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
export function reflectSegments(prompt: string, reflection: string, retry: string, tokens: { retry: string; eos: string }): Array<{ text: string; train: boolean }> {
  return [
    { text: prompt, train: false },
    { text: reflection + tokens.retry, train: true },
    { text: retry + tokens.eos, train: true },
  ];
}
