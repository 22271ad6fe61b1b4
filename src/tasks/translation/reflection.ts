// R3 reflections for translation: a gloss, "english=kalo", naming one word the failed attempt got
// wrong or left out ("dogs=bakone", "the=ta", "not=nu"). A gloss helps when it is true and names a
// word the reference has more often than the attempt; a true gloss of a word the attempt already
// has, or a false one, does not.

import { glossIsTrue, glossOf } from "./words.js";

const GLOSS = /^([a-z]{1,12})=([a-z]{1,14})$/;

export function parseGloss(text: string): { english: string; kalo: string } | undefined {
  if (typeof text !== "string") return undefined;
  const m = GLOSS.exec(text.trim());
  return m === null ? undefined : { english: m[1] as string, kalo: m[2] as string };
}

function count(tokens: readonly string[], t: string): number {
  return tokens.filter((x) => x === t).length;
}

function words(text: string): string[] {
  const t = text.trim().toLowerCase();
  return t === "" ? [] : t.split(/\s+/);
}

/** Whether a reflection would help a retry of `attempt` (untrusted text in both). */
export function glossHelps(p: { reference: string }, attempt: string, reflection: string): boolean {
  const g = parseGloss(reflection);
  if (g === undefined || !glossIsTrue(g.english, g.kalo) || typeof attempt !== "string" || attempt.length > 1000)
    return false;
  const ref = words(p.reference);
  return count(ref, g.kalo) > count(words(attempt), g.kalo);
}

/** The gloss of the first reference word the attempt has too few of; undefined if there is none. */
export function helpfulGloss(p: { reference: string }, attempt: string): string | undefined {
  const ref = words(p.reference);
  const att = words(attempt);
  const missing = ref.find((t) => count(ref, t) > count(att, t));
  return missing === undefined ? undefined : glossOf(missing);
}

/** True glosses that do not help: words the attempt already has enough of. */
export function unhelpfulGlosses(p: { reference: string }, attempt: string): string[] {
  const att = words(attempt);
  return [...new Set(att)].flatMap((t) => {
    const g = glossOf(t);
    return g !== undefined && !glossHelps(p, attempt, g) ? [g] : [];
  });
}
