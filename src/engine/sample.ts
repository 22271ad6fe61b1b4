// Batched sampling with a KV cache. Prompts of different lengths are left-padded; each row
// gets its own positions and a key mask, so padding never changes what a row sees. The
// token choice happens in JS from one seeded Rng, so a seed reproduces the samples exactly.
import * as tf from "@tensorflow/tfjs";
import { type GPT, type LayerCache, MASK_NEG } from "./gpt.js";
import type { Tokenizer } from "./tokenizer.js";
import { Rng } from "../util/rng.js";

/** How to sample: token budget, temperature (0 = greedy), top-k, stop strings, seed. */
export interface SampleOptions {
  maxTokens: number;
  /** 0 = greedy. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = all). */
  topK?: number;
  /** Stop when the decoded text ends with any of these. */
  stop?: string[];
  seed?: number;
  /** Keep going past <|eos|> (benchmarks, like vLLM's ignore_eos). */
  ignoreEos?: boolean;
}

/** Why sampling stopped: end-of-sequence, a stop string, the token budget, or the model's context. */
export type FinishReason = "eos" | "stop" | "length" | "context";

/**
 * One sampled completion: its tokens, text, per-token log-probabilities (what RL trains on) and why
 * it ended.
 */
export interface Sample {
  /** Generated ids, the eos or stop tokens included. */
  tokens: number[];
  /** Decoded text without eos and without the matched stop string. */
  text: string;
  /** log p(token) under softmax(logits / temperature), one per token. */
  logprobs: number[];
  finishReason: FinishReason;
}

/** Samples completions for prompts with one set of options and one seeded Rng. */
export function generate(
  model: GPT,
  tokenizer: Tokenizer,
  prompts: ReadonlyArray<readonly number[]>,
  opts: SampleOptions,
): Sample[] {
  if (prompts.length === 0) return [];
  return generateGroups(model, tokenizer, [{ prompts, opts }])[0] as Sample[];
}

/**
 * Several sampling calls in one batched forward pass, each keeping its own options and its own
 * seeded Rng (drawn over its own rows, step by step, in order), so a group's tokens equal what
 * generate() gives it alone, provided a row's logits do not depend on its batchmates. On wasm
 * that holds when every group has the same longest prompt (a longer batchmate adds left
 * padding, which moves a row's keys to other SIMD lanes and changes logits' last bits). The
 * worker pool relies on this to merge requests from different actors.
 */
export interface SampleGroup {
  prompts: ReadonlyArray<readonly number[]>;
  opts: SampleOptions;
  /** Pad the batch to at least this prompt length (a chunk keeping its whole call's padding). */
  padTo?: number;
}

/** What generate() would throw for this group alone, or undefined when it is servable. */
export function groupProblem(group: SampleGroup, contextLength: number): string | undefined {
  if (group.prompts.length === 0) return undefined;
  const longest = Math.max(...group.prompts.map((p) => p.length));
  if (longest === 0) return "generate: empty prompt";
  const P = Math.max(longest, group.padTo ?? 0);
  if (P >= contextLength) return `generate: prompt of ${P} tokens leaves no room in context ${contextLength}`;
  return undefined;
}

interface Row {
  group: number;
  prompt: readonly number[];
  max: number;
}

