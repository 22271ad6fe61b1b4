// `selfimprove bench` (what `npm run bench` runs): engine tokens/s against the PyTorch
// reference. The measuring lives in src/bench/ as a library; this file only parses flags,
// shows progress on stderr and prints the table or the JSON object on stdout.
import { InvalidArgumentError, Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { BACKEND_NAMES, type BackendRequest } from "../../engine/backend.js";
import {
  SHAPE_PRESETS,
  presetShapes,
  runEngineBench,
  type BenchProgress,
  type BenchReport,
  type ShapePreset,
} from "../../bench/engine-bench.js";
import { formatBenchReport, torchNotice } from "../../bench/format.js";
import { formatPoolBench, runPoolBench } from "../../bench/pool-bench.js";
import { DEFAULT_PYTHON } from "../../bench/torch-ref.js";
import { CliError } from "../errors.js";

export interface BenchCommandOptions {
  json?: boolean;
  backend: BackendRequest;
  steps: number;
  repeat: number;
  shapes: ShapePreset;
  torch: boolean;
  python: string;
  torchScript?: string;
  torchThreads: number;
  torchTimeout: number;
  /** The generation-pool section (issue 4); absent = skipped, so library callers opt in. */
  pool?: boolean;
  /** R3 steps for the pool section's step-time figure (0 skips it). */
  poolR3Steps?: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

interface Progress {
  update(p: BenchProgress): void;
  stop(): void;
}

/**
 * A bar on an interactive stderr; otherwise (pipes, CI, --json) one plain line per finished
 * run on stderr, so a log still shows where a minute-long run is without corrupting stdout.
 */
function makeProgress(json: boolean): Progress {
  if (!json && process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: "bench [{bar}] {value}/{total} runs done · last: {label} · {duration_formatted}",
        hideCursor: true,
        clearOnComplete: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        if (!started) {
          bar.start(p.total, 0, { label: "" });
          started = true;
        }
        bar.setTotal(p.total);
        bar.update(p.done, { label: p.label });
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  return {
    update(p) {
      process.stderr.write(`bench: ${p.done}/${p.total} runs done · last: ${p.label}\n`);
    },
    stop() {},
  };
}

/** The command's action: runs the benchmark and writes the table or the JSON object through `write`. */
export async function runBenchCommand(
  opts: BenchCommandOptions,
  write: (chunk: string) => void = (chunk) => void process.stdout.write(chunk),
): Promise<BenchReport> {
  const json = opts.json === true;
  const progress = makeProgress(json);
  if (!json && !process.stderr.isTTY) process.stderr.write("bench: running (about a minute or more; progress below)\n");
  // --json promises nothing but the object on stdout; a library that logs with console.log
  // (tfjs does on some paths) would break that, so such lines go to stderr for the run.
  const saved = { log: console.log, info: console.info };
  if (json) {
    console.log = (...args: unknown[]) => console.error(...args);
    console.info = (...args: unknown[]) => console.error(...args);
  }
  let report: BenchReport;
  try {
    report = await runEngineBench({
      backend: opts.backend,
      steps: opts.steps,
      repeat: opts.repeat,
      preset: opts.shapes,
      torch: opts.torch
        ? {
            python: opts.python,
            script: opts.torchScript,
            threads: opts.torchThreads,
            timeoutMs: opts.torchTimeout * 1000,
          }
        : false,
      onProgress: (p) => progress.update(p),
    });
    if (opts.pool) {
      const shapes = presetShapes(opts.shapes);
      const r3Steps = opts.poolR3Steps ?? 0;
      const total = shapes.length * 3 + (r3Steps > 1 ? 2 : 0);
      let done = 0;
      report.pool = await runPoolBench({
        shapes,
        repeat: opts.repeat,
        // Workers use the backend the engine figures used (a native GPU backend where installed).
        backend: opts.backend,
        r3Steps,
        onProgress: (label) => progress.update({ done: ++done, total, label: `pool: ${label}` }),
      });
    }
  } catch (err) {
    // An unavailable backend is the user's request failing, not a bug: no stack trace.
    if (err instanceof Error && err.message.startsWith("backend ")) throw new CliError(err.message, 2);
    throw err;
  } finally {
    progress.stop();
    console.log = saved.log;
    console.info = saved.info;
  }
  if (json) {
    // The notice still reaches a person watching a JSON run, without touching stdout.
    for (const line of torchNotice(report.torch)) process.stderr.write(line + "\n");
    write(JSON.stringify(report, null, 2) + "\n");
  } else write(formatBenchReport(report) + (report.pool ? formatPoolBench(report.pool) : ""));
  return report;
}

export function registerBench(program: Command): Command {
  return program
    .command("bench")
    .description(
      "training and generation tokens/s of the engine, side by side with the PyTorch reference when it is installed",
    )
    .option("--json", "print every figure as one JSON object on stdout (progress goes to stderr)")
    .addOption(new Option("--backend <name>", "tfjs backend").choices(BACKEND_NAMES).default("auto"))
    .option("--steps <n>", "timed training steps per run, after 3 warm-up steps", positiveInt, 10)
    .option("--repeat <n>", "runs per shape and engine; the median is reported", positiveInt, 3)
    .addOption(
      new Option(
        "--shapes <set>",
        "small: d_model 64 with generation batch 64; all: d_model 64/128 × generation batch 64/256",
      )
        .choices(SHAPE_PRESETS)
        .default("all"),
    )
    .option("--no-torch", "skip the PyTorch reference (../shared/bench/torch_ref.py)")
    .option("--python <path>", "Python interpreter that has torch", DEFAULT_PYTHON)
    .option(
      "--torch-script <path>",
      "torch_ref.py to run (default: bench/torch_ref.py in the shared folder beside the repository; see README, Speed)",
    )
    .option("--torch-threads <n>", "torch.set_num_threads for the reference", positiveInt, 2)
    .option("--torch-timeout <s>", "seconds before one reference run is abandoned", positiveInt, 300)
    .option("--no-pool", "skip the generation-pool section (in-process vs 1 and 2 worker threads)")
    .option("--pool-r3-steps <n>", "R3 steps timed in-process and with 2 workers (1 = skip)", positiveInt, 3)
    .action(async (opts: BenchCommandOptions) => {
      await runBenchCommand(opts);
    });
}
