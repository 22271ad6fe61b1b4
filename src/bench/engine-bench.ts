// The engine benchmark behind `selfimprove bench`: training and generation tokens/s of our
// tfjs GPT, measured exactly the way ../shared/bench/torch_ref.py measures PyTorch, with the
// reference run interleaved in the same process lifetime so machine load hits both alike.
//
// One "run" mirrors one torch_ref.py invocation (engine-run.ts: a fresh model, 3 warm-up
// training steps, `steps` timed steps on one fixed random batch, one warm-up generation, one
// timed generation). Each shape runs `repeat` times on both sides and the median is reported
// (engine-report.ts makes the report from the figures). This module schedules the runs.
import os from "node:os";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { describeBackend, initBackend, type BackendRequest } from "../engine/backend.js";
import { presetShapes, round2, type BenchShape, type ShapePreset } from "./common.js";
import {
  comparisonRows,
  shapeResults,
  summarize,
  type BackendInfo,
  type BenchReport,
  type MachineInfo,
  type TorchSummary,
} from "./engine-report.js";
import { modelConfig, runOurs, WARMUP_STEPS, type OurFigures } from "./engine-run.js";
import { DEFAULT_PYTHON, defaultTorchScript, runTorchRef, type TorchRefFigures } from "./torch-ref.js";

// What this module exported before its report and its single run had modules of their own.
export { SHAPE_PRESETS, presetShapes, type ShapePreset } from "./common.js";
export {
  THRESHOLDS,
  type BackendInfo,
  type BenchReport,
  type BenchRow,
  type MachineInfo,
  type ShapeResult,
  type TorchStatus,
  type TorchSummary,
} from "./engine-report.js";
export { runOurs, WARMUP_STEPS, type OurFigures } from "./engine-run.js";

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

  const results = shapeResults(shapes, ours, theirs);
  const rows = comparisonRows(shapes, ours, theirs);

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
    summary: summarize(rows),
  };
}
