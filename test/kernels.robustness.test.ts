// Robustness of the fused path as a whole, on a model every fused kernel applies to (dModel 48,
// 4 heads, hd 12, value head):
//  - 20 rounds of training (plain NLL, a left-padded masked loss on the top layers only) and
//    generation (left-padded prompts, sampled and greedy) plus scoring keep tf.memory() flat
//    after a warm-up round: no tensor, data buffer or byte grows; the wasm heap does not grow
//    either (the kernels' _malloc'd scratch is reused, not leaked);
//  - every fused kernel family actually ran in those rounds;
//  - relaxed SIMD: wasm/runtime.ts turns on V8's --experimental-wasm-relaxed-simd at run time when the
//    FMA probe does not validate (Node 20), and builds FMA modules. The flag call is observed
//    through a pass-through mock of node:v8. (kernels.nofma.test.ts covers the fallback.)
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test, vi } from "vitest";
import { setFlagsFromString } from "node:v8";
import { initBackend } from "../src/engine/backend.js";
import { GPT, MASK_NEG } from "../src/engine/gpt.js";
import { generate } from "../src/engine/sample.js";
import { scoreContinuations } from "../src/engine/score.js";
import { Trainer, packBatch, weightedNllLoss } from "../src/engine/train.js";
import { madd, v4 } from "../src/engine/wasm/asm.js";
import { Func, assemble } from "../src/engine/wasm/module.js";
import { tinyConfig, tinyTokenizer } from "./helpers/engine.js";
import { WA, labelsMatching, wasmHeapBytes, watchKernels, type KernelWatch } from "./helpers/kernels.js";

vi.mock("node:v8", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:v8")>();
  return { ...real, setFlagsFromString: vi.fn((flags: string) => real.setFlagsFromString(flags)) };
});

let watch: KernelWatch;
/** Whether a relaxed-SIMD module validated before wasm/runtime.ts touched the V8 flags. */
let fmaNative = false;

beforeAll(async () => {
  const probe = new Func("probe", []);
  probe.body = [
    (o) => {
      madd(v4(1, 1, 1, 1), v4(1, 1, 1, 1), v4(1, 1, 1, 1)).emit(o);
      o.push(0x1a);
    },
  ];
  fmaNative = WA.validate(assemble([probe]));
  watch = watchKernels();
  expect((await initBackend("wasm")).active).toBe("wasm");
});

