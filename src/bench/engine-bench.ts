// The engine benchmark behind `selfimprove bench`: training and generation tokens/s of our
// tfjs GPT, measured exactly the way ../shared/bench/torch_ref.py measures PyTorch, with the
// reference run interleaved in the same process lifetime so machine load hits both alike.
//
// One "run" mirrors one torch_ref.py invocation: a fresh model, 3 warm-up training steps,
// `steps` timed steps on one fixed random batch, one warm-up generation, one timed generation.
// Each shape runs `repeat` times on both sides and the median is reported.
import * as tf from "@tensorflow/tfjs";
import os from "node:os";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { describeBackend, initBackend, type BackendRequest } from "../engine/backend.js";
import { ModelConfigSchema, type ModelConfig } from "../engine/config.js";
import { GPT } from "../engine/gpt.js";
import { generate } from "../engine/sample.js";
import { Trainer, type TokenBatch } from "../engine/train.js";
import { Rng } from "../util/rng.js";
import { benchTokenizer, round2, sampled, type BenchShape, type Sampled } from "./common.js";
import type { PoolBenchReport } from "./pool-bench.js";
import { DEFAULT_PYTHON, defaultTorchScript, runTorchRef, type TorchRefFigures } from "./torch-ref.js";

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

/** torch_ref.py's warm-up is fixed at 3 steps; ours must match or the comparison is off. */
export const WARMUP_STEPS = 3;

/** The bar for each figure: `target` is the goal, `required` what the issue accepts. */
export const THRESHOLDS = {
  train: { target: 1.0, required: 0.25 },
  gen: { target: 1.5, required: 1.0 },
} as const;

export interface TorchBenchOptions {
  python?: string;
  script?: string;
  /** torch.set_num_threads (torch_ref's --threads). */
  threads?: number;
  timeoutMs?: number;
}

export interface BenchProgress {
  done: number;
  total: number;
  /** What just finished, e.g. "d64 gen×64 #1 selfimprove" (or why a run did not happen). */
  label: string;
}

export interface EngineBenchOptions {
  backend?: BackendRequest;
  /** Timed training steps per run (default 10, torch_ref's default). */
  steps?: number;
  /** Runs per shape and engine; the median is reported (default 3). */
  repeat?: number;
  preset?: ShapePreset;
  /** Overrides `preset` (tests use tiny shapes). */
  shapes?: BenchShape[];
  /** false skips the PyTorch reference. */
  torch?: false | TorchBenchOptions;
  seed?: number;
  onProgress?: (p: BenchProgress) => void;
}

export interface OurFigures {
  params: number;
  trainMsPerStep: number;
  trainTokensPerS: number;
  genTokensPerS: number;
}

/** Raw figures of one shape, every repetition kept. */
export interface ShapeResult {
  shape: BenchShape;
  ours: { params: number; trainMsPerStep: Sampled; trainTokensPerS: Sampled; genTokensPerS: Sampled };
  torch: { params: number; trainMsPerStep: Sampled; trainTokensPerS: Sampled; genTokensPerS: Sampled } | null;
}

/** One line of the comparison: ours vs torch on one figure. */
export interface BenchRow {
  kind: "train" | "gen";
  label: string;
  dModel: number;
  /** Generation rows only. */
  genBatch: number | null;
  /** Tokens in one timed step (train) or one timed generation (gen). */
  tokensPerUnit: number;
  ours: Sampled;
  torch: Sampled | null;
  /** ours / torch (median over median); null without torch figures. */
  ratio: number | null;
  /**
   * ours / torch, best over best. Under load the two drift apart: a median ratio far above
   * this one says interference hit one engine harder (multi-threaded torch, usually).
   */
  ratioOfBest: number | null;
  target: number;
  required: number;
  meetsRequired: boolean | null;
  meetsTarget: boolean | null;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  /** 1-minute load average when the bench started: other work on the machine skews both engines. */
  loadAverage: number;
  /** The same at the end; our own runs add about 1 (wasm) to 2 (torch) to it. */
  loadAverageEnd: number;
}

export interface BackendInfo {
  active: string;
  requested: BackendRequest;
  description: string;
  /** wasm's worker threads (1 = single-threaded); null for other backends. */
  threads: number | null;
}

export type TorchStatus = "ok" | "partial" | "failed" | "not-installed" | "disabled";

export interface TorchSummary {
  status: TorchStatus;
  /** torch_ref's engine line, e.g. "pytorch 2.1.0 cpu, 2 threads". */
  engine: string | null;
  python: string | null;
  script: string | null;
  threads: number | null;
  /** Why runs failed or did not happen (deduplicated). */
  messages: string[];
  /** The install command, when torch is missing. */
  install: string | null;
}

