// The engine benchmark's report (what `selfimprove bench --json` prints and format.ts renders),
// and how it is made from the raw figures: one result per shape with every repetition kept, the
// comparison rows of ours against PyTorch, and the summary of those rows against the bar.
import type { PoolBenchReport } from "./pool-bench.js";
import type { BackendRequest } from "../engine/backend.js";
import { sampled, type BenchShape, type Sampled, type ShapePreset } from "./common.js";
import type { OurFigures } from "./engine-run.js";
import type { TorchRefFigures } from "./torch-ref.js";

/** The bar for each figure: `target` is the goal, `required` what the issue accepts. */
export const THRESHOLDS = {
  train: { target: 1.0, required: 0.25 },
  gen: { target: 1.5, required: 1.0 },
} as const;

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

/** One result per shape, every repetition of both engines kept (the report's `shapes`). */
export function shapeResults(shapes: BenchShape[], ours: OurFigures[][], theirs: TorchRefFigures[][]): ShapeResult[] {
  return shapes.map((shape, i) => {
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
}

/** The comparison rows: training per model size (pooled over that size's runs), then generation per shape. */
export function comparisonRows(shapes: BenchShape[], ours: OurFigures[][], theirs: TorchRefFigures[][]): BenchRow[] {
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
  return rows;
}

/** The rows against the bar: the lowest ratios, and whether every row meets it. */
export function summarize(rows: BenchRow[]): BenchReport["summary"] {
  return {
    trainMinRatio: minOrNull(rows.filter((r) => r.kind === "train").map((r) => r.ratio)),
    genMinRatio: minOrNull(rows.filter((r) => r.kind === "gen").map((r) => r.ratio)),
    meetsRequired: allOrNull(rows.map((r) => r.meetsRequired)),
    meetsTarget: allOrNull(rows.map((r) => r.meetsTarget)),
  };
}
