// BBH dyck_languages: given an unfinished sequence of brackets, write the closers that complete
// it: "[ { ( < > )" → "} ]". The target is the generator's own stack, closed in order.

import type { Rng } from "../../util/rng.js";
import type { BbhItem } from "./problem.js";

export const DYCK_PAIRS: Readonly<Record<string, string>> = { "(": ")", "[": "]", "{": "}", "<": ">" };
const OPENERS = Object.keys(DYCK_PAIRS);
const MAX_OPEN = 5;

export function generateDyck(rng: Rng): BbhItem {
  const steps = rng.int(3, 10);
  const stack: string[] = [];
  const tokens: string[] = [];
  for (let i = 0; i < steps; i++) {
    if (stack.length === 0 || (stack.length < MAX_OPEN && rng.next() < 0.55)) {
      const open = rng.pick(OPENERS);
      stack.push(open);
      tokens.push(open);
    } else {
      tokens.push(DYCK_PAIRS[stack.pop() as string] as string);
    }
  }
  if (stack.length === 0) {
    const open = rng.pick(OPENERS);
    stack.push(open);
    tokens.push(open);
  }
  const target = stack.reverse().map((o) => DYCK_PAIRS[o] as string);
  return { input: tokens.join(" "), target: target.join(" ") };
}
