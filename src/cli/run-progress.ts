// How a scenario run drives a Progress: the value is the number of finished steps, and phases
// ("evaluating (before)", "step 3/60: rollout") are a field beside it, never a value of their own.
import type { StepMetrics } from "../run/runner.js";
import type { Progress, ProgressFields } from "./progress.js";

/** The fields a run shows after its counter. */
export const RUN_FIELDS = "{phase} | reward {reward} | first {first} | second {second} | {tps} tok/s";

/** The runner's step phases; any other phase (an evaluation, the failure set) is a milestone. */
const STEP_PHASE = /^step \d+\/\d+: /;

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : "-";
}

export interface RunProgressHooks {
  onPhase(phase: string): void;
  onStep(m: StepMetrics): void;
}

/**
 * Hooks for ScenarioRun's onPhase/onStep. `stepOffset` places this run's steps on a longer bar
 * (a study's seeds one after another); `fields` are shown with every update (the seed).
 */
export function runProgressHooks(progress: Progress, stepOffset = 0, fields: ProgressFields = {}): RunProgressHooks {
  return {
    onPhase(phase) {
      progress.set({ ...fields, phase }, !STEP_PHASE.test(phase));
    },
    onStep(m) {
      progress.update(stepOffset + m.step + 1, {
        ...fields,
        reward: fmt(m.reward_mean),
        first: fmt(m.first_try_accuracy),
        second: fmt(m.second_try_accuracy),
        tps: Number.isFinite(m.tokens_per_second) ? Math.round(m.tokens_per_second) : "-",
      });
    },
  };
}
