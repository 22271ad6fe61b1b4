// Wrong translations of the kinds a learner makes, on the reference's tokens: a wrong word of the
// right class, a dropped particle or adjective, a lost or added plural, or English word order
// creeping back. Each keeps the output in Kalo's vocabulary, so BLEU grades them (nearly right
// scores high, word salad low) and the quality judge has a range to learn.

import type { Rng } from "../../util/rng.js";
import { PLURAL_SUFFIX } from "./lexicon.js";
import { isPluralNoun, kaloWord, wordsOfClass } from "./words.js";

export type TranslationMistake = "word" | "drop" | "plural" | "order";
export const TRANSLATION_MISTAKES: readonly TranslationMistake[] = ["word", "drop", "plural", "order"];
/** Mistakes a single gloss can repair (a word missing or wrong). */
export const LEXICAL_MISTAKES: readonly TranslationMistake[] = ["word", "drop", "plural"];

function indicesWhere(tokens: readonly string[], keep: (t: string) => boolean): number[] {
  return tokens.flatMap((t, i) => (keep(t) ? [i] : []));
}

/** The tokens with one mistake of `kind`, or undefined when the sentence leaves no room for it. */
export function translationMistake(
  rng: Rng,
  tokens: readonly string[],
  kind: TranslationMistake,
): string[] | undefined {
  const out = tokens.slice();
  switch (kind) {
    case "word": {
      const at = indicesWhere(tokens, (t) => ["noun", "adjective", "verb"].includes(kaloWord(t)?.cls ?? ""));
      if (at.length === 0) return undefined;
      const i = rng.pick(at);
      const old = tokens[i] as string;
      const cls = kaloWord(old)?.cls ?? "noun";
      const plural = isPluralNoun(old);
      const others = wordsOfClass(cls).filter(
        (w) => w.kalo !== old && (cls !== "noun" || isPluralNoun(w.kalo) === plural),
      );
      out[i] = rng.pick(others).kalo;
      return out;
    }
    case "drop": {
      const at = indicesWhere(tokens, (t) => ["adjective", "definite", "negation"].includes(kaloWord(t)?.cls ?? ""));
      if (at.length === 0) return undefined;
      out.splice(rng.pick(at), 1);
      return out;
    }
    case "plural": {
      const at = indicesWhere(tokens, (t) => kaloWord(t)?.cls === "noun");
      if (at.length === 0) return undefined;
      const i = rng.pick(at);
      const t = tokens[i] as string;
      out[i] = isPluralNoun(t) ? t.slice(0, -PLURAL_SUFFIX.length) : t + PLURAL_SUFFIX;
      return out;
    }
    case "order": {
      if (tokens.length < 2) return undefined;
      // The verb (always last in Kalo) moves forward, as in English; or two neighbours swap.
      if (tokens.length >= 3 && rng.next() < 0.5) {
        const verb = out.pop() as string;
        out.splice(rng.int(1, out.length - 1), 0, verb);
      } else {
        const i = rng.int(0, tokens.length - 2);
        [out[i], out[i + 1]] = [out[i + 1] as string, out[i] as string];
      }
      return out.join(" ") === tokens.join(" ") ? undefined : out;
    }
  }
}

/** A translation that differs from the reference by one mistake drawn from `kinds`. */
export function wrongTranslation(
  rng: Rng,
  reference: string,
  kinds: readonly TranslationMistake[] = TRANSLATION_MISTAKES,
): string {
  const tokens = reference.split(" ");
  for (let tries = 0; tries < 20; tries++) {
    const out = translationMistake(rng, tokens, rng.pick(kinds));
    if (out !== undefined && out.join(" ") !== reference) return out.join(" ");
  }
  // Every kind failed (a one-word reference with no room): fall back to a certain miss.
  return `${reference} ${reference}`;
}
