// The KV-cache decoding path (forward withCache, then GPT.step) must produce the same logits as
// recomputing the whole sequence, also for left-padded batches built the way sample.ts builds
// them (per-row positions and an additive key mask); and padding must never change what a row
// samples. Every check runs on cpu and on wasm; a cross-backend check compares the two.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { GPT, MASK_NEG, type LayerCache } from "../src/engine/gpt.js";
import { generate } from "../src/engine/sample.js";
import { Rng } from "../src/util/rng.js";
import { maxAbsDiff, spreadParameters, tinyConfig, tinyTokenizer } from "./helpers/engine.js";

const config = tinyConfig({ contextLength: 16, dModel: 16, nLayers: 2, nHeads: 2, mlpRatio: 2 });
const weights = spreadParameters(config, 21, 0.3);
const tokenizer = tinyTokenizer();
const V = config.vocabSize;
const TOL = 1e-4;

function randomTokens(rng: Rng, n: number): number[] {
  // Ordinary tokens only (ids 4..11), so no row ever contains the pad id by accident.
  return Array.from({ length: n }, () => rng.int(4, V - 1));
}

/** Full-recompute logits of one unpadded sequence: [T][V]. */
function fullLogits(model: GPT, seq: readonly number[]): number[][] {
  const data = tf.tidy(() => model.forward(tf.tensor2d([...seq], [1, seq.length], "int32")).logits.dataSync());
  return seq.map((_, t) => Array.from(data.subarray(t * V, (t + 1) * V)));
}

/**
 * Teacher-forced decoding through the cache, exactly as sample.ts drives it: left-pad the
 * prompts to P, prefill with positions + key mask, then feed `forced[b][t]` one step at a time.
 * Returns per row the logits after the prompt and after each forced token: [B][n+1][V].
 */
function cachedLogits(model: GPT, prompts: number[][], forced: number[][], pad: number): number[][][] {
  const B = prompts.length;
  const P = Math.max(...prompts.map((p) => p.length));
  const n = (forced[0] as number[]).length;
  const total = P + n;
  const padBy = prompts.map((p) => P - p.length);
  const ids: number[] = [];
  const pos: number[] = [];
  const mask = new Float32Array(B * total);
  prompts.forEach((p, b) => {
    for (let j = 0; j < P; j++) {
      const k = j - (padBy[b] as number);
      ids.push(k >= 0 ? (p[k] as number) : pad);
      pos.push(Math.max(k, 0));
      if (k < 0) mask[b * total + j] = MASK_NEG;
    }
  });
  const keyMask = tf.tensor4d(mask, [B, 1, 1, total]);
  const out: number[][][] = prompts.map(() => []);
  const record = (logits: tf.Tensor2D): void => {
    const d = logits.dataSync();
    for (let b = 0; b < B; b++) (out[b] as number[][]).push(Array.from(d.subarray(b * V, (b + 1) * V)));
  };
  let caches: LayerCache[] = [];
  tf.tidy(() => {
    const r = model.forward(tf.tensor2d(ids, [B, P], "int32"), {
      positions: tf.tensor2d(pos, [B, P], "int32"),
      keyMask: tf.slice(keyMask, [0, 0, 0, 0], [B, 1, 1, P]) as tf.Tensor4D,
      withCache: true,
    });
    caches = (r.caches ?? []).map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
    record(tf.reshape(tf.slice(tf.reshape(r.logits, [B, P, V]), [0, P - 1, 0], [B, 1, V]), [B, V]) as tf.Tensor2D);
  });
  for (let t = 0; t < n; t++) {
    const prev = caches;
    caches = tf.tidy(() => {
      const s = model.step(
        tf.tensor1d(
          forced.map((f) => f[t] as number),
          "int32",
        ),
        tf.tensor1d(
          prompts.map((p) => p.length + t),
          "int32",
        ),
        prev,
        tf.slice(keyMask, [0, 0, 0, 0], [B, 1, 1, P + t + 1]) as tf.Tensor4D,
      );
      record(s.logits);
      return s.caches.map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
    });
    for (const c of prev) {
      c.k.dispose();
      c.v.dispose();
    }
  }
  for (const c of caches) {
    c.k.dispose();
    c.v.dispose();
  }
  keyMask.dispose();
  return out;
}

