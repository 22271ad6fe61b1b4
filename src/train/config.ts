// Pretraining configurations, apart from the training loop so that the task registry can name
// each task's defaults without importing the loop (which imports the registry).
import type { ModelConfig } from "../engine/config.js";
import type { CorpusMix } from "../tasks/countdown/corpus.js";
import type { TaskName } from "../tasks/names.js";

export interface PretrainConfig {
  task: TaskName;
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmup: number;
  weightDecay: number;
  model: Omit<ModelConfig, "vocabSize">;
  /** Save a resumable checkpoint every this many steps (0 = only at the end). */
  checkpointEvery: number;
  /**
   * Countdown only: shares of each example kind in its corpus (default DEFAULT_MIX). Other
   * tasks always use their own default mix; setting this for them is an error.
   */
  mix?: CorpusMix;
}

// The shipped models/countdown-base is reproduced from exactly these values: do not edit.
export const COUNTDOWN_BASE: PretrainConfig = {
  task: "countdown",
  seed: 0,
  steps: 1200,
  batchSize: 64,
  lr: 2e-3,
  minLr: 1e-4,
  warmup: 100,
  weightDecay: 0.05,
  model: { contextLength: 64, dModel: 96, nLayers: 3, nHeads: 4, mlpRatio: 4, valueHead: false },
  checkpointEvery: 250,
};

// Context lengths: the longest of 200,000 corpus examples, rounded up to a multiple of 32 with
// room to spare (functions: 195 tokens, translation: 127, bbh: 191; see test/tasks.registry.test.ts).
// The new tasks share one untuned starting schedule; models/functions-base was trained with it.
const NEW_TASK_SCHEDULE = {
  seed: 0,
  steps: 2000,
  batchSize: 32,
  lr: 2e-3,
  minLr: 1e-4,
  warmup: 100,
  weightDecay: 0.05,
  checkpointEvery: 250,
} as const;

const NEW_TASK_MODEL = { dModel: 128, nLayers: 4, nHeads: 4, mlpRatio: 4, valueHead: false } as const;

export const FUNCTIONS_BASE: PretrainConfig = {
  task: "functions",
  ...NEW_TASK_SCHEDULE,
  model: { contextLength: 224, ...NEW_TASK_MODEL },
};

export const TRANSLATION_BASE: PretrainConfig = {
  task: "translation",
  ...NEW_TASK_SCHEDULE,
  model: { contextLength: 160, ...NEW_TASK_MODEL },
};

// BBH-style: the longest corpus example is a reflect example on a boolean expression with worked
// answers: 191 tokens in 200,000, at most about 210 (a 48-character input with four nots).
// Twice the shared schedule's steps: five sub-tasks with worked steps to learn; at 2000 steps the
// loss was still falling fast and neither the steps nor judging had been learned.
export const BBH_BASE: PretrainConfig = {
  task: "bbh",
  ...NEW_TASK_SCHEDULE,
  steps: 4000,
  model: { contextLength: 224, ...NEW_TASK_MODEL },
};