/** Samples every group in one batch; returns one Sample[] per group, in order. */
export function generateGroups(model: GPT, tokenizer: Tokenizer, groups: readonly SampleGroup[]): Sample[][] {
  const ctx = model.config.contextLength;
  for (const g of groups) {
    const problem = groupProblem(g, ctx);
    if (problem) throw new Error(problem);
  }
  const rows: Row[] = [];
  groups.forEach((g, gi) => {
    for (const p of g.prompts) rows.push({ group: gi, prompt: p, max: Math.min(g.opts.maxTokens, ctx - p.length) });
  });
  const B = rows.length;
  const results: Sample[][] = groups.map(() => []);
  if (B === 0) return results;
  const temperature = groups.map((g) => g.opts.temperature ?? 1);
  const topK = groups.map((g) => g.opts.topK ?? 0);
  const stops = groups.map((g) => g.opts.stop ?? []);
  const rngs = groups.map((g) => new Rng(g.opts.seed ?? 0));
  const P = Math.max(
    ...rows.map((r) => r.prompt.length),
    ...groups.map((g) => (g.prompts.length > 0 ? (g.padTo ?? 0) : 0)),
  );
  const maxNew = Math.max(...rows.map((r) => r.max));
  const total = P + maxNew;

  const pad = rows.map((r) => P - r.prompt.length);
  const ids = new Int32Array(B * P).fill(tokenizer.pad);
  const pos = new Int32Array(B * P);
  const mask = new Float32Array(B * total);
  rows.forEach((r, b) => {
    for (let j = 0; j < P; j++) {
      const k = j - (pad[b] as number);
      if (k >= 0) {
        ids[b * P + j] = r.prompt[k] as number;
        pos[b * P + j] = k;
      } else mask[b * total + j] = MASK_NEG;
    }
  });
  const keyMask = tf.tensor4d(mask, [B, 1, 1, total]);

  const out: Sample[] = rows.map(() => ({
    tokens: [],
    text: "",
    logprobs: [],
    finishReason: "length" as FinishReason,
  }));
  const done = rows.map((r) => r.max <= 0);
  let caches: LayerCache[] = [];
  let logits = tf.tidy(() => {
    const needMask = pad.some((x) => x > 0);
    const r = model.forward(tf.tensor2d(ids, [B, P], "int32"), {
      positions: tf.tensor2d(pos, [B, P], "int32"),
      keyMask: needMask ? (tf.slice(keyMask, [0, 0, 0, 0], [B, 1, 1, P]) as tf.Tensor4D) : undefined,
      withCache: true,
    });
    caches = (r.caches ?? []).map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) }));
    return tf.reshape(tf.slice(tf.reshape(r.logits, [B, P, -1]), [0, P - 1, 0], [B, 1, -1]), [B, -1]) as tf.Tensor2D;
  });

  const V = model.config.vocabSize;
  const tokens = new Int32Array(B);
  const positions = new Int32Array(B);
  try {
    for (let t = 0; t < maxNew; t++) {
      const data = logits.dataSync() as Float32Array;
      logits.dispose();
      for (let b = 0; b < B; b++) {
        if (done[b]) {
          tokens[b] = tokenizer.pad;
          continue;
        }
        const row = rows[b] as Row;
        const g = row.group;
        const opts = (groups[g] as SampleGroup).opts;
        const { token, logprob } = pick(
          data.subarray(b * V, (b + 1) * V),
          temperature[g] as number,
          topK[g] as number,
          rngs[g] as Rng,
        );
        const s = out[b] as Sample;
        s.tokens.push(token);
        s.logprobs.push(logprob);
        tokens[b] = token;
        const groupStops = stops[g] as string[];
        if (token === tokenizer.eos && !opts.ignoreEos) {
          s.finishReason = "eos";
          done[b] = true;
        } else if (groupStops.length > 0) {
          const text = tokenizer.decode(s.tokens);
          if (groupStops.some((x) => text.endsWith(x))) {
            s.finishReason = "stop";
            done[b] = true;
          }
        }
        positions[b] = P - (pad[b] as number) + t;
        if (!done[b] && s.tokens.length >= row.max) {
          s.finishReason = s.tokens.length < opts.maxTokens ? "context" : "length";
          done[b] = true;
        }
      }
      if (done.every(Boolean) || t === maxNew - 1) break;
      const prev = caches;
      const r = tf.tidy(() => {
        const step = model.step(
          tf.tensor1d(tokens, "int32"),
          tf.tensor1d(positions, "int32"),
          prev,
          tf.slice(keyMask, [0, 0, 0, 0], [B, 1, 1, P + t + 1]) as tf.Tensor4D,
        );
        return { logits: step.logits, caches: step.caches.map((c) => ({ k: tf.keep(c.k), v: tf.keep(c.v) })) };
      });
      for (const c of prev) {
        c.k.dispose();
        c.v.dispose();
      }
      caches = r.caches;
      logits = r.logits;
    }
  } finally {
    // A throw mid-loop (a kernel error) must not leak the cache: workers live for the whole run.
    if (!logits.isDisposed) logits.dispose();
    for (const c of caches) {
      c.k.dispose();
      c.v.dispose();
    }
    keyMask.dispose();
  }
  rows.forEach((row, b) => {
    const s = out[b] as Sample;
    const groupStops = stops[row.group] as string[];
    let text = tokenizer.decode(s.tokens.filter((x) => x !== tokenizer.eos));
    if (s.finishReason === "stop") {
      const hit = groupStops.find((x) => text.endsWith(x));
      if (hit) text = text.slice(0, text.length - hit.length);
    }
    s.text = text;
    (results[row.group] as Sample[]).push(s);
  });
  return results;
}

/** Chooses one token from a row of logits; returns it with its log-probability. */
function pick(row: Float32Array, temperature: number, topK: number, rng: Rng): { token: number; logprob: number } {
  const V = row.length;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if ((row[i] as number) > (row[best] as number)) best = i;
    return { token: best, logprob: logSoftmaxAt(row, 1, best) };
  }
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, (row[i] as number) / temperature);
  const probs = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) {
    const e = Math.exp((row[i] as number) / temperature - max);
    probs[i] = e;
    z += e;
  }
  const logZ = Math.log(z) + max;
  let allowed = probs;
  if (topK > 0 && topK < V) {
    const kth = Array.from(probs).sort((a, b) => b - a)[topK - 1] as number;
    allowed = probs.map((p) => (p >= kth ? p : 0));
  }
  let total = 0;
  for (let i = 0; i < V; i++) total += allowed[i] as number;
  let u = rng.next() * total;
  let token = V - 1;
  for (let i = 0; i < V; i++) {
    u -= allowed[i] as number;
    if (u < 0) {
      token = i;
      break;
    }
  }
  return { token, logprob: (row[token] as number) / temperature - logZ };
}

function logSoftmaxAt(row: Float32Array, temperature: number, i: number): number {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x / temperature);
  let z = 0;
  for (const x of row) z += Math.exp(x / temperature - max);
  return (row[i] as number) / temperature - max - Math.log(z);
}
