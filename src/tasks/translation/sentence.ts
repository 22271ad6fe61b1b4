// Sentences of the translation task as structures, rendered into English (the source) and Kalo
// (the reference). Generating the structure first keeps the pair a faithful translation by
// construction.

import type { Rng } from "../../util/rng.js";
import {
  ADJECTIVES,
  DEFINITE,
  NEGATION,
  NOUNS,
  PLURAL_SUFFIX,
  VERBS,
  type Adjective,
  type Noun,
  type Verb,
} from "./lexicon.js";

export interface NounPhrase {
  noun: Noun;
  adjective?: Adjective;
  plural: boolean;
  /** Singular phrases are "the" or "a"; plural ones "the" or bare. */
  definite: boolean;
}

export interface Sentence {
  subject: NounPhrase;
  verb: Verb;
  /** Present exactly when the verb is transitive. */
  object?: NounPhrase;
  negated: boolean;
}

function englishNp(np: NounPhrase): string {
  const words = [np.adjective?.en ?? "", np.plural ? np.noun.enPlural : np.noun.en].filter((w) => w !== "");
  const next = words[0] ?? "";
  const det = np.definite ? "the" : np.plural ? "" : /^[aeiou]/.test(next) ? "an" : "a";
  return [det, ...words].filter((w) => w !== "").join(" ");
}

function kaloNp(np: NounPhrase): string {
  const words = [
    np.plural ? np.noun.kalo + PLURAL_SUFFIX : np.noun.kalo,
    np.adjective?.kalo ?? "",
    np.definite ? DEFINITE : "",
  ];
  return words.filter((w) => w !== "").join(" ");
}

export function toEnglish(s: Sentence): string {
  const singular = !s.subject.plural;
  const vp = s.negated ? `${singular ? "does" : "do"} not ${s.verb.en}` : singular ? s.verb.en3 : s.verb.en;
  return [englishNp(s.subject), vp, s.object ? englishNp(s.object) : ""].filter((w) => w !== "").join(" ");
}

/** Subject, object, negation, verb: Kalo's SOV order. */
export function toKalo(s: Sentence): string {
  return [kaloNp(s.subject), s.object ? kaloNp(s.object) : "", s.negated ? NEGATION : "", s.verb.kalo]
    .filter((w) => w !== "")
    .join(" ");
}

function randomNp(rng: Rng): NounPhrase {
  const np: NounPhrase = { noun: rng.pick(NOUNS), plural: rng.next() < 0.35, definite: rng.next() < 0.5 };
  return rng.next() < 0.4 ? { ...np, adjective: rng.pick(ADJECTIVES) } : np;
}

export function randomSentence(rng: Rng): Sentence {
  const verb = rng.pick(VERBS);
  const s: Sentence = { subject: randomNp(rng), verb, negated: rng.next() < 0.25 };
  return verb.transitive ? { ...s, object: randomNp(rng) } : s;
}
