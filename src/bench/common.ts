// What the engine and pool benchmarks share: the shape of one benchmark and the preset grids of
// them, the character tokenizer both time with, and how repeated timings are summarised. A module of its own so that neither
// benchmark imports the other's (engine-bench.ts embeds pool-bench.ts's report in its own).
import { BOS, EOS, PAD, Tokenizer, UNK } from "../engine/tokenizer.js";
import type { TorchRefShape } from "./torch-ref.js";

/** One benchmark shape: the flags torch_ref.py takes. */
export type BenchShape = TorchRefShape;

export const SHAPE_PRESETS = ["small", "all"] as const;
export type ShapePreset = (typeof SHAPE_PRESETS)[number];

const BASE = { vocab: 32, layers: 2, heads: 4, context: 48, batch: 32 } as const;

/** `all` is the grid (d_model 64/128 × generation batch 64/256); `small` is its cheapest cell. */
export function presetShapes(preset: ShapePreset): BenchShape[] {
  if (preset === "small") return [{ ...BASE, dModel: 64, genBatch: 64 }];
  const out: BenchShape[] = [];
  for (const dModel of [64, 128]) for (const genBatch of [64, 256]) out.push({ ...BASE, dModel, genBatch });
  return out;
}

export interface Sampled {
  median: number;
  /** The highest: the run least disturbed by anything else on the machine. */
  best: number;
  samples: number[];
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Two decimals: finer digits are noise and make the JSON hard to read. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export function sampled(samples: number[]): Sampled {
  return { median: round2(median(samples)), best: round2(Math.max(...samples)), samples: samples.map(round2) };
}

const CHAR_POOL = "abcdefghijklmnopqrstuvwxyz .,0123456789+-*/=()";

/** A character tokenizer of exactly `vocab` ids (4 specials + vocab-4 characters), like torch_ref's V. */
export function benchTokenizer(vocab: number): Tokenizer {
  const chars = vocab - 4;
  if (chars < 1 || chars > CHAR_POOL.length)
    throw new Error(`bench: vocab must be 5..${CHAR_POOL.length + 4}, got ${vocab}`);
  return new Tokenizer({ version: 1, specials: [PAD, BOS, EOS, UNK], chars: CHAR_POOL.slice(0, chars) });
}
