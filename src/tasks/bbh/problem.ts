// BBH-style problems share BBH's own record shape ({input, target}) plus the sub-task they belong to.

/** The five BBH-style sub-tasks. */
export const BBH_SUBS = [
  "boolean_expressions",
  "multistep_arithmetic",
  "dyck_languages",
  "word_sorting",
  "object_counting",
] as const;
/** One of {@link BBH_SUBS}. */
export type BbhSub = (typeof BBH_SUBS)[number];

/** What a sub-task generator produces. */
export interface BbhItem {
  input: string;
  target: string;
}

/** A BBH problem: its sub-task, input, target answer and content-based id. */
export interface BbhProblem extends BbhItem {
  /** Content-based: the same sub-task, input and target always get the same id. */
  id: string;
  sub: BbhSub;
}

/** Whether `s` names a BBH sub-task (for validating input). */
export function isBbhSub(s: string): s is BbhSub {
  return (BBH_SUBS as readonly string[]).includes(s);
}
