// Pretraining a base model on a task's synthetic corpus. Read top to bottom: build the model,
// then for each step draw a batch (from a seed derived from the step number, so a resumed run
// sees exactly the batches an uninterrupted one would), take one AdamW step, log, and now and
// then checkpoint and evaluate.
import fs from "node:fs";
import path from "node:path";
import { LanguageModel } from "../engine/language-model.js";
import { loadCheckpoint } from "../engine/checkpoint.js";
import { cosineLr } from "../engine/optim.js";
import { packBatch, Trainer } from "../engine/train.js";
import { Rng } from "../util/rng.js";
import { appendJsonl } from "../util/log.js";
import { encodeSegments } from "./segments.js";
import { COUNTDOWN_TOKENIZER } from "../tasks/countdown/prompts.js";
import { corpusExample, type CorpusMix } from "../tasks/countdown/corpus.js";
import { generateCountdown } from "../tasks/countdown/generate.js";
import type { ModelConfig } from "../engine/config.js";

export interface PretrainConfig {
  task: "countdown";
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
  /** Shares of each example kind in the corpus (default DEFAULT_MIX). */
  mix?: CorpusMix;
}

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

export interface PretrainStep {
  step: number;
  loss: number;
  entropy: number;
  gradNorm: number;
  lr: number;
  tokensPerSecond: number;
}

/** The batch for a step depends only on (seed, step). */
export function pretrainBatch(cfg: PretrainConfig, lm: LanguageModel, step: number) {
  const rng = new Rng(cfg.seed * 1_000_003 + step);
  const seqs = Array.from({ length: cfg.batchSize }, () => {
    const puzzle = generateCountdown(rng);
    return encodeSegments(lm.tokenizer, corpusExample(rng, puzzle, cfg.mix).segments);
  });
  return packBatch(seqs, lm.tokenizer.pad);
}

/**
 * Trains (or resumes training) into `out`: `out/checkpoint` holds the resumable state and
 * `out/metrics.jsonl` one line per step. Returns the trained model.
 */
export async function pretrain(cfg: PretrainConfig, out: string, hooks: { onStep?: (s: PretrainStep) => void; resume?: boolean } = {}): Promise<LanguageModel> {
  const ckptDir = path.join(out, "checkpoint");
  const metricsFile = path.join(out, "metrics.jsonl");
  let lm: LanguageModel;
  let trainer: Trainer;
  let start = 0;
  if (hooks.resume && fs.existsSync(path.join(ckptDir, "checkpoint.json"))) {
    const ckpt = loadCheckpoint(ckptDir, { withOptimizer: true });
    lm = LanguageModel.fromCheckpoint(ckpt);
    trainer = new Trainer(lm.model, { lr: cfg.lr, weightDecay: cfg.weightDecay });
    if (ckpt.optimizer) trainer.optimizer.load(ckpt.optimizer);
    start = Number(ckpt.meta.step ?? 0);
  } else {
    fs.mkdirSync(out, { recursive: true });
    fs.rmSync(metricsFile, { force: true });
    lm = LanguageModel.create(cfg.model, COUNTDOWN_TOKENIZER, cfg.seed);
    trainer = new Trainer(lm.model, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  }
  const save = async (step: number): Promise<void> => {
    await lm.save(ckptDir, { meta: { task: cfg.task, step, pretrain: cfg }, optimizer: await trainer.optimizer.state() });
  };

  for (let step = start; step < cfg.steps; step++) {
    const t0 = performance.now();
    const batch = pretrainBatch(cfg, lm, step);
    const lr = cosineLr(step, cfg.steps, cfg.lr, cfg.minLr, cfg.warmup);
    const r = trainer.stepNll(batch, { lr });
    const tokens = batch.batch * batch.length;
    const s: PretrainStep = { step: step + 1, loss: r.loss, entropy: r.entropy, gradNorm: r.gradNorm, lr, tokensPerSecond: tokens / ((performance.now() - t0) / 1000) };
    appendJsonl(metricsFile, s);
    hooks.onStep?.(s);
    if (cfg.checkpointEvery > 0 && (step + 1) % cfg.checkpointEvery === 0 && step + 1 < cfg.steps) await save(step + 1);
  }
  await save(cfg.steps);
  trainer.dispose();
  return lm;
}
