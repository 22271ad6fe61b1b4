// The generation-pool section of `selfimprove bench` (issue 4): generation tokens/s in-process
// vs 1 and 2 Piscina workers on the engine bench's shapes and protocol (genBatch prompts of one
// start token, `context` tokens each, temperature 1, eos ignored), the share of each pooled
// call's wall time spent outside model compute (dispatch, messaging, result copies), and an R3
// step's wall time in-process vs with workers.
//
// With several workers one call is split into one chunk per worker (PoolOptions.splitRows): a
// single call is what the engine bench times, and only a split call can use a second worker.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BackendRequest } from "../engine/backend.js";
import { ModelConfigSchema, type ModelConfig } from "../engine/config.js";
import { GPT, initialParameters } from "../engine/gpt.js";
import { generate } from "../engine/sample.js";
import { PoolPolicy, statsDelta } from "../pool/pool-policy.js";
import { benchTokenizer, median, type BenchShape, type Sampled } from "./common.js";

export interface PoolBenchOptions {
  shapes: BenchShape[];
  /** Worker counts to time beside in-process (default [1, 2]). */
  workers?: number[];
  /** Timed calls per engine and shape; the median is reported (default 3). */
  repeat?: number;
  seed?: number;
  /** The workers' backend (default wasm). */
  backend?: BackendRequest;
  /** R3 steps to time in-process and pooled (0 skips; default 0). The first step is warm-up. */
  r3Steps?: number;
  /** Worker count for the R3 figure (default 2). */
  r3Workers?: number;
  onProgress?: (label: string) => void;
}

export interface PoolGenWorkers {
  workers: number;
  tokensPerS: Sampled;
  /** Pool median over in-process median. */
  speedup: number;
  /**
   * Share of the call's wall time outside model compute: 1 − (worker compute ÷ workers) ÷ wall.
   * Dispatch, structured-clone copies, thread hops, and any imbalance between workers.
   */
  outsideComputeShare: number;
}

export interface PoolGenRow {
  label: string;
  dModel: number;
  genBatch: number;
  tokensPerCall: number;
  inProcess: Sampled;
  pooled: PoolGenWorkers[];
}

export interface R3StepFigure {
  steps: number;
  workers: number;
  inProcessSeconds: number;
  pooledSeconds: number;
  /** With workers and maxStaleness 1: the next rollout overlaps the Learner's update. */
  stale1Seconds: number;
}

