// Countdown's reward from the verifier's verdict, in TinyZero's shape: full credit for a correct
// equation, a small format credit for a well-formed but wrong one, nothing for unparsable text.
// R3 uses binary feedback: pass { format: 0 }. It reads a CountdownVerdict, so it lives with the
// task (the rewards library is task-free).
import type { CountdownVerdict } from "./verify.js";

/**
 * Countdown's shaped reward from a verdict (TinyZero's): 1 for a correct equation, `format` (default
 * 0.1) for a well-formed wrong one, 0 for unparsable text. Pass `{ format: 0 }` for a binary reward.
 */
export function countdownReward(verdict: CountdownVerdict, opts: { format?: number } = {}): number {
  if (verdict.correct) return 1;
  switch (verdict.reason) {
    case "unparsable":
      return 0;
    case "ok": // correct: false with reason "ok" cannot come from verifyCountdown; treat as wrong
    case "wrong value":
    case "wrong numbers":
    case "division by zero":
      return opts.format ?? 0.1;
  }
}
