// Exact-match scoring for the BBH-style tasks, after light normalisation: surrounding and repeated
// whitespace and letter case never matter; in Dyck answers no whitespace matters; integers compare
// by value ("07" = "7"). An answer that is not even of the right form (a word where a number is
// due) is "unparsable", a well-formed wrong one is "wrong value". A worked answer ("1+2=3; 3",
// see work.ts) is scored on what follows its last "; ", as BBH scores chain-of-thought answers on
// "So the answer is ..."; the work itself is not checked (judging it is the Teacher's job).

import { isBbhSub, type BbhSub } from "./problem.js";

/** Why {@link verifyBbh} accepted or rejected an answer. */
export type BbhReason = "ok" | "wrong value" | "unparsable";

/** The BBH verifier's verdict on one answer. */
export interface BbhVerdict {
  correct: boolean;
  reason: BbhReason;
}

/** Answers are a few words; anything longer is not one (and is not worth scanning). */
export const MAX_BBH_ANSWER = 1000;

const WELL_FORMED: Readonly<Record<BbhSub, RegExp>> = {
  boolean_expressions: /^(true|false)$/,
  multistep_arithmetic: /^-?\d{1,15}$/,
  dyck_languages: /^[)\]}>]{1,64}$/,
  word_sorting: /^[a-z]+( [a-z]+){0,63}$/,
  object_counting: /^\d{1,9}$/,
};

const INTEGER = /^-?\d{1,15}$/;

export function normaliseBbh(sub: string, text: string): string {
  const t = text.trim().replace(/\s+/g, " ").toLowerCase();
  return sub === "dyck_languages" ? t.replaceAll(" ", "") : t;
}

/** The final answer of a worked answer (after its last "; "), or the whole text. */
export function finalBbhAnswer(answer: string): string {
  const cut = answer.lastIndexOf("; ");
  return cut < 0 ? answer : answer.slice(cut + 2);
}

function verify(p: { sub: string; target: string }, answer: string): BbhVerdict {
  if (answer.length > MAX_BBH_ANSWER) return { correct: false, reason: "unparsable" };
  const a = normaliseBbh(p.sub, finalBbhAnswer(answer));
  const t = normaliseBbh(p.sub, p.target);
  if (isBbhSub(p.sub) && !WELL_FORMED[p.sub].test(a)) return { correct: false, reason: "unparsable" };
  const same = INTEGER.test(a) && INTEGER.test(t) ? Number(a) === Number(t) : a === t;
  return same ? { correct: true, reason: "ok" } : { correct: false, reason: "wrong value" };
}

/** Checks an answer against a problem's target. Never throws, whatever `answer` holds. */
export function verifyBbh(p: { sub: string; target: string }, answer: string): BbhVerdict {
  try {
    if (typeof answer !== "string" || typeof p.target !== "string") return { correct: false, reason: "unparsable" };
    return verify(p, answer);
  } catch {
    // Unreachable by design; a reward function must still never crash a training run.
    return { correct: false, reason: "unparsable" };
  }
}

/** The answer in a model completion, work included: its first non-blank line, trimmed. */
export function extractBbhAnswer(text: string): string {
  const trimmed = typeof text === "string" ? text.trim() : "";
  const nl = trimmed.search(/\r|\n/);
  return (nl === -1 ? trimmed : trimmed.slice(0, nl)).trimEnd();
}
