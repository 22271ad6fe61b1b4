// Kalo, a small invented language for the translation task: 28 content words (10 nouns,
// 8 adjectives, 10 verbs), two particles and a plural suffix. Its grammar differs from
// English where it forces a model to reorder, not just look words up:
// - word order is subject-object-verb: "the dog sees a cat" → "bako ta miro vido";
// - adjectives follow their noun: "a big dog" → "bako gan";
// - "the" is a particle after the noun phrase ("ta"), "a" is not written;
// - plural is the suffix "-ne" on the noun: "dogs" → "bakone" (English irregulars become regular);
// - negation is the particle "nu" before the verb, and verbs never agree with their subject:
//   "the dogs do not sleep" → "bakone ta nu dor".

export interface Noun {
  en: string;
  enPlural: string;
  kalo: string;
}

export interface Verb {
  en: string;
  /** Third person singular present ("sees"). */
  en3: string;
  kalo: string;
  transitive: boolean;
}

export interface Adjective {
  en: string;
  kalo: string;
}

const n = (en: string, enPlural: string, kalo: string): Noun => ({ en, enPlural, kalo });
const v = (en: string, kalo: string, transitive: boolean): Verb => ({ en, en3: `${en}s`, kalo, transitive });

export const NOUNS: readonly Noun[] = [
  n("cat", "cats", "miro"),
  n("dog", "dogs", "bako"),
  n("bird", "birds", "tivi"),
  // No noun whose plural equals its singular ("fish"): the source must say which one the reference has.
  n("frog", "frogs", "nalu"),
  n("man", "men", "keto"),
  n("woman", "women", "sela"),
  n("child", "children", "pimo"),
  n("horse", "horses", "dara"),
  n("apple", "apples", "apu"),
  n("tree", "trees", "lumo"),
];

export const ADJECTIVES: readonly Adjective[] = [
  { en: "big", kalo: "gan" },
  { en: "small", kalo: "pik" },
  { en: "red", kalo: "ruma" },
  { en: "old", kalo: "sen" },
  { en: "happy", kalo: "lio" },
  { en: "black", kalo: "nok" },
  { en: "white", kalo: "bel" },
  { en: "young", kalo: "tam" },
];

export const VERBS: readonly Verb[] = [
  v("see", "vido", true),
  v("eat", "mako", true),
  v("like", "amu", true),
  v("find", "tenu", true),
  v("chase", "kuri", true),
  v("hear", "osa", true),
  v("sleep", "dor", false),
  v("run", "kasu", false),
  v("sing", "kanto", false),
  v("swim", "nado", false),
];

export const DEFINITE = "ta";
export const PLURAL_SUFFIX = "ne";
export const NEGATION = "nu";
