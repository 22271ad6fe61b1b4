// Examples are written as segments of text, each marked trainable or not; this turns them into
// the (tokens, per-token weights) pairs the trainer packs into batches.
import type { Tokenizer } from "../engine/tokenizer.js";

export interface TextSegment {
  text: string;
  train: boolean;
}

export function encodeSegments(
  tokenizer: Tokenizer,
  segments: readonly TextSegment[],
): { tokens: number[]; weights: number[] } {
  const tokens: number[] = [];
  const weights: number[] = [];
  for (const s of segments) {
    const ids = tokenizer.encode(s.text);
    tokens.push(...ids);
    for (let i = 0; i < ids.length; i++) weights.push(s.train ? 1 : 0);
  }
  return { tokens, weights };
}