let cpuReference: number[][];
const refSeq = randomTokens(new Rng(7), 12);

beforeAll(async () => {
  await initBackend("wasm");
  await tf.setBackend("cpu");
  const m = new GPT(config, weights);
  cpuReference = fullLogits(m, refSeq);
  m.dispose();
});

describe.each(["cpu", "wasm"])("KV cache on %s", (backend) => {
  let model: GPT;
  beforeAll(async () => {
    await tf.setBackend(backend);
    model = new GPT(config, weights);
    return () => model.dispose();
  });

  test("prefill + steps equal full recompute (no padding, batch of 2)", () => {
    const rng = new Rng(1);
    const prompts = [randomTokens(rng, 4), randomTokens(rng, 4)];
    const forced = [randomTokens(rng, 8), randomTokens(rng, 8)];
    const cached = cachedLogits(model, prompts, forced, tokenizer.pad);
    prompts.forEach((p, b) => {
      const seq = [...p, ...(forced[b] as number[])];
      const full = fullLogits(model, seq);
      (cached[b] as number[][]).forEach((row, i) => {
        expect(maxAbsDiff(row, full[p.length - 1 + i] as number[]), `row ${b} step ${i}`).toBeLessThan(TOL);
      });
    });
  });

  test("left-padded prompts of different lengths: every row equals its own unpadded recompute", () => {
    const rng = new Rng(2);
    const prompts = [randomTokens(rng, 3), randomTokens(rng, 7), randomTokens(rng, 1), randomTokens(rng, 5)];
    const forced = prompts.map(() => randomTokens(rng, 6));
    const cached = cachedLogits(model, prompts, forced, tokenizer.pad);
    prompts.forEach((p, b) => {
      const full = fullLogits(model, [...p, ...(forced[b] as number[])]);
      (cached[b] as number[][]).forEach((row, i) => {
        expect(
          maxAbsDiff(row, full[p.length - 1 + i] as number[]),
          `row ${b} (prompt ${p.length}) step ${i}`,
        ).toBeLessThan(TOL);
      });
    });
  });

  test("decoding up to the last context position through the cache", () => {
    const rng = new Rng(3);
    const prompt = randomTokens(rng, 2);
    const forced = randomTokens(rng, config.contextLength - 2 - 1);
    const cached = cachedLogits(model, [prompt], [forced], tokenizer.pad)[0] as number[][];
    const full = fullLogits(model, [...prompt, ...forced]);
    expect(full.length).toBe(config.contextLength - 1);
    cached.forEach((row, i) => expect(maxAbsDiff(row, full[1 + i] as number[])).toBeLessThan(TOL));
  });

  test("greedy samples of a prompt are the same alone and batched with a longer prompt", () => {
    const rng = new Rng(4);
    const short = randomTokens(rng, 2);
    const long = randomTokens(rng, 6);
    const opts = { maxTokens: 8, temperature: 0, ignoreEos: true };
    const alone = generate(model, tokenizer, [short], opts)[0];
    const batched = generate(model, tokenizer, [long, short, long.slice(0, 4)], opts);
    const inBatch = batched[1];
    if (!alone || !inBatch) throw new Error("missing sample");
    expect(inBatch.tokens).toEqual(alone.tokens);
    expect(maxAbsDiff(inBatch.logprobs, alone.logprobs)).toBeLessThan(TOL);
    const longAlone = generate(model, tokenizer, [long], opts)[0];
    expect(batched[0]?.tokens).toEqual(longAlone?.tokens);
  });

  test("full-recompute logits agree with the cpu backend", () => {
    const mine = fullLogits(model, refSeq);
    mine.forEach((row, t) => expect(maxAbsDiff(row, cpuReference[t] as number[]), `position ${t}`).toBeLessThan(TOL));
    // The logits depend on the input: a different token changes the last row.
    const other = fullLogits(model, [...refSeq.slice(0, -1), (((refSeq.at(-1) as number) - 4 + 1) % 8) + 4]);
    expect(maxAbsDiff(other.at(-1) as number[], mine.at(-1) as number[])).toBeGreaterThan(1e-3);
  });
});
