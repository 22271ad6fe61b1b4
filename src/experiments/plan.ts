// What `selfimprove experiments` runs: every method on every task for every seed, each a plain
// scenario run (the shipped Countdown scenario retargeted to the task). Pure data, so the plan can
// be printed, tested and resumed.
import path from "node:path";
import type { PretrainableTask } from "../tasks/registry.js";

/** The four arms of the study, and the shipped scenario each one is. */
export const METHODS = {
  r3: { scenario: "r3-countdown", label: "R3 (reflect, retry, reward)", labels: false },
  rlc: { scenario: "rlc-countdown", label: "RLC (self-evaluation, no labels)", labels: false },
  grpo: { scenario: "grpo-countdown", label: "GRPO with the verifier's reward", labels: true },
  oracle: { scenario: "oracle-countdown", label: "oracle labels (SFT)", labels: true },
} as const;
export type Method = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as Method[];

export const EXPERIMENT_TASKS: readonly PretrainableTask[] = ["countdown", "functions", "bbh", "translation"];

/** Scale of every run: absent fields keep the scenario's own values. */
export interface RunScale {
  steps?: number;
  evalN?: number;
  /** Scenario settings replaced for every run (`--set`). */
  settings?: Record<string, number | string>;
}

// --quick: a smoke-scale pass over the whole matrix (48 runs) in under ten minutes on two cores.
// Its numbers are noise; it shows the pipeline and the report end to end.
export const QUICK_SCALE: RunScale = {
  steps: 3,
  evalN: 32,
  settings: { tasksPerStep: 4, groupSize: 4, failureSamples: 2, checkpointEvery: 0 },
};

// The full study, sized for a 2-core CPU machine (48 runs in about an hour): 15 steps of 8
// problems × 8 samples (or reflections) per run, 150 held-out problems per evaluation. Each
// scenario's own, larger settings are one `selfimprove run` away; --steps and --eval-n scale this.
export const FULL_SCALE: RunScale = {
  steps: 15,
  evalN: 150,
  settings: { tasksPerStep: 8, groupSize: 8, checkpointEvery: 0 },
};

/**
 * Settings one arm needs on one task. RLC judges translation with its quality prompt (a 0-10
 * score, as the paper does for translation and summaries), not with the correctness prompt.
 */
export const ARM_SETTINGS: Readonly<Record<string, Record<string, string>>> = {
  "translation/rlc": { selfEvalReward: "quality" },
};

export interface PlannedRun {
  id: string;
  task: PretrainableTask;
  method: Method;
  seed: number;
  scenario: string;
  out: string;
  scale: RunScale;
}

export function planExperiments(opts: {
  tasks: readonly PretrainableTask[];
  methods: readonly Method[];
  seeds: readonly number[];
  runsDir: string;
  scale: RunScale;
}): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const task of opts.tasks)
    for (const method of opts.methods)
      for (const seed of opts.seeds)
        runs.push({
          id: `${task}/${method}/seed-${seed}`,
          task,
          method,
          seed,
          scenario: METHODS[method].scenario,
          out: path.join(opts.runsDir, task, method, `seed-${seed}`),
          scale: { ...opts.scale, settings: { ...opts.scale.settings, ...ARM_SETTINGS[`${task}/${method}`] } },
        });
  return runs;
}

/** The command line that performs one planned run (the CLI's own `run`, as a user would type it). */
export function runArgs(r: PlannedRun): string[] {
  const args = [
    "run",
    r.scenario,
    "--task",
    r.task,
    "--seed",
    String(r.seed),
    "--out",
    r.out,
    "--json",
    "--backend",
    "wasm",
  ];
  if (r.scale.steps !== undefined) args.push("--steps", String(r.scale.steps));
  if (r.scale.evalN !== undefined) args.push("--eval-n", String(r.scale.evalN));
  for (const [k, v] of Object.entries(r.scale.settings ?? {})) args.push("--set", `${k}=${v}`);
  return args;
}
