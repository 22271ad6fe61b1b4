// The project's own reward rule, kept pure (no model, no framework) so a property test can pin
// it down: a right answer earns 1, less 0.05 per character beyond the first 8 (never below 0.5);
// a wrong answer earns 0. Shorter right answers are preferred; no right answer scores below a
// wrong one.
export const FREE_CHARS = 8;
export const PER_CHAR = 0.05;
export const FLOOR = 0.5;

export function shapedReward(correct: boolean, answer: string): number {
  if (!correct) return 0;
  return Math.max(FLOOR, 1 - PER_CHAR * Math.max(0, answer.length - FREE_CHARS));
}
