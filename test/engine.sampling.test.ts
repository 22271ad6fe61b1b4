// generate(): seeded reproducibility, greedy = argmax of the full-recompute logits, top-k,
// stop strings, maxTokens, eos, context limits, and log-probs that agree with
// scoreContinuations (the numbers PPO/GRPO use as old log-probs).
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { GPT } from "../src/engine/gpt.js";
import { generate, type Sample } from "../src/engine/sample.js";
import { scoreContinuations } from "../src/engine/score.js";
import { Rng } from "../src/util/rng.js";
import { cloneWeights, maxAbsDiff, spreadParameters, tinyConfig, tinyTokenizer } from "./helpers/engine.js";

const config = tinyConfig({ contextLength: 16, dModel: 16, nLayers: 2, nHeads: 2, mlpRatio: 2 });
const weights = spreadParameters(config, 31, 0.5);
const tokenizer = tinyTokenizer();
const V = config.vocabSize;

let model: GPT;

beforeAll(async () => {
  await initBackend("wasm");
  model = new GPT(config, weights);
});

afterAll(() => model.dispose());

function ordinary(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.int(4, V - 1));
}

const rng0 = new Rng(3);
const prompts = [ordinary(rng0, 3), ordinary(rng0, 6), ordinary(rng0, 1), ordinary(rng0, 4)];

/** Logits for the token after `seq`, by full recompute. */
function nextLogits(seq: readonly number[]): number[] {
  return tf.tidy(() => {
    const { logits } = model.forward(tf.tensor2d([...seq], [1, seq.length], "int32"));
    return Array.from(logits.dataSync().subarray((seq.length - 1) * V, seq.length * V));
  });
}

