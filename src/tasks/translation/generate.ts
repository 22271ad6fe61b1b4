// Seeded translation pairs: English source, Kalo reference.

import { Rng } from "../../util/rng.js";
import { contentId } from "../content-id.js";
import { randomSentence, toEnglish, toKalo } from "./sentence.js";

/** An English sentence, its Kalo reference translation, and a content-based id. */
export interface TranslationProblem {
  /** Content-based: the same pair always gets the same id. */
  id: string;
  source: string;
  reference: string;
}

/** Sources longer than this are redrawn so that prompts fit a small context. */
export const MAX_SOURCE_LENGTH = 44;

export function translationProblem(source: string, reference: string): TranslationProblem {
  return { id: contentId("tr", source, reference), source, reference };
}

/** A translation problem drawn with `rng`. */
export function generateTranslation(rng: Rng): TranslationProblem {
  // Most draws fit; the bound turns a broken length limit into an error instead of a hang.
  for (let tries = 0; tries < 10_000; tries++) {
    const s = randomSentence(rng);
    const source = toEnglish(s);
    if (source.length <= MAX_SOURCE_LENGTH) return translationProblem(source, toKalo(s));
  }
  throw new Error("generateTranslation: no sentence fits MAX_SOURCE_LENGTH");
}

/** `n` pairs from `seed`; the same seed always yields the same set. */
export function generateTranslationSet(seed: number, n: number): TranslationProblem[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => generateTranslation(rng));
}
