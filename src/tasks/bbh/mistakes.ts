// Wrong BBH-style answers of the kinds a learner makes, each with exactly one error so that one
// reflection (an edit, see reflection.ts) can name it: the other truth value, a number off by a
// little or with the wrong sign, two words out of order, one closing bracket wrong.

import type { Rng } from "../../util/rng.js";
import type { BbhProblem } from "./problem.js";
import { DYCK_PAIRS } from "./dyck.js";
import { verifyBbh } from "./verify.js";

const CLOSERS = Object.values(DYCK_PAIRS);

function offBy(rng: Rng, target: number, allowNegative: boolean): number {
  for (let i = 0; i < 20; i++) {
    const d = rng.pick([1, 1, 2, 2, 3, 10]) * (rng.next() < 0.5 ? -1 : 1);
    const v = rng.next() < 0.15 && target !== 0 && allowNegative ? -target : target + d;
    if (v !== target && (allowNegative || v >= 0)) return v;
  }
  return target + 1;
}

/** One wrong answer for `p` (never a right one: the verifier is asked). */
export function wrongBbhAnswer(rng: Rng, p: BbhProblem): string {
  const text = mistakeText(rng, p);
  // Every generator above changes the answer; the check guards that promise for the judge's labels.
  if (verifyBbh(p, text).correct) throw new Error(`wrongBbhAnswer: "${text}" is right for ${p.id}`);
  return text;
}

function mistakeText(rng: Rng, p: BbhProblem): string {
  switch (p.sub) {
    case "boolean_expressions":
      return p.target === "True" ? "False" : "True";
    case "multistep_arithmetic":
      return String(offBy(rng, Number(p.target), true));
    case "object_counting":
      return String(offBy(rng, Number(p.target), false));
    case "word_sorting": {
      const words = p.target.split(" ");
      const i = rng.int(0, words.length - 2);
      const j = rng.int(i + 1, words.length - 1);
      [words[i], words[j]] = [words[j] as string, words[i] as string];
      return words.join(" ");
    }
    case "dyck_languages": {
      const closers = p.target.split(" ");
      const i = rng.int(0, closers.length - 1);
      closers[i] = rng.pick(CLOSERS.filter((c) => c !== closers[i]));
      return closers.join(" ");
    }
  }
}
