// R3 reflections for the BBH-style tasks: one short edit to the failed answer, written so a small
// model can produce it and a retry can act on it.
//
//   step 2=-1       worked answers (boolean, arithmetic, counting): step 2's value is -1; the
//                   retry redoes the work from there (steps are counted from 1)
//   swap cat pear   word sorting: these two words are in each other's place
//   set 2 }         dyck: the second closer should be "}"
//
// Because a reflection is an edit, its quality is measurable: apply it to the attempt and verify.

import type { Rng } from "../../util/rng.js";
import type { BbhProblem } from "./problem.js";
import { DYCK_PAIRS } from "./dyck.js";
import { verifyBbh } from "./verify.js";
import {
  computeStep,
  evaluateWork,
  readAttempt,
  readStepValue,
  stepText,
  workSlips,
  writeWork,
  type StepValue,
} from "./work.js";

const CLOSERS = Object.values(DYCK_PAIRS);
const STEP_EDIT = /^step (\d{1,2})=(-?\d{1,6}|T|F)$/;

/**
 * A worked attempt under "step K=V": its own slips stay, step K takes value V, every other step is
 * recomputed from its arguments.
 */
function applyStepEdit(p: Pick<BbhProblem, "sub" | "input">, attempt: string, reflection: string): string | undefined {
  const m = STEP_EDIT.exec(reflection);
  const read = readAttempt(p, attempt);
  if (m === null || read === undefined) return undefined;
  const { steps, claimed } = read;
  const k = Number(m[1]) - 1;
  const v = readStepValue(m[2] as string);
  if (k < 0 || k >= steps.length || v === undefined || typeof v !== typeof claimed[k]) return undefined;
  const overrides = workSlips(steps, claimed);
  overrides.set(k, v);
  return writeWork(steps, evaluateWork(steps, overrides));
}

/** The answer `attempt` becomes under the edit `reflection`; undefined if the edit does not fit. */
export function applyBbhReflection(
  p: Pick<BbhProblem, "sub" | "input">,
  attempt: string,
  reflection: string,
): string | undefined {
  const a = attempt.trim();
  const r = reflection.trim();
  switch (p.sub) {
    case "boolean_expressions":
    case "multistep_arithmetic":
    case "object_counting":
      return applyStepEdit(p, a, r);
    case "word_sorting": {
      const m = /^swap ([a-z]{1,12}) ([a-z]{1,12})$/.exec(r);
      if (m === null) return undefined;
      const words = a.split(" ");
      const i = words.indexOf(m[1] as string);
      const j = words.indexOf(m[2] as string);
      if (i < 0 || j < 0 || i === j) return undefined;
      [words[i], words[j]] = [words[j] as string, words[i] as string];
      return words.join(" ");
    }
    case "dyck_languages": {
      const m = /^set (\d{1,2}) ([)\]}>])$/.exec(r);
      if (m === null) return undefined;
      const closers = a.split(" ");
      const i = Number(m[1]) - 1;
      if (i < 0 || i >= closers.length || !closers.every((c) => CLOSERS.includes(c))) return undefined;
      closers[i] = m[2] as string;
      return closers.join(" ");
    }
  }
}

/** Whether acting on the reflection turns the failed attempt into the right answer. */
export function bbhReflectionFixes(p: BbhProblem, attempt: string, reflection: string): boolean {
  const fixed = applyBbhReflection(p, attempt, reflection);
  return fixed !== undefined && verifyBbh(p, fixed).correct;
}

/** The edit that repairs a one-error attempt; undefined when no single edit does. */
export function goodBbhReflection(p: BbhProblem, attempt: string): string | undefined {
  const cands = candidateEdits(p, attempt, p.target);
  return cands.find((r) => bbhReflectionFixes(p, attempt, r));
}

/** Edits of the right form for this attempt that do not repair it. */
export function badBbhReflections(rng: Rng, p: BbhProblem, attempt: string): string[] {
  const out: string[] = [];
  const a = attempt.trim();
  switch (p.sub) {
    case "boolean_expressions":
    case "multistep_arithmetic":
    case "object_counting": {
      // Another value for any step: the other truth value, or a nearby number.
      readAttempt(p, a)?.claimed.forEach((v, k) => {
        const others: StepValue[] =
          typeof v === "boolean" ? [!v] : [1, 2, 3, rng.int(4, 12)].flatMap((d) => [v + d, v - d]);
        for (const w of others) out.push(`step ${k + 1}=${stepText(w)}`);
      });
      break;
    }
    case "word_sorting": {
      const words = a.split(" ");
      for (let i = 0; i < words.length; i++)
        for (let j = i + 1; j < words.length; j++) out.push(`swap ${words[i]} ${words[j]}`);
      break;
    }
    case "dyck_languages": {
      const n = a.split(" ").length;
      for (let i = 1; i <= n; i++) for (const c of CLOSERS) out.push(`set ${i} ${c}`);
      break;
    }
  }
  return out.filter((r) => {
    const applied = applyBbhReflection(p, a, r);
    return applied !== undefined && applied !== a && !bbhReflectionFixes(p, a, r);
  });
}

function candidateEdits(p: BbhProblem, attempt: string, target: string): string[] {
  const a = attempt.trim();
  switch (p.sub) {
    case "boolean_expressions":
    case "multistep_arithmetic":
    case "object_counting": {
      // The first slip, set to what its (claimed) arguments give.
      const read = readAttempt(p, a);
      if (read === undefined) return [];
      const { steps, claimed } = read;
      const [k] = [...workSlips(steps, claimed).keys()];
      if (k === undefined) return [];
      return [`step ${k + 1}=${stepText(computeStep(steps, k, claimed))}`];
    }
    case "word_sorting": {
      const got = a.split(" ");
      const want = target.split(" ");
      const diff = got.flatMap((w, i) => (w !== want[i] ? [w] : []));
      return diff.length === 2 ? [`swap ${diff[0]} ${diff[1]}`] : [];
    }
    case "dyck_languages": {
      const got = a.split(" ");
      const want = target.split(" ");
      if (got.length !== want.length) return [];
      const at = got.flatMap((c, i) => (c !== want[i] ? [i] : []));
      return at.length === 1 ? [`set ${(at[0] as number) + 1} ${want[at[0] as number]}`] : [];
    }
  }
}
