// Wrong BBH-style answers of the kinds a learner makes, each with exactly one error so that one
// reflection (an edit, see reflection.ts) can name it. Worked answers (work.ts) slip at one step
// (the other truth value, a number off by a little or with the wrong sign, an object miscounted)
// and carry the slip on consistently to a wrong answer; bare answers put two words out of order
// or one closing bracket wrong.

import type { Rng } from "../../util/rng.js";
import type { BbhProblem } from "./problem.js";
import { DYCK_PAIRS } from "./dyck.js";
import { verifyBbh } from "./verify.js";
import { evaluateWork, writeWork, workSteps, type StepValue, type WorkStep } from "./work.js";

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

/**
 * A wrong value for one step: the other truth value; for counting, a miscount of 1-4 objects or a
 * wrong non-negative sum; for arithmetic, a nearby number or the wrong sign.
 */
function slip(rng: Rng, p: BbhProblem, step: WorkStep, v: StepValue): StepValue {
  if (typeof v === "boolean") return !v;
  if (p.sub !== "object_counting") return offBy(rng, v, true);
  // Counting's per-object steps take no arguments.
  return step.args.length === 0 ? rng.pick([1, 2, 3, 4].filter((c) => c !== v)) : offBy(rng, v, false);
}

/** One step slips (a step whose slip reaches the answer), the rest follow from it. */
function slippedWork(rng: Rng, p: BbhProblem, steps: WorkStep[]): string {
  const right = evaluateWork(steps);
  const last = steps.length - 1;
  for (const k of rng.shuffle(steps.map((_, i) => i))) {
    const values = evaluateWork(steps, new Map([[k, slip(rng, p, steps[k] as WorkStep, right[k] as StepValue)]]));
    if (values[last] !== right[last]) return writeWork(steps, values);
  }
  throw new Error(`wrongBbhAnswer: no slip reaches the answer of ${p.id}`); // a slip at the last step always does
}

function mistakeText(rng: Rng, p: BbhProblem): string {
  const steps = workSteps(p);
  if (steps !== undefined) return slippedWork(rng, p, steps);
  switch (p.sub) {
    case "boolean_expressions":
    case "multistep_arithmetic":
    case "object_counting":
      throw new Error(`wrongBbhAnswer: ${p.sub} has work`);
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