const config = tinyConfig({ contextLength: 13, dModel: 48, nHeads: 4, nLayers: 2, mlpRatio: 4, valueHead: true });
const tokenizer = tinyTokenizer();
const batch = packBatch(
  [
    { tokens: [1, 4, 5, 6, 7, 2], weights: [0, 0, 1, 1, 1, 1] },
    { tokens: [1, 8, 9, 2], weights: [0, 1, 1, 1] },
    { tokens: [1, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11, 2], weights: [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
  ],
  tokenizer.pad,
);
const prompts = [
  [1, 4, 5],
  [1, 6],
  [1, 7, 8, 9, 10, 4],
];

/** A PPO-like loss: left padding (positions + key mask), values, weighted log-probs. */
function paddedLoss(model: GPT): { loss: tf.Scalar } {
  const B = 2;
  const T = 9;
  const ids = tf.tensor2d([0, 0, 0, 1, 4, 5, 6, 7, 8, 1, 9, 10, 11, 4, 5, 6, 7, 8], [B, T], "int32");
  const pos = tf.tensor2d([0, 0, 0, 0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5, 6, 7, 8], [B, T], "int32");
  const mask = tf.tensor4d([MASK_NEG, MASK_NEG, MASK_NEG, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [B, 1, 1, T]);
  const { logits, values } = model.forward(ids, { positions: pos, keyMask: mask, withValues: true });
  const w = tf.tensor1d([0, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
  const lp = tf.sum(
    tf.mul(
      tf.logSoftmax(logits),
      tf.oneHot(tf.tensor1d([0, 0, 0, 4, 5, 6, 7, 8, 0, 9, 10, 11, 4, 5, 6, 7, 8, 0], "int32"), config.vocabSize),
    ),
    1,
  );
  return {
    loss: tf.add(tf.neg(tf.mean(tf.mul(lp, w))), tf.mean(tf.mul(tf.square(values as tf.Tensor1D), w))) as tf.Scalar,
  };
}

interface Usage {
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  heap: number;
}
function usage(): Usage {
  const m = tf.memory();
  return { numTensors: m.numTensors, numDataBuffers: m.numDataBuffers, numBytes: m.numBytes, heap: wasmHeapBytes() };
}

describe("fused path over many rounds", () => {
  test("20 rounds of train + generate + score leave tf.memory() and the wasm heap flat; every kernel family ran", () => {
    const model = GPT.create(config, 5);
    const trainer = new Trainer(model, { lr: 1e-2 });
    const round = (i: number): void => {
      trainer.stepNll(batch);
      trainer.step(() => paddedLoss(model), {
        lr: 1e-3,
        trainable: (name) => name.startsWith("h1.") || name === "head" || name === "value",
      });
      generate(model, tokenizer, prompts, { maxTokens: 5, temperature: 1, seed: i });
      generate(model, tokenizer, prompts.slice(0, 1), { maxTokens: 4, temperature: 0, ignoreEos: true });
      scoreContinuations(
        model,
        [
          { prompt: [1, 4], continuation: [5, 6, 2] },
          { prompt: [1], continuation: [9, 10] },
        ],
        { pad: tokenizer.pad },
      );
      const l = tf.tidy(() => weightedNllLoss(model, batch).loss.dataSync()[0] as number);
      if (!Number.isFinite(l)) throw new Error(`round ${i}: loss ${l}`);
    };
    try {
      const { calls } = watch.during(() => round(0));
      const families = new Set([...calls.keys()].map((k) => k.split(/[:.]/)[0]));
      expect([...families].sort()).toEqual(["adam", "attn", "embed", "gelu", "layer", "ln", "mm"]);
      // Masked and unmasked attention, forward and backward.
      expect(labelsMatching(calls, /^attn:.*:true\.bwd$/).length).toBeGreaterThan(0);
      expect(labelsMatching(calls, /^attn:.*:false\.bwd$/).length).toBeGreaterThan(0);
      const base = usage();
      const seen: Usage[] = [];
      for (let i = 1; i <= 20; i++) {
        round(i);
        seen.push(usage());
      }
      expect(seen).toEqual(Array.from({ length: 20 }, () => base));
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });

  test("a model and trainer release everything they created", () => {
    const before = tf.memory().numTensors;
    const model = GPT.create(config, 6);
    const trainer = new Trainer(model);
    trainer.stepNll(batch);
    generate(model, tokenizer, prompts, { maxTokens: 3, seed: 1 });
    trainer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("zero-copy Identity and same-dtype Cast (kernels/zero-copy.ts)", () => {
  test("a clone shares the buffer, survives disposal of the original, and frees it with the last reference", () => {
    const base = tf.memory();
    const x = tf.tensor1d([1.5, -2, 3.25, 4]);
    const afterX = tf.memory();
    const c = tf.clone(x);
    const same = tf.cast(x, "float32");
    // Two more tensors, no new data buffer (tf.memory().numBytes counts per tensor, so it does grow).
    expect(tf.memory().numTensors).toBe(afterX.numTensors + 2);
    expect(tf.memory().numDataBuffers).toBe(afterX.numDataBuffers);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1.5, -2, 3.25, 4]);
    c.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2, 3.25, 4]);
    same.dispose();
    expect(tf.memory().numDataBuffers).toBe(base.numDataBuffers);
    expect(tf.memory().numTensors).toBe(base.numTensors);
    expect(tf.memory().numBytes).toBe(base.numBytes);
  });

  test("a dtype-changing cast still converts (and copies); string tensors still clone", () => {
    tf.tidy(() => {
      const x = tf.tensor1d([1.7, -2.2, 3.9]);
      const i = tf.cast(x, "int32");
      expect(i.dtype).toBe("int32");
      expect(Array.from(i.dataSync())).toEqual([1, -2, 3]);
      const back = tf.cast(i, "float32");
      expect(Array.from(back.dataSync())).toEqual([1, -2, 3]);
      const s = tf.tensor1d(["a", "bc"]);
      expect(tf.clone(s).dataSync()).toEqual(["a", "bc"]);
    });
  });

  test("gradients flow through clone and a same-dtype cast", () => {
    const g = tf.tidy(() =>
      tf
        .grad((x: tf.Tensor) => tf.sum(tf.mul(tf.cast(tf.clone(x), "float32"), tf.clone(x))))(tf.tensor1d([1, 2, 3]))
        .dataSync(),
    );
    expect(Array.from(g)).toEqual([2, 4, 6]);
  });
});

describe("relaxed SIMD", () => {
  test("FMA modules are built; the V8 flag was set at run time exactly when the probe needed it", () => {
    tf.tidy(() => tf.matMul(tf.ones([5, 4]), tf.ones([4, 8])).dataSync());
    const flagCalls = vi.mocked(setFlagsFromString).mock.calls.map((c) => c[0]);
    if (fmaNative) expect(flagCalls).toEqual([]);
    else expect(flagCalls).toEqual(["--experimental-wasm-relaxed-simd"]);
    const withFlag = watch.compiled.filter((l) => /^(mm|layer|attn):/.test(l));
    expect(labelsMatching(new Map(withFlag.map((l) => [l, 1])), /^(mm|layer):.*:true\./).length).toBeGreaterThan(0);
    expect(withFlag.filter((l) => /^(mm|layer):.*:false\./.test(l))).toEqual([]);
  });
});
