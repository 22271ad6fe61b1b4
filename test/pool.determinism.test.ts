// Same seed and weights → same tokens, whether a call is sampled in-process or by a pool
// worker, alone or merged into one forward pass with other actors' calls, before and after a
// weight update. The in-process LanguageModel is the reference for every comparison.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { ModelConfigSchema } from "../src/engine/config.js";
import { GPT } from "../src/engine/gpt.js";
import { LanguageModel } from "../src/engine/language-model.js";
import { generate, type Sample, type SampleOptions } from "../src/engine/sample.js";
import { Tokenizer } from "../src/engine/tokenizer.js";
import { COUNTDOWN_TOKENIZER } from "../src/tasks/countdown/prompts.js";
import { generateGroups } from "../src/engine/sample.js";
import { chunkSeed, PoolPolicy } from "../src/pool/pool-policy.js";
import { InProcessPolicy } from "../src/engine/policy.js";
import { Rng } from "../src/util/rng.js";
import { spreadParameters } from "./helpers/engine.js";

const tokenizer = new Tokenizer(COUNTDOWN_TOKENIZER);
const config = ModelConfigSchema.parse({
  vocabSize: tokenizer.vocabSize,
  contextLength: 32,
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  mlpRatio: 2,
});
const weights0 = spreadParameters(config, 5, 0.3);

let lm: LanguageModel;
let pool: PoolPolicy;

beforeAll(async () => {
  await initBackend("wasm");
  lm = new LanguageModel(new GPT(config, weights0), tokenizer);
  pool = await PoolPolicy.start({ config, tokenizer: COUNTDOWN_TOKENIZER, weights: weights0 }, { workers: 2 });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  lm?.dispose();
});

/** What a sample is, without the version stamp: tokens, log-probs, text and why it ended. */
function essence(samples: readonly Sample[]): unknown {
  return samples.map((s) => ({ tokens: s.tokens, logprobs: s.logprobs, text: s.text, finishReason: s.finishReason }));
}

const PROMPTS = [
  "<|bos|>3 5 7=12<|ans|>",
  "<|bos|>1 2=3<|ans|>",
  "<|bos|>10 20 30=60<|ans|>",
  "<|bos|>9=9<|ans|>",
  "<|bos|>4 4 4 4=16<|ans|>",
  "<|bos|>2 8=10<|ans|>",
];
/** The longest prompt (13 tokens): calls that include it have the same padding, so merge exactly. */
const LONGEST = PROMPTS[2] as string;

/** Calls like the actors make: different seeds, options and prompt counts. */
const CALLS: Array<{ prompts: string[]; opts: SampleOptions }> = [
  { prompts: [...PROMPTS.slice(0, 3), LONGEST], opts: { maxTokens: 12, temperature: 1, seed: 11 } },
  { prompts: PROMPTS.slice(2, 6), opts: { maxTokens: 12, temperature: 1, seed: 12 } },
  { prompts: [LONGEST, PROMPTS[1] as string], opts: { maxTokens: 12, temperature: 0, seed: 13 } },
  { prompts: PROMPTS.slice(0, 5), opts: { maxTokens: 12, temperature: 0.7, topK: 5, seed: 14 } },
  {
    prompts: [...PROMPTS.slice(3, 6), LONGEST],
    opts: { maxTokens: 12, temperature: 1.3, stop: ["+", "<|retry|>"], seed: 15 },
  },
  { prompts: PROMPTS.slice(0, 6), opts: { maxTokens: 6, temperature: 1, seed: 16 } },
  { prompts: [LONGEST, ...PROMPTS.slice(4, 6)], opts: { maxTokens: 40, temperature: 1, seed: 17 } },
  // Shorter longest prompts: these never merge with the calls above in "exact" mode.
  { prompts: PROMPTS.slice(0, 2), opts: { maxTokens: 12, temperature: 1, seed: 18 } },
  {
    prompts: [PROMPTS[1] as string, PROMPTS[3] as string, PROMPTS[0] as string],
    opts: { maxTokens: 12, temperature: 1, seed: 19 },
  },
];

describe("merged sampling (generateGroups) equals one generate() per call", () => {
  test("mixed seeds, temperatures, topK, stops and maxTokens in one batch of equal longest prompts", () => {
    expect(Math.max(...PROMPTS.map((p) => tokenizer.encode(p).length))).toBe(tokenizer.encode(LONGEST).length);
    const calls = CALLS.filter((c) => c.prompts.includes(LONGEST));
    expect(calls.length).toBeGreaterThanOrEqual(5);
    const groups = calls.map((c) => ({ prompts: c.prompts.map((p) => tokenizer.encode(p)), opts: c.opts }));
    const merged = generateGroups(lm.model, tokenizer, groups);
    expect(merged).toHaveLength(calls.length);
    groups.forEach((g, i) =>
      expect(essence(merged[i] as Sample[])).toEqual(essence(generate(lm.model, tokenizer, g.prompts, g.opts))),
    );
  });

  test("random batches (each group holds the longest prompt)", () => {
    const rng = new Rng(99);
    for (let trial = 0; trial < 5; trial++) {
      const groups = Array.from({ length: rng.int(1, 4) }, () => ({
        prompts: [LONGEST, ...Array.from({ length: rng.int(0, 4) }, () => rng.pick(PROMPTS))].map((p) =>
          tokenizer.encode(p),
        ),
        opts: {
          maxTokens: rng.int(1, 20),
          temperature: rng.pick([0, 0.5, 1, 2]),
          topK: rng.pick([0, 3]),
          seed: rng.int(0, 1e6),
        },
      }));
      const merged = generateGroups(lm.model, tokenizer, groups);
      groups.forEach((g, i) =>
        expect(essence(merged[i] as Sample[])).toEqual(essence(generate(lm.model, tokenizer, g.prompts, g.opts))),
      );
    }
  });

  test("a batchmate with a longer prompt changes only the last bits (why exact mode does not merge it)", () => {
    const short = {
      prompts: PROMPTS.slice(0, 2).map((p) => tokenizer.encode(p)),
      opts: { maxTokens: 1, temperature: 1, seed: 3 },
    };
    const long = { prompts: [tokenizer.encode(LONGEST)], opts: { maxTokens: 1, temperature: 1, seed: 4 } };
    const [merged] = generateGroups(lm.model, tokenizer, [short, long]);
    const alone = generate(lm.model, tokenizer, short.prompts, short.opts);
    (merged as Sample[]).forEach((s, i) =>
      expect(Math.abs((s.logprobs[0] as number) - (alone[i]?.logprobs[0] as number))).toBeLessThan(1e-4),
    );
  });
});

