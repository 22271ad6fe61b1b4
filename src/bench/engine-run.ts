// One timed run of our engine on one shape, the same protocol as one torch_ref.py invocation: a
// fresh model, WARMUP_STEPS warm-up training steps, `steps` timed steps on one fixed random
// batch, one warm-up generation, one timed generation. engine-bench.ts repeats it and interleaves
// it with the PyTorch reference; this module is only what one repetition measures.
import * as tf from "@tensorflow/tfjs";
import { ModelConfigSchema, type ModelConfig } from "../engine/config.js";
import { GPT } from "../engine/gpt.js";
import { generate } from "../engine/sample.js";
import { Trainer, type TokenBatch } from "../engine/train.js";
import { Rng } from "../util/rng.js";
import { benchTokenizer, type BenchShape } from "./common.js";

/** torch_ref.py's warm-up is fixed at 3 steps; ours must match or the comparison is off. */
export const WARMUP_STEPS = 3;

/** What one run of our engine measured. */
export interface OurFigures {
  params: number;
  trainMsPerStep: number;
  trainTokensPerS: number;
  genTokensPerS: number;
}

/** A shape's model configuration; throws (zod) on a shape no model can have. */
export function modelConfig(shape: BenchShape, contextLength: number): ModelConfig {
  return ModelConfigSchema.parse({
    vocabSize: shape.vocab,
    contextLength,
    dModel: shape.dModel,
    nLayers: shape.layers,
    nHeads: shape.heads,
    mlpRatio: 4,
    valueHead: false,
  });
}

/** torch_ref's batch: independent uniform ids and targets over the whole vocabulary, every token counted. */
function randomBatch(shape: BenchShape, seed: number): TokenBatch {
  const rng = new Rng(seed);
  const n = shape.batch * shape.context;
  const ids = new Int32Array(n);
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    ids[i] = rng.int(0, shape.vocab - 1);
    targets[i] = rng.int(0, shape.vocab - 1);
  }
  return { batch: shape.batch, length: shape.context, ids, targets, weights: new Float32Array(n).fill(1) };
}

interface Models {
  model: GPT;
  genModel: GPT;
  trainer: Trainer;
}

function buildModels(shape: BenchShape, seed: number): Models {
  const holder: { built?: Models } = {};
  // GPT and AdamW wrap each initial tensor in a variable without disposing the tensor, and a
  // variable shares its buffer with it, so model.dispose() alone would leave every buffer
  // allocated. tidy() disposes those temporaries (variables survive a tidy), so repeated runs
  // neither grow memory nor skew later timings.
  tf.tidy(() => {
    const model = GPT.create(modelConfig(shape, shape.context), seed);
    // torch_ref samples `context` tokens from one start token, the last from position
    // context-1. generate() counts the prompt against the context, so one extra position row
    // lets it sample the same `context` tokens with the same attention lengths (1..context);
    // the extra row is never read and costs nothing measurable.
    const genModel = GPT.create(modelConfig(shape, shape.context + 1), seed + 1);
    holder.built = { model, genModel, trainer: new Trainer(model) };
  });
  if (!holder.built) throw new Error("bench: model construction produced nothing");
  return holder.built;
}

/** One run of our engine on one shape, the same protocol as one torch_ref.py invocation. */
export function runOurs(shape: BenchShape, steps: number, seed: number): OurFigures {
  const tokenizer = benchTokenizer(shape.vocab);
  const { model, genModel, trainer } = buildModels(shape, seed);
  try {
    const batch = randomBatch(shape, seed + 2);
    for (let i = 0; i < WARMUP_STEPS; i++) trainer.stepNll(batch);
    let t0 = performance.now();
    for (let i = 0; i < steps; i++) trainer.stepNll(batch);
    const trainS = (performance.now() - t0) / 1000 / steps;

    const prompts = Array.from({ length: shape.genBatch }, () => [tokenizer.bos]);
    const sampleOpts = { maxTokens: shape.context, temperature: 1, ignoreEos: true, seed: seed + 3 };
    generate(genModel, tokenizer, prompts, sampleOpts);
    t0 = performance.now();
    const out = generate(genModel, tokenizer, prompts, sampleOpts);
    const genS = (performance.now() - t0) / 1000;
    const generated = out.reduce((n, s) => n + s.tokens.length, 0);
    const expected = shape.genBatch * shape.context;
    // A different count would silently compare unequal work, so it is a bug, not a figure.
    if (generated !== expected) throw new Error(`bench: generated ${generated} tokens, expected ${expected}`);
    return {
      params: model.parameterCount(),
      trainMsPerStep: trainS * 1000,
      trainTokensPerS: (shape.batch * shape.context) / trainS,
      genTokensPerS: expected / genS,
    };
  } finally {
    trainer.dispose();
    model.dispose();
    genModel.dispose();
  }
}