export interface BenchReport {
  kind: "selfimprove-bench";
  version: 1;
  startedAt: string;
  seconds: number;
  machine: MachineInfo;
  backend: BackendInfo;
  settings: { steps: number; warmupSteps: number; repeat: number; seed: number; shapes: ShapePreset | "custom" };
  torch: TorchSummary;
  shapes: ShapeResult[];
  /** Training per model size (pooled over that size's runs), then generation per shape. */
  rows: BenchRow[];
  /** The generation-pool section (issue 4), when the bench command ran it. */
  pool?: PoolBenchReport;
  summary: {
    trainMinRatio: number | null;
    genMinRatio: number | null;
    /** null when there is nothing to compare against. */
    meetsRequired: boolean | null;
    meetsTarget: boolean | null;
  };
}

function modelConfig(shape: BenchShape, contextLength: number): ModelConfig {
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

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown CPU",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: round2(os.loadavg()[0] ?? 0),
    loadAverageEnd: round2(os.loadavg()[0] ?? 0),
  };
}

async function wasmThreads(active: string): Promise<number | null> {
  if (active !== "wasm") return null;
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    return wasm.getThreadsCount();
  } catch {
    return null;
  }
}

function shapeLabel(s: BenchShape): string {
  return `d${s.dModel} gen×${s.genBatch}`;
}

function sameModel(a: BenchShape, b: BenchShape): boolean {
  return (
    a.vocab === b.vocab &&
    a.dModel === b.dModel &&
    a.layers === b.layers &&
    a.heads === b.heads &&
    a.context === b.context &&
    a.batch === b.batch
  );
}

function row(kind: "train" | "gen", label: string, shape: BenchShape, ours: number[], torch: number[]): BenchRow {
  const { target, required } = THRESHOLDS[kind];
  const o = sampled(ours);
  const t = torch.length > 0 ? sampled(torch) : null;
  const ratio = t ? Math.round((o.median / t.median) * 1000) / 1000 : null;
  const ratioOfBest = t ? Math.round((o.best / t.best) * 1000) / 1000 : null;
  return {
    kind,
    label,
    dModel: shape.dModel,
    genBatch: kind === "gen" ? shape.genBatch : null,
    tokensPerUnit: kind === "train" ? shape.batch * shape.context : shape.genBatch * shape.context,
    ours: o,
    torch: t,
    ratio,
    ratioOfBest,
    target,
    required,
    meetsRequired: ratio === null ? null : ratio >= required,
    meetsTarget: ratio === null ? null : ratio >= target,
  };
}

function allOrNull(xs: Array<boolean | null>): boolean | null {
  const known = xs.filter((x): x is boolean => x !== null);
  return known.length === 0 ? null : known.every(Boolean);
}

function minOrNull(xs: Array<number | null>): number | null {
  const known = xs.filter((x): x is number => x !== null);
  return known.length === 0 ? null : Math.min(...known);
}