export interface PoolBenchReport {
  cores: number;
  loadAverage: number;
  backend: BackendRequest;
  repeat: number;
  rows: PoolGenRow[];
  r3: R3StepFigure | null;
  /** The target for the share outside model compute. */
  outsideComputeTarget: number;
  notes: string[];
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sampled(xs: number[]): Sampled {
  return { median: round2(median(xs)), best: round2(Math.max(...xs)), samples: xs.map(round2) };
}

/** The engine bench's generation model: one spare position so `context` tokens fit after the start token. */
function genConfig(shape: BenchShape): ModelConfig {
  return ModelConfigSchema.parse({
    vocabSize: shape.vocab,
    contextLength: shape.context + 1,
    dModel: shape.dModel,
    nLayers: shape.layers,
    nHeads: shape.heads,
    mlpRatio: 4,
    valueHead: false,
  });
}

async function genShape(
  shape: BenchShape,
  opts: Required<Pick<PoolBenchOptions, "workers" | "repeat" | "seed" | "backend">>,
  progress: (l: string) => void,
): Promise<PoolGenRow> {
  const tokenizer = benchTokenizer(shape.vocab);
  const config = genConfig(shape);
  const weights = initialParameters(config, opts.seed);
  const promptIds = Array.from({ length: shape.genBatch }, () => [tokenizer.bos]);
  const prompts = promptIds.map((p) => tokenizer.decode(p));
  const sample = { maxTokens: shape.context, temperature: 1, ignoreEos: true };
  const expected = shape.genBatch * shape.context;
  const label = `gen d${shape.dModel} ${shape.genBatch}×${shape.context}`;

  const model = new GPT(config, weights);
  const inProcess: number[] = [];
  try {
    generate(model, tokenizer, promptIds, { ...sample, seed: opts.seed });
    for (let r = 0; r < opts.repeat; r++) {
      const t0 = performance.now();
      const out = generate(model, tokenizer, promptIds, { ...sample, seed: opts.seed + r });
      const s = (performance.now() - t0) / 1000;
      if (out.reduce((n, x) => n + x.tokens.length, 0) !== expected)
        throw new Error("pool bench: in-process generated the wrong token count");
      inProcess.push(expected / s);
    }
  } finally {
    model.dispose();
  }
  progress(`${label} in-process`);

  const pooled: PoolGenWorkers[] = [];
  for (const workers of opts.workers) {
    const pool = await PoolPolicy.start(
      { config, tokenizer: tokenizer.spec, weights },
      { workers, backend: opts.backend, splitRows: workers > 1 ? Math.ceil(shape.genBatch / workers) : 0 },
    );
    const rates: number[] = [];
    const shares: number[] = [];
    try {
      // Warm-up: every worker compiles its kernels for these shapes.
      await pool.complete(prompts, { ...sample, seed: opts.seed });
      for (let r = 0; r < opts.repeat; r++) {
        const before = pool.stats();
        const t0 = performance.now();
        const out = await pool.complete(prompts, { ...sample, seed: opts.seed + r });
        const ms = performance.now() - t0;
        const d = statsDelta(pool.stats(), before);
        if (out.reduce((n, x) => n + x.tokens.length, 0) !== expected)
          throw new Error("pool bench: the pool generated the wrong token count");
        rates.push(expected / (ms / 1000));
        shares.push(Math.max(0, 1 - d.computeMs / Math.min(workers, d.tasks) / ms));
      }
    } finally {
      await pool.close();
    }
    const tps = sampled(rates);
    pooled.push({
      workers,
      tokensPerS: tps,
      speedup: round2(tps.median / median(inProcess)),
      outsideComputeShare: Math.round(median(shares) * 1000) / 1000,
    });
    progress(`${label} ${workers} worker(s)`);
  }
  return {
    label,
    dModel: shape.dModel,
    genBatch: shape.genBatch,
    tokensPerCall: expected,
    inProcess: sampled(inProcess),
    pooled,
  };
}

/**
 * Wall seconds per R3 step in steady state: the mean interval between consecutive step ends
 * (step 1 warms up). Intervals, not per-step durations, because with maxStaleness 1 steps
 * overlap and their durations would count the overlap twice.
 */
async function r3Steps(
  steps: number,
  workers: number,
  seed: number,
  progress: (l: string) => void,
): Promise<R3StepFigure> {
  // Imported here: the runner pulls in every actor and machine, which the generation figures do not need.
  const { loadScenario } = await import("../run/load.js");
  const { ScenarioRun } = await import("../run/runner.js");
  const { scenario } = await loadScenario("r3-countdown");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-pool-bench-"));
  const time = async (w: number, maxStaleness = 0): Promise<number> => {
    const ends: number[] = [];
    const run = await ScenarioRun.create(scenario, {
      out: path.join(dir, `w${w}s${maxStaleness}`),
      steps,
      seed,
      skipEval: true,
      workers: w,
      maxStaleness,
      onStep: () => ends.push(performance.now()),
    });
    await run.run();
    return ends.length > 1
      ? round2(((ends[ends.length - 1] as number) - (ends[0] as number)) / 1000 / (ends.length - 1))
      : NaN;
  };
  try {
    const inProcessSeconds = await time(0);
    progress(`r3 step in-process`);
    const pooledSeconds = await time(workers);
    progress(`r3 step ${workers} workers`);
    const stale1Seconds = await time(workers, 1);
    progress(`r3 step ${workers} workers, maxStaleness 1`);
    return { steps, workers, inProcessSeconds, pooledSeconds, stale1Seconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function runPoolBench(opts: PoolBenchOptions): Promise<PoolBenchReport> {
  const o = {
    workers: opts.workers ?? [1, 2],
    repeat: opts.repeat ?? 3,
    seed: opts.seed ?? 0,
    backend: opts.backend ?? ("wasm" as BackendRequest),
  };
  const progress = opts.onProgress ?? (() => undefined);
  const loadAverage = round2(os.loadavg()[0] ?? 0);
  const rows: PoolGenRow[] = [];
  for (const shape of opts.shapes) rows.push(await genShape(shape, o, progress));
  const r3 =
    opts.r3Steps && opts.r3Steps > 1 ? await r3Steps(opts.r3Steps, opts.r3Workers ?? 2, o.seed, progress) : null;
  const cores = os.cpus().length;
  const notes: string[] = [];
  if (cores <= Math.max(...o.workers))
    notes.push(
      `${cores} cores: ${Math.max(...o.workers)} workers plus the main thread oversubscribe them, so the 2-worker figures understate a larger machine`,
    );
  if (loadAverage > cores / 2)
    notes.push(`load average ${loadAverage} at the start: other work on the machine skews every figure`);
  return { cores, loadAverage, backend: o.backend, repeat: o.repeat, rows, r3, outsideComputeTarget: 0.05, notes };
}

/** The section as text, to follow the engine bench's table. */
export function formatPoolBench(r: PoolBenchReport): string {
  const lines = [
    "",
    `generation pool (issue 4) — ${r.cores} cores, load ${r.loadAverage}, workers on ${r.backend}, median of ${r.repeat}`,
  ];
  const head = ["shape".padEnd(22), "in-process tok/s".padStart(17)];
  const widths = r.rows[0]?.pooled.map((p) => p.workers) ?? [];
  for (const w of widths)
    head.push(`${w} worker${w > 1 ? "s" : ""} tok/s`.padStart(16), "speedup".padStart(8), "outside".padStart(8));
  lines.push(head.join("  "));
  for (const row of r.rows) {
    const cells = [row.label.padEnd(22), Math.round(row.inProcess.median).toLocaleString("en-US").padStart(17)];
    for (const p of row.pooled) {
      cells.push(
        Math.round(p.tokensPerS.median).toLocaleString("en-US").padStart(16),
        `${p.speedup.toFixed(2)}×`.padStart(8),
        `${(p.outsideComputeShare * 100).toFixed(1)}%`.padStart(8),
      );
    }
    lines.push(cells.join("  "));
  }
  lines.push(
    `"outside": share of a pooled call's wall time not spent in worker model compute (target ≤ ${r.outsideComputeTarget * 100}%)`,
  );
  if (r.r3) {
    lines.push(
      `R3 step (r3-countdown, steady state over ${r.r3.steps} steps): in-process ${r.r3.inProcessSeconds.toFixed(2)} s, ${r.r3.workers} workers ${r.r3.pooledSeconds.toFixed(2)} s, ${r.r3.workers} workers with maxStaleness 1 (generation overlaps learning) ${r.r3.stale1Seconds.toFixed(2)} s`,
    );
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join("\n") + "\n";
}
