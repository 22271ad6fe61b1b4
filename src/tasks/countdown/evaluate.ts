// Countdown is evaluated by the one evaluator every task shares (../evaluate.ts); its spec's
// reflectionQuality hook adds the two reflection rates, so a Countdown result always has them.
import type { TaskEvalResult } from "../evaluate.js";

/** A Countdown evaluation: a {@link TaskEvalResult} with the two reflection-quality rates. */
export type CountdownEvalResult = TaskEvalResult & { goodReflectionRate: number; exactReflectionRate: number };