function logSoftmax(row: readonly number[], temperature: number): number[] {
  const z = row.map((x) => x / temperature);
  const m = Math.max(...z);
  const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

function argmax(row: readonly number[]): number {
  return row.reduce((best, x, i) => (x > (row[best] as number) ? i : best), 0);
}

function topSet(row: readonly number[], k: number): Set<number> {
  return new Set(
    row
      .map((x, i) => [x, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, k)
      .map(([, i]) => i),
  );
}

describe("generate", () => {
  test("same seed reproduces tokens, logprobs, text and finish reasons exactly", () => {
    const opts = { maxTokens: 8, temperature: 1, seed: 17 };
    const a = generate(model, tokenizer, prompts, opts);
    const b = generate(model, tokenizer, prompts, opts);
    expect(b).toEqual(a);
    expect(a.every((s) => s.tokens.length > 0)).toBe(true);
  });

  test("a different seed gives different tokens at temperature 1", () => {
    const opts = { maxTokens: 8, temperature: 1, ignoreEos: true };
    const a = generate(model, tokenizer, prompts, { ...opts, seed: 1 });
    const b = generate(model, tokenizer, prompts, { ...opts, seed: 2 });
    expect(b.map((s) => s.tokens)).not.toEqual(a.map((s) => s.tokens));
  });

  test("greedy (temperature 0) is deterministic, seed-independent and equals the argmax of full recompute", () => {
    const opts = { maxTokens: 8, temperature: 0, ignoreEos: true };
    const a = generate(model, tokenizer, prompts, { ...opts, seed: 1 });
    const b = generate(model, tokenizer, prompts, { ...opts, seed: 999 });
    expect(b).toEqual(a);
    a.forEach((s, i) => {
      const p = prompts[i] as number[];
      s.tokens.forEach((tok, t) => {
        const row = nextLogits([...p, ...s.tokens.slice(0, t)]);
        expect(tok, `prompt ${i} step ${t}`).toBe(argmax(row));
        // Greedy log-probs are reported under softmax(logits) (temperature 1).
        expect(Math.abs((s.logprobs[t] as number) - (logSoftmax(row, 1)[tok] as number))).toBeLessThan(1e-4);
      });
    });
  });

  test("top-k samples only among the k most likely tokens; top-1 equals greedy", () => {
    const many = Array.from({ length: 12 }, () => prompts[1] as number[]);
    const k2 = generate(model, tokenizer, many, { maxTokens: 5, temperature: 1.5, topK: 2, seed: 5, ignoreEos: true });
    const seen = new Set<string>();
    for (const s of k2) {
      s.tokens.forEach((tok, t) => {
        const row = nextLogits([...(prompts[1] as number[]), ...s.tokens.slice(0, t)]);
        expect(topSet(row, 2).has(tok), `step ${t}: token ${tok} not in top-2`).toBe(true);
        // Log-probs stay those of the full tempered softmax (not renormalised over the k).
        expect(Math.abs((s.logprobs[t] as number) - (logSoftmax(row, 1.5)[tok] as number))).toBeLessThan(1e-4);
      });
      seen.add(s.tokens.join(","));
    }
    // With k = 2 at a high temperature the rows do not all collapse onto one sequence.
    expect(seen.size).toBeGreaterThan(1);
    const k1 = generate(model, tokenizer, prompts, { maxTokens: 6, temperature: 1, topK: 1, seed: 8, ignoreEos: true });
    const greedy = generate(model, tokenizer, prompts, { maxTokens: 6, temperature: 0, ignoreEos: true });
    expect(k1.map((s) => s.tokens)).toEqual(greedy.map((s) => s.tokens));
  });

  test("stop strings cut the text, keep the stop tokens and set finishReason stop; other rows are unaffected", () => {
    const base = { maxTokens: 8, temperature: 0, ignoreEos: true };
    const full = generate(model, tokenizer, prompts, base);
    const target = full[0] as Sample;
    expect(target.tokens.length).toBe(8);
    expect(target.tokens.includes(tokenizer.eos)).toBe(false);
    // A stop string made of tokens 4 and 5 of row 0's greedy output (stops are checked after
    // each token, so they must end on a token boundary to match).
    const stop = tokenizer.decode(target.tokens.slice(4, 6));
    const cut = target.text.indexOf(stop);
    expect(cut).toBeGreaterThanOrEqual(0);
    const stopped = generate(model, tokenizer, prompts, { ...base, stop: [stop, "<|never|>"] });
    const s0 = stopped[0] as Sample;
    expect(s0.finishReason).toBe("stop");
    expect(s0.text).toBe(target.text.slice(0, cut));
    expect(tokenizer.decode(s0.tokens)).toBe(target.text.slice(0, cut) + stop);
    expect(s0.logprobs).toEqual(target.logprobs.slice(0, s0.tokens.length));
    stopped.forEach((s, i) => {
      const f = full[i] as Sample;
      if (s.finishReason === "stop") {
        expect(f.text.includes(stop)).toBe(true);
        expect(f.tokens.slice(0, s.tokens.length)).toEqual(s.tokens);
      } else {
        // A row that never produced the stop string continues exactly as without stops.
        expect(f.text.includes(stop)).toBe(false);
        expect(s.tokens).toEqual(f.tokens);
        expect(s.finishReason).toBe("length");
      }
    });
  });

  test("maxTokens is respected (finishReason length) and 0 tokens is allowed", () => {
    for (const maxTokens of [1, 3, 7]) {
      const out = generate(model, tokenizer, prompts, { maxTokens, temperature: 1, seed: 4, ignoreEos: true });
      for (const s of out) {
        expect(s.tokens.length).toBe(maxTokens);
        expect(s.logprobs.length).toBe(maxTokens);
        expect(s.finishReason).toBe("length");
      }
    }
    for (const s of generate(model, tokenizer, prompts, { maxTokens: 0, seed: 4 })) {
      expect(s).toEqual({ tokens: [], text: "", logprobs: [], finishReason: "length" });
    }
    const capped = generate(model, tokenizer, prompts, { maxTokens: 5, temperature: 1, seed: 4 });
    for (const s of capped) expect(s.tokens.length).toBeLessThanOrEqual(5);
  });

  test("eos ends a row with finishReason eos, is kept in tokens and dropped from text; ignoreEos continues", () => {
    const w = cloneWeights(weights);
    const head = w.get("head") as Float32Array;
    const lnfB = w.get("lnf.b") as Float32Array;
    const lnfG = w.get("lnf.g") as Float32Array;
    // A large logit for eos whatever the input.
    for (let d = 0; d < config.dModel; d++) {
      lnfB[d] = 0;
      head[d * V + tokenizer.eos] = 0;
    }
    // Feature 0 of the final LayerNorm is the constant 1, and only eos reads it.
    lnfG[0] = 0;
    lnfB[0] = 1;
    for (let v = 0; v < V; v++) head[v] = v === tokenizer.eos ? 50 : 0;
    const eosModel = new GPT(config, w);
    try {
      const out = generate(eosModel, tokenizer, prompts, { maxTokens: 6, temperature: 1, seed: 2 });
      for (const s of out) {
        expect(s.finishReason).toBe("eos");
        expect(s.tokens).toEqual([tokenizer.eos]);
        expect(s.text).toBe("");
      }
      const more = generate(eosModel, tokenizer, prompts, { maxTokens: 3, temperature: 1, seed: 2, ignoreEos: true });
      for (const s of more) {
        expect(s.tokens).toEqual([tokenizer.eos, tokenizer.eos, tokenizer.eos]);
        expect(s.finishReason).toBe("length");
        expect(s.text).toBe("");
      }
    } finally {
      eosModel.dispose();
    }
  });

  test("log-probs at temperature 1 match scoreContinuations on the same prompt + completion", () => {
    const out = generate(model, tokenizer, prompts, { maxTokens: 9, temperature: 1, seed: 23 });
    const scored = scoreContinuations(
      model,
      out.map((s, i) => ({ prompt: prompts[i] as number[], continuation: s.tokens })),
      { pad: tokenizer.pad, batchSize: 3 },
    );
    out.forEach((s, i) => {
      const sc = scored[i] as Float32Array;
      expect(sc.length).toBe(s.tokens.length);
      expect(maxAbsDiff(s.logprobs, sc), `prompt ${i}`).toBeLessThan(1e-4);
    });
  });

  test("context: a completion that reaches the context limit ends with finishReason context", () => {
    const ctx = config.contextLength;
    const long = ordinary(new Rng(9), ctx - 3);
    const out = generate(model, tokenizer, [long, [5]], { maxTokens: 50, temperature: 1, seed: 3, ignoreEos: true });
    // Each row runs until its own context is full: 3 new tokens for the long prompt, ctx - 1
    // for the one-token prompt, whatever its batchmate.
    expect(out[0]?.tokens.length).toBe(3);
    expect(out[1]?.tokens.length).toBe(ctx - 1);
    for (const s of out) expect(s.finishReason).toBe("context");
    // Their log-probs still match full recompute right up to the last context position.
    const sc = scoreContinuations(model, [{ prompt: long, continuation: (out[0] as Sample).tokens.slice(0, 2) }]);
    expect(maxAbsDiff((out[0] as Sample).logprobs.slice(0, 2), sc[0] as Float32Array)).toBeLessThan(1e-4);
  });

  // Regression: the token budget used to come from the longest prompt in the batch, so a short
  // prompt beside a long one was cut short and reported as "context".
  test("a short prompt's budget and finish reason do not depend on a long batchmate", () => {
    const ctx = config.contextLength;
    const short = [5, 6];
    const long = ordinary(new Rng(12), ctx - 4);
    const opts = { maxTokens: 8, temperature: 0, ignoreEos: true };
    const alone = generate(model, tokenizer, [short], opts)[0] as Sample;
    expect(alone.tokens.length).toBe(8);
    expect(alone.finishReason).toBe("length");
    const batched = generate(model, tokenizer, [long, short], opts)[1] as Sample;
    // Same tokens and finish; log-probs agree to float32 rounding (padding changes the sums' order).
    expect(batched.tokens).toEqual(alone.tokens);
    expect(batched.finishReason).toBe(alone.finishReason);
    expect(maxAbsDiff(batched.logprobs, alone.logprobs)).toBeLessThan(1e-5);
  });

  test("prompts that leave no room, and empty prompts, are clear errors; no prompts is an empty result", () => {
    const ctx = config.contextLength;
    expect(() => generate(model, tokenizer, [ordinary(new Rng(1), ctx)], { maxTokens: 1 })).toThrow(
      /no room in context 16/,
    );
    expect(() => generate(model, tokenizer, [ordinary(new Rng(1), ctx + 4)], { maxTokens: 1 })).toThrow(
      /prompt of 20 tokens/,
    );
    expect(() => generate(model, tokenizer, [[]], { maxTokens: 1 })).toThrow(/empty prompt/);
    expect(generate(model, tokenizer, [], { maxTokens: 3 })).toEqual([]);
    expect(() => scoreContinuations(model, [{ prompt: ordinary(new Rng(1), ctx), continuation: [5] }])).toThrow(
      /exceeds context 16/,
    );
  });
});