describe("pool vs in-process", () => {
  test("concurrent calls from several actors (merged into shared tasks) give the in-process tokens", async () => {
    const before = pool.stats().mergedCalls;
    const got = await Promise.all(CALLS.map((c) => pool.complete(c.prompts, c.opts)));
    CALLS.forEach((c, i) => expect(essence(got[i] as Sample[])).toEqual(essence(lm.complete(c.prompts, c.opts))));
    for (const samples of got) for (const s of samples) expect(s.weightVersion).toBe(0);
    // Seven calls on two workers: the queue was longer than the free workers, so calls merged.
    expect(pool.stats().mergedCalls).toBeGreaterThan(before);
  });

  test("one call at a time gives the same tokens as the InProcessPolicy", async () => {
    const inProcess = new InProcessPolicy(lm);
    for (const c of CALLS.slice(0, 3)) {
      const a = await pool.complete(c.prompts, c.opts);
      const b = await inProcess.complete(c.prompts, c.opts);
      expect(essence(a)).toEqual(essence(b));
    }
  });

  test("log-probabilities match in-process exactly", async () => {
    const pairs = PROMPTS.map((p, i) => ({
      prompt: p,
      continuation: ["<|yes|>", "<|no|>", "3+4", "(1+2)*3<|eos|>"][i % 4] as string,
    }));
    const [a, b] = await Promise.all([pool.logProb(pairs.slice(0, 3)), pool.logProb(pairs.slice(3))]);
    expect([...(a as number[]), ...(b as number[])]).toEqual(lm.logProb(pairs));
  });

  test("after a weight update the pool samples with the new weights, stamped with their version", async () => {
    const rng = new Rng(4);
    const weights1 = new Map([...weights0].map(([k, v]) => [k, v.map((x) => x + 0.2 * rng.normal())]));
    const oldTokens = essence(lm.complete(CALLS[0]?.prompts ?? [], CALLS[0]?.opts ?? { maxTokens: 1 }));
    lm.model.setWeights(weights1);
    pool.publish(weights1, 1);
    const got = await Promise.all(CALLS.map((c) => pool.complete(c.prompts, c.opts)));
    CALLS.forEach((c, i) => expect(essence(got[i] as Sample[])).toEqual(essence(lm.complete(c.prompts, c.opts))));
    for (const samples of got) for (const s of samples) expect(s.weightVersion).toBe(1);
    expect(essence(got[0] as Sample[])).not.toEqual(oldTokens);
  });

  test("a call the model cannot serve fails alone; its batchmates are answered", async () => {
    const tooLong = "<|bos|>" + "1 ".repeat(20) + "<|ans|>";
    const results = await Promise.allSettled([
      pool.complete(PROMPTS.slice(0, 2), { maxTokens: 8, seed: 1 }),
      pool.complete([tooLong], { maxTokens: 8, seed: 2 }),
      pool.complete(PROMPTS.slice(2, 4), { maxTokens: 8, seed: 3 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/no room in context/);
    expect(essence((results[2] as PromiseFulfilledResult<Sample[]>).value)).toEqual(
      essence(lm.complete(PROMPTS.slice(2, 4), { maxTokens: 8, seed: 3 })),
    );
  });

  test("split calls: chunks on different workers, reproducible by definition (chunk seeds, whole-call padding)", async () => {
    const R = 3;
    const prompts = [PROMPTS[0], PROMPTS[1], PROMPTS[3], LONGEST, PROMPTS[5], PROMPTS[1], PROMPTS[0]] as string[];
    const opts: SampleOptions = { maxTokens: 12, temperature: 1, seed: 77 };
    const P = Math.max(...prompts.map((p) => tokenizer.encode(p).length));
    // The definition, in-process: chunk i alone, seed chunkSeed(seed, i) (chunk 0 keeps the seed), padded to the call's P.
    const reference = [0, 1, 2].flatMap((i) => {
      const part = prompts.slice(i * R, (i + 1) * R).map((p) => tokenizer.encode(p));
      const seed = i === 0 ? 77 : chunkSeed(77, i);
      return generateGroups(lm.model, tokenizer, [{ prompts: part, opts: { ...opts, seed }, padTo: P }])[0] as Sample[];
    });
    pool.splitRows = R;
    try {
      const before = pool.stats().tasks;
      const [a, b] = await Promise.all([
        pool.complete(prompts, opts),
        pool.complete(PROMPTS.slice(0, 2), { maxTokens: 12, seed: 5 }),
      ]);
      expect(essence(a)).toEqual(essence(reference));
      expect(pool.stats().tasks - before).toBeGreaterThanOrEqual(2);
      // A call no larger than a chunk is not split: still exactly the in-process tokens.
      expect(essence(b)).toEqual(essence(lm.complete(PROMPTS.slice(0, 2), { maxTokens: 12, seed: 5 })));
    } finally {
      pool.splitRows = 0;
    }
  });
});
