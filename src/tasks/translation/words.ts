// Reading Kalo words back: which lexicon entry a token is, and its English gloss. Used to make
// realistic mistakes and to judge reflections ("dogs=bakone"), both on untrusted text.

import { ADJECTIVES, DEFINITE, NEGATION, NOUNS, PLURAL_SUFFIX, VERBS } from "./lexicon.js";

export type WordClass = "noun" | "adjective" | "verb" | "definite" | "negation";

export interface KaloWord {
  kalo: string;
  cls: WordClass;
  /** English forms that gloss to this token (a verb's base and -s forms; a noun's singular or plural). */
  english: readonly string[];
}

const ENTRIES: readonly KaloWord[] = [
  ...NOUNS.flatMap((n) => [
    { kalo: n.kalo, cls: "noun" as const, english: [n.en] },
    { kalo: n.kalo + PLURAL_SUFFIX, cls: "noun" as const, english: [n.enPlural] },
  ]),
  ...ADJECTIVES.map((a) => ({ kalo: a.kalo, cls: "adjective" as const, english: [a.en] })),
  ...VERBS.map((v) => ({ kalo: v.kalo, cls: "verb" as const, english: [v.en, v.en3] })),
  { kalo: DEFINITE, cls: "definite", english: ["the"] },
  { kalo: NEGATION, cls: "negation", english: ["not"] },
];

const BY_KALO: ReadonlyMap<string, KaloWord> = new Map(ENTRIES.map((e) => [e.kalo, e]));

/** The lexicon entry of a Kalo token, or undefined (a Map lookup: any string is safe). */
export function kaloWord(token: string): KaloWord | undefined {
  return BY_KALO.get(token);
}

/** Every token of a class, plural nouns included. */
export function wordsOfClass(cls: WordClass): KaloWord[] {
  return ENTRIES.filter((e) => e.cls === cls);
}

export function isPluralNoun(token: string): boolean {
  return kaloWord(token)?.cls === "noun" && token.endsWith(PLURAL_SUFFIX);
}

/** The gloss a reflection writes for a token: "dogs=bakone", "the=ta". */
export function glossOf(token: string): string | undefined {
  const w = kaloWord(token);
  return w === undefined ? undefined : `${w.english[0]}=${w.kalo}`;
}

/** Whether "english=kalo" is a true gloss. */
export function glossIsTrue(english: string, kalo: string): boolean {
  return kaloWord(kalo)?.english.includes(english) ?? false;
}
