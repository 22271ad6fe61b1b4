// Carrying out a plan: each run is a child process (`selfimprove run ... --json`), `jobs` at a
// time. A run whose directory already holds its summary is skipped, so an interrupted study
// picks up where it stopped; a run that fails is reported with its log and the rest go on.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../paths.js";
import { runOverSeeds } from "../study/over-seeds.js";
import { runArgs, type PlannedRun } from "./plan.js";

export interface RunOutcome {
  run: PlannedRun;
  status: "done" | "skipped" | "failed";
  seconds: number;
  error?: string;
}

const CLI = path.join(PROJECT_ROOT, "bin", "selfimprove.js");

export function isComplete(r: PlannedRun): boolean {
  return fs.existsSync(path.join(r.out, "summary.json"));
}

function runOne(r: PlannedRun): Promise<RunOutcome> {
  const t0 = performance.now();
  fs.mkdirSync(r.out, { recursive: true });
  const log = fs.openSync(path.join(r.out, "run.log"), "w");
  return new Promise((resolve) => {
    // A run interrupted half-way resumes from its last checkpoint.
    const resume = fs.existsSync(path.join(r.out, "checkpoint", "checkpoint.json")) ? ["--resume"] : [];
    const child = spawn(process.execPath, [CLI, ...runArgs(r), ...resume], {
      stdio: ["ignore", "ignore", log],
      cwd: PROJECT_ROOT,
    });
    const finish = (status: RunOutcome["status"], error?: string): void => {
      fs.closeSync(log);
      resolve({ run: r, status, seconds: (performance.now() - t0) / 1000, ...(error ? { error } : {}) });
    };
    child.on("error", (err) => finish("failed", err.message));
    child.on("exit", (code, signal) => {
      if (code === 0 && isComplete(r)) finish("done");
      else finish("failed", `exit ${code ?? signal}; see ${path.join(r.out, "run.log")}`);
    });
  });
}

/** Runs the plan with `jobs` runs in flight (the multi-seed runner `study` uses too); `onOutcome` hears about each as it ends. */
export function executePlan(
  plan: readonly PlannedRun[],
  opts: { jobs: number; onOutcome?: (o: RunOutcome, done: number, total: number) => void },
): Promise<RunOutcome[]> {
  const skipped = (r: PlannedRun): RunOutcome => ({ run: r, status: "skipped", seconds: 0 });
  return runOverSeeds(plan, (r) => (isComplete(r) ? Promise.resolve(skipped(r)) : runOne(r)), {
    parallel: opts.jobs,
    onDone: (o, _run, done, total) => opts.onOutcome?.(o, done, total),
  });
}
