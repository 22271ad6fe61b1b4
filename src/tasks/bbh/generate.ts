// Seeded BBH-style problems, one sub-task drawn uniformly from those asked for.

import { Rng } from "../../util/rng.js";
import { contentId } from "../content-id.js";
import { generateArithmetic } from "./arithmetic.js";
import { generateBoolean } from "./boolean.js";
import { generateDyck } from "./dyck.js";
import { generateObjectCounting } from "./object-counting.js";
import { BBH_SUBS, type BbhItem, type BbhProblem, type BbhSub } from "./problem.js";
import { generateWordSorting } from "./word-sorting.js";

export const BBH_GENERATORS: Readonly<Record<BbhSub, (rng: Rng) => BbhItem>> = {
  boolean_expressions: generateBoolean,
  multistep_arithmetic: generateArithmetic,
  dyck_languages: generateDyck,
  word_sorting: generateWordSorting,
  object_counting: generateObjectCounting,
};

export function bbhProblem(sub: BbhSub, item: BbhItem): BbhProblem {
  return { id: contentId(`bbh-${sub}`, item.input, item.target), sub, input: item.input, target: item.target };
}

/** A BBH problem drawn with `rng` from one of `subs` (default: all five sub-tasks). */
export function generateBbhProblem(rng: Rng, subs: readonly BbhSub[] = BBH_SUBS): BbhProblem {
  if (subs.length === 0) throw new RangeError("generateBbhProblem: no sub-tasks given");
  const sub = rng.pick(subs);
  return bbhProblem(sub, BBH_GENERATORS[sub](rng));
}

/** `n` problems from `seed`; the same seed always yields the same set. */
export function generateBbhSet(seed: number, n: number, subs: readonly BbhSub[] = BBH_SUBS): BbhProblem[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => generateBbhProblem(rng, subs));
}
