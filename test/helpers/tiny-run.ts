// Tiny real models for whole-run tests: a random 1-layer Countdown model saved as a checkpoint
// directory, and shipped scenarios shrunk to a few tasks per step that point at it.
import fs from "node:fs";
import * as tf from "@tensorflow/tfjs";
import path from "node:path";
import { LanguageModel } from "../../src/engine/language-model.js";
import { COUNTDOWN_TOKENIZER } from "../../src/tasks/countdown/prompts.js";
import { loadScenario } from "../../src/run/load.js";
import type { Scenario } from "../../src/run/scenario.js";
import { parseAlgorithm, type AlgorithmInput } from "../../src/rl/config.js";
import { readJsonlLog } from "../../src/util/log.js";
import type { StepMetrics } from "../../src/run/runner.js";

export const TINY_MODEL = {
  contextLength: 64,
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  mlpRatio: 2,
  valueHead: false,
} as const;

/** Creates, saves and disposes a tiny random model; returns its checkpoint directory. */
export async function saveTinyModel(dir: string, seed: number): Promise<string> {
  const lm = LanguageModel.create(TINY_MODEL, COUNTDOWN_TOKENIZER, seed);
  try {
    await lm.save(dir, { meta: { note: "tiny random test model" } });
  } finally {
    lm.dispose();
  }
  return dir;
}

/** A shipped scenario pointed at `model` with small settings (algorithm overrides validated like the file's own). */
export async function tinyScenario(
  name: string,
  model: string,
  settings: Partial<Scenario["settings"]> = {},
  algorithm: Partial<Scenario["algorithm"]> = {},
): Promise<Scenario> {
  const { scenario } = await loadScenario(name);
  return {
    ...scenario,
    model,
    algorithm: parseAlgorithm({ ...scenario.algorithm, ...algorithm } as AlgorithmInput),
    settings: { ...scenario.settings, tasksPerStep: 2, groupSize: 2, evalN: 8, failureSamples: 1, ...settings },
  };
}

export type LoggedMetrics = {
  [K in keyof StepMetrics]: StepMetrics[K] extends number ? number | null : StepMetrics[K];
};

export function readMetrics(out: string): LoggedMetrics[] {
  return readJsonlLog<LoggedMetrics>(path.join(out, "metrics.jsonl"));
}

export function readText(file: string): string {
  return fs.readFileSync(file, "utf8");
}

/**
 * Tensors a model keeps in its lazily filled caches (causal masks and position one-hots per
 * sequence length, fused decoding weights per layer): bounded, and not leaks. Counted from every
 * Map-valued field of the GPT except its parameters, so it follows the engine's caches as they
 * change.
 */
export function cachedTensors(lm: LanguageModel): number {
  let n = 0;
  for (const [key, value] of Object.entries(lm.model as unknown as Record<string, unknown>)) {
    if (key === "params" || !(value instanceof Map)) continue;
    for (const v of value.values()) {
      if (v instanceof tf.Tensor) n += v.isDisposed ? 0 : 1;
      else if (v !== null && typeof v === "object")
        n += Object.values(v as Record<string, unknown>).filter((x) => x instanceof tf.Tensor && !x.isDisposed).length;
    }
  }
  return n;
}
