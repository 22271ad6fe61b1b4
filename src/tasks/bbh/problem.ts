// BBH-style problems share BBH's own record shape ({input, target}) plus the sub-task they belong to.

export const BBH_SUBS = ["boolean_expressions", "multistep_arithmetic", "dyck_languages", "word_sorting", "object_counting"] as const;
export type BbhSub = (typeof BBH_SUBS)[number];

/** What a sub-task generator produces. */
export interface BbhItem {
  input: string;
  target: string;
}

export interface BbhProblem extends BbhItem {
  /** Content-based: the same sub-task, input and target always get the same id. */
  id: string;
  sub: BbhSub;
}

export function isBbhSub(s: string): s is BbhSub {
  return (BBH_SUBS as readonly string[]).includes(s);
}
