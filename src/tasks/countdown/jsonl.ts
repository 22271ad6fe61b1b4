// The public Countdown JSONL format: {"target": 98, "nums": [44, 19, 35]} per line. Extra fields
// (ids, reference solutions, candidate answers) pass through untouched in `raw`.

import { z } from "zod";
import { readJsonl, toJsonl } from "../../util/jsonl.js";
import type { CountdownPuzzle } from "./verify.js";

export const countdownPuzzleSchema = z.object({
  target: z.number().int().safe(),
  nums: z.array(z.number().int().positive().safe()).min(1).max(6),
});

export interface CountdownJsonlRecord {
  line: number;
  puzzle: CountdownPuzzle;
  raw: Record<string, unknown>;
}

/** Parses Countdown JSONL; throws JsonlError ("FILE:LINE: ...") on the first bad line. */
export function parseCountdownJsonl(text: string, fileName: string): CountdownJsonlRecord[] {
  return readJsonl(text, countdownPuzzleSchema, fileName).map(({ line, value, raw }) => ({
    line,
    puzzle: { target: value.target, nums: value.nums },
    raw,
  }));
}

export { toJsonl };