/** Runs the whole benchmark. Library form so later sections (worker pool, R3 step) can join the report. */
export async function runEngineBench(opts: EngineBenchOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  // Taken before our own runs raise it.
  const machine = machineInfo();
  const steps = opts.steps ?? 10;
  const repeat = opts.repeat ?? 3;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`bench: steps must be a positive integer, got ${steps}`);
  if (!Number.isInteger(repeat) || repeat < 1)
    throw new Error(`bench: repeat must be a positive integer, got ${repeat}`);
  const shapes = opts.shapes ?? presetShapes(opts.preset ?? "all");
  if (shapes.length === 0) throw new Error("bench: no shapes to run");
  for (const s of shapes) modelConfig(s, s.context); // reject an impossible shape before any timing

  const choice = await initBackend(opts.backend ?? "auto");
  const backend: BackendInfo = {
    active: choice.active,
    requested: choice.requested,
    description: describeBackend(choice),
    threads: await wasmThreads(choice.active),
  };

  const torchOpts = opts.torch === false ? null : (opts.torch ?? {});
  const torch: TorchSummary = {
    status: torchOpts ? "ok" : "disabled",
    engine: null,
    python: torchOpts ? (torchOpts.python ?? DEFAULT_PYTHON) : null,
    script: torchOpts ? (torchOpts.script ?? defaultTorchScript()) : null,
    threads: torchOpts ? (torchOpts.threads ?? 2) : null,
    messages: [],
    install: null,
  };
  let torchUsable = torchOpts !== null;
  let torchOk = 0;
  let torchFailed = 0;

  const ours = shapes.map(() => [] as OurFigures[]);
  const theirs = shapes.map(() => [] as TorchRefFigures[]);
  let done = 0;
  let oursLeft = repeat * shapes.length;
  let torchLeft = torchUsable ? oursLeft : 0;
  const tick = async (label: string): Promise<void> => {
    done += 1;
    // The total shrinks when torch turns out to be missing, so the bar still ends at 100%.
    opts.onProgress?.({ done, total: done + oursLeft + (torchUsable ? torchLeft : 0), label });
    // Our runs are synchronous wasm; yielding lets a progress bar's timer redraw between them.
    await yieldToEventLoop();
  };

  const runMine = async (i: number, rep: number): Promise<void> => {
    const shape = shapes[i] as BenchShape;
    (ours[i] as OurFigures[]).push(runOurs(shape, steps, seed + rep * 1000 + i * 10));
    oursLeft -= 1;
    await tick(`${shapeLabel(shape)} #${rep + 1} selfimprove`);
  };
  const runTheirs = async (i: number, rep: number): Promise<void> => {
    if (!torchOpts || !torchUsable) return;
    const shape = shapes[i] as BenchShape;
    const r = await runTorchRef({
      shape,
      steps,
      threads: torch.threads ?? 2,
      python: torch.python ?? undefined,
      // Only a script the user named: the default's absence is reported without its path.
      script: torchOpts.script,
      timeoutMs: torchOpts.timeoutMs,
    });
    torchLeft -= 1;
    if (r.status === "not-installed") {
      // Nothing will change between runs, so stop asking and let the report say so loudly. No
      // run happened: the count stays, the total drops, and the label says so.
      if (!torch.messages.includes(r.message)) torch.messages.push(r.message);
      torch.install = r.install;
      torchUsable = false;
      opts.onProgress?.({ done, total: done + oursLeft, label: "pytorch reference not available: selfimprove only" });
      return;
    }
    if (r.status === "ok") {
      (theirs[i] as TorchRefFigures[]).push(r.figures);
      torch.engine = r.figures.engine;
      torchOk += 1;
    } else {
      if (!torch.messages.includes(r.message)) torch.messages.push(r.message);
      torchFailed += 1;
    }
    await tick(`${shapeLabel(shape)} #${rep + 1} pytorch${r.status === "ok" ? "" : " (failed)"}`);
  };

  for (let rep = 0; rep < repeat; rep++) {
    for (let i = 0; i < shapes.length; i++) {
      // Alternating who goes first cancels a steady drift (thermal, other load) between the two.
      if (rep % 2 === 0) {
        await runMine(i, rep);
        await runTheirs(i, rep);
      } else {
        await runTheirs(i, rep);
        await runMine(i, rep);
      }
    }
  }

  if (torchOpts) {
    if (torch.install !== null) torch.status = "not-installed";
    else if (torchFailed > 0) torch.status = torchOk > 0 ? "partial" : "failed";
  }

  const results: ShapeResult[] = shapes.map((shape, i) => {
    const o = ours[i] as OurFigures[];
    const t = theirs[i] as TorchRefFigures[];
    return {
      shape,
      ours: {
        params: o[0]?.params ?? 0,
        trainMsPerStep: sampled(o.map((f) => f.trainMsPerStep)),
        trainTokensPerS: sampled(o.map((f) => f.trainTokensPerS)),
        genTokensPerS: sampled(o.map((f) => f.genTokensPerS)),
      },
      torch:
        t.length === 0
          ? null
          : {
              params: t[0]?.params ?? 0,
              trainMsPerStep: sampled(t.map((f) => f.trainMsPerStep)),
              trainTokensPerS: sampled(t.map((f) => f.trainTokensPerS)),
              genTokensPerS: sampled(t.map((f) => f.genTokensPerS)),
            },
    };
  });

  const rows: BenchRow[] = [];
  // Training does not depend on the generation batch, so every run of one model size is a
  // training sample of that size: pooled, on both sides equally.
  const seen: BenchShape[] = [];
  for (const shape of shapes) {
    if (seen.some((s) => sameModel(s, shape))) continue;
    seen.push(shape);
    const idx = shapes.map((s, i) => (sameModel(s, shape) ? i : -1)).filter((i) => i >= 0);
    rows.push(
      row(
        "train",
        `train d${shape.dModel} ${shape.batch}×${shape.context}`,
        shape,
        idx.flatMap((i) => (ours[i] as OurFigures[]).map((f) => f.trainTokensPerS)),
        idx.flatMap((i) => (theirs[i] as TorchRefFigures[]).map((f) => f.trainTokensPerS)),
      ),
    );
  }
  shapes.forEach((shape, i) => {
    rows.push(
      row(
        "gen",
        `gen d${shape.dModel} ${shape.genBatch}×${shape.context}`,
        shape,
        (ours[i] as OurFigures[]).map((f) => f.genTokensPerS),
        (theirs[i] as TorchRefFigures[]).map((f) => f.genTokensPerS),
      ),
    );
  });

  return {
    kind: "selfimprove-bench",
    version: 1,
    startedAt,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    machine: { ...machine, loadAverageEnd: round2(os.loadavg()[0] ?? 0) },
    backend,
    settings: {
      steps,
      warmupSteps: WARMUP_STEPS,
      repeat,
      seed,
      shapes: opts.shapes ? "custom" : (opts.preset ?? "all"),
    },
    torch,
    shapes: results,
    rows,
    summary: {
      trainMinRatio: minOrNull(rows.filter((r) => r.kind === "train").map((r) => r.ratio)),
      genMinRatio: minOrNull(rows.filter((r) => r.kind === "gen").map((r) => r.ratio)),
      meetsRequired: allOrNull(rows.map((r) => r.meetsRequired)),
      meetsTarget: allOrNull(rows.map((r) => r.meetsTarget)),
    },
  };
}
