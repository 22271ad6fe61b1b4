// R3 reflections for the BBH-style tasks: one short edit to the failed answer, written so a small
// model can produce it and a retry can act on it.
//
//   flip / keep     boolean: the other truth value, or the same
//   add 3 / sub 12  arithmetic, counting: the answer is off by this much
//   swap cat pear   word sorting: these two words are in each other's place
//   set 2 }         dyck: the second closer should be "}"
//
// Because a reflection is an edit, its quality is measurable: apply it to the attempt and verify.

import type { Rng } from "../../util/rng.js";
import type { BbhProblem, BbhSub } from "./problem.js";
import { DYCK_PAIRS } from "./dyck.js";
import { verifyBbh } from "./verify.js";

const CLOSERS = Object.values(DYCK_PAIRS);
const INTEGER = /^-?\d{1,9}$/;

/** The answer `attempt` becomes under the edit `reflection`; undefined if the edit does not fit. */
export function applyBbhReflection(sub: BbhSub, attempt: string, reflection: string): string | undefined {
  const a = attempt.trim();
  const r = reflection.trim();
  switch (sub) {
    case "boolean_expressions":
      if (r !== "flip" && r !== "keep") return undefined;
      if (a !== "True" && a !== "False") return undefined;
      return r === "keep" ? a : a === "True" ? "False" : "True";
    case "multistep_arithmetic":
    case "object_counting": {
      const m = /^(add|sub) (\d{1,6})$/.exec(r);
      if (m === null || !INTEGER.test(a)) return undefined;
      const d = Number(m[2]) * (m[1] === "add" ? 1 : -1);
      return String(Number(a) + d + 0);
    }
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
  const fixed = applyBbhReflection(p.sub, attempt, reflection);
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
      // None: with two values, every edit that changes a wrong answer repairs it ("keep" changes
      // nothing). After a failure boolean reflections are always good; R3 learns on the others.
      break;
    case "multistep_arithmetic":
    case "object_counting":
      for (const d of [1, 2, 3, rng.int(4, 12)]) out.push(`add ${d}`, `sub ${d}`);
      break;
    case "word_sorting": {
      const words = a.split(" ");
      for (let i = 0; i < words.length; i++) for (let j = i + 1; j < words.length; j++) out.push(`swap ${words[i]} ${words[j]}`);
      break;
    }
    case "dyck_languages": {
      const n = a.split(" ").length;
      for (let i = 1; i <= n; i++) for (const c of CLOSERS) out.push(`set ${i} ${c}`);
      break;
    }
  }
  return out.filter((r) => { const applied = applyBbhReflection(p.sub, a, r); return applied !== undefined && applied !== a && !bbhReflectionFixes(p, a, r); });
}

function candidateEdits(p: BbhProblem, attempt: string, target: string): string[] {
  const a = attempt.trim();
  switch (p.sub) {
    case "boolean_expressions":
      return ["flip"];
    case "multistep_arithmetic":
    case "object_counting": {
      if (!INTEGER.test(a)) return [];
      const d = Number(target) - Number(a);
      return d === 0 ? [] : [`${d > 0 ? "add" : "sub"} ${Math.abs(d)}`];
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
