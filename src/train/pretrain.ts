// Pretraining a base model on a task's synthetic corpus (any task in src/tasks/registry.ts). Read top to bottom: build the model,
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
import { encodeSegments, type TextSegment } from "./segments.js";
import { corpusExample as countdownCorpusExample } from "../tasks/countdown/corpus.js";
import { generateCountdown } from "../tasks/countdown/generate.js";
import { taskEntry } from "../tasks/registry.js";
import type { PretrainConfig } from "./config.js";

export { COUNTDOWN_BASE, FUNCTIONS_BASE, TRANSLATION_BASE, type PretrainConfig } from "./config.js";

export interface PretrainStep {
  step: number;
  loss: number;
  entropy: number;
  gradNorm: number;
  lr: number;
  tokensPerSecond: number;
}

/**
 * How one example is drawn: a problem from the task's generator, then an example for it, both
 * from the same Rng and in that order (the order the shipped Countdown model was trained on).
 */
function exampleSource(cfg: PretrainConfig): (rng: Rng) => { segments: TextSegment[] } {
  if (cfg.mix !== undefined) {
    // The mix is typed as Countdown's; silently ignoring it for another task would train on a
    // corpus the caller did not ask for.
    if (cfg.task !== "countdown")
      throw new Error(`pretrain: mix is Countdown's corpus mix; task "${cfg.task}" uses its own default mix`);
    const mix = cfg.mix;
    return (rng) => countdownCorpusExample(rng, generateCountdown(rng), mix);
  }
  const entry = taskEntry(cfg.task);
  return (rng) => entry.corpusExample(rng, entry.spec.generate(rng));
}

/** The batch for a step depends only on (task, seed, step). */
export function pretrainBatch(cfg: PretrainConfig, lm: LanguageModel, step: number) {
  const rng = new Rng(cfg.seed * 1_000_003 + step);
  const draw = exampleSource(cfg);
  const seqs = Array.from({ length: cfg.batchSize }, () => encodeSegments(lm.tokenizer, draw(rng).segments));
  return packBatch(seqs, lm.tokenizer.pad);
}

/**
 * Trains (or resumes training) into `out`: `out/checkpoint` holds the resumable state and
 * `out/metrics.jsonl` one line per step. Returns the trained model.
 */
export async function pretrain(
  cfg: PretrainConfig,
  out: string,
  hooks: { onStep?: (s: PretrainStep) => void; resume?: boolean } = {},
): Promise<LanguageModel> {
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
    lm = LanguageModel.create(cfg.model, taskEntry(cfg.task).spec.tokenizer, cfg.seed);
    trainer = new Trainer(lm.model, { lr: cfg.lr, weightDecay: cfg.weightDecay });
  }
  const save = async (step: number): Promise<void> => {
    await lm.save(ckptDir, {
      meta: { task: cfg.task, step, pretrain: cfg },
      optimizer: await trainer.optimizer.state(),
    });
  };

  for (let step = start; step < cfg.steps; step++) {
    const t0 = performance.now();
    const batch = pretrainBatch(cfg, lm, step);
    const lr = cosineLr(step, cfg.steps, cfg.lr, cfg.minLr, cfg.warmup);
    const r = trainer.stepNll(batch, { lr });
    const tokens = batch.batch * batch.length;
    const s: PretrainStep = {
      step: step + 1,
      loss: r.loss,
      entropy: r.entropy,
      gradNorm: r.gradNorm,
      lr,
      tokensPerSecond: tokens / ((performance.now() - t0) / 1000),
    };
    appendJsonl(metricsFile, s);
    hooks.onStep?.(s);
    if (cfg.checkpointEvery > 0 && (step + 1) % cfg.checkpointEvery === 0 && step + 1 < cfg.steps) await save(step + 1);
  }
  await save(cfg.steps);
  trainer.dispose();
  return lm;
}
