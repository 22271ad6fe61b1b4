// Regression: a loss may report itself as a metric (GRPO with no KL term returns its policy loss
// as both). Trainer.step disposes the loss after reading it; the metric must survive.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { GPT } from "../src/engine/gpt.js";
import { Trainer, weightedNllLoss, packBatch } from "../src/engine/train.js";

beforeAll(async () => {
  await initBackend("wasm");
});

test("a metric that is the loss tensor itself is reported, and nothing leaks", () => {
  const model = GPT.create(
    { vocabSize: 12, contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, mlpRatio: 2, valueHead: false },
    1,
  );
  const trainer = new Trainer(model, { lr: 1e-3 });
  const batch = packBatch([{ tokens: [1, 2, 3, 4, 5], weights: [0, 1, 1, 1, 1] }], 0);
  const lossFn = () => {
    const { loss } = weightedNllLoss(model, batch);
    return { loss, metrics: { same: loss } };
  };
  trainer.step(lossFn);
  const before = tf.memory().numTensors;
  const r = trainer.step(lossFn);
  expect(r.metrics.same).toBeCloseTo(r.loss, 6);
  expect(tf.memory().numTensors).toBe(before);
  trainer.dispose();
  model.dispose();
});
