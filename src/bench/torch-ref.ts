// Runs the PyTorch reference (../shared/bench/torch_ref.py) as a child process and reads its
// one JSON line. PyTorch is optional: when Python or its torch module is missing the result
// says so, with the install command, instead of failing the whole benchmark.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/** How to get the reference on Debian/Ubuntu (Debian's torch is fast once BLAS is OpenBLAS). */
export const TORCH_INSTALL_HINT = "apt-get install -y python3-torch libopenblas0-pthread";

/**
 * How to get the reference script when it is missing. It is not part of this repository (it is
 * shared with other implementations measured against the same PyTorch model), so the bench
 * names the README section and the flags rather than a path outside the checkout.
 */
export const TORCH_SCRIPT_HINT =
  "see the README's Speed section: pass --torch-script PATH to a copy of torch_ref.py (expected in bench/ of the shared folder beside the repository), or --no-torch to skip the comparison";

/**
 * Debian's python3-torch lives under the system interpreter; a `python3` found first on PATH
 * (a venv, pyenv) usually lacks it, so the absolute path is the default.
 */
export const DEFAULT_PYTHON = "/usr/bin/python3";

/** The shape flags torch_ref.py takes, one run per shape. */
export interface TorchRefShape {
  vocab: number;
  dModel: number;
  layers: number;
  heads: number;
  context: number;
  batch: number;
  genBatch: number;
}

export interface TorchRefFigures {
  /** e.g. "pytorch 2.1.0 cpu, 2 threads" */
  engine: string;
  params: number;
  trainMsPerStep: number;
  trainTokensPerS: number;
  genTokensPerS: number;
}

export type TorchRefResult =
  | { status: "ok"; figures: TorchRefFigures; seconds: number }
  /** Python or its torch module is missing: expected on many machines, not an error. */
  | { status: "not-installed"; message: string; install: string }
  /** It is installed but the run went wrong (timeout, crash, unreadable output). */
  | { status: "failed"; message: string };

export interface TorchRefOptions {
  shape: TorchRefShape;
  /** Timed training steps (torch_ref's --steps). */
  steps: number;
  /** torch.set_num_threads. */
  threads: number;
  python?: string;
  script?: string;
  timeoutMs?: number;
}

const lineSchema = z.object({
  engine: z.string(),
  params: z.number().int().positive(),
  train_ms_per_step: z.number().positive(),
  train_tokens_per_s: z.number().positive(),
  gen_tokens_per_s: z.number().positive(),
  shape: z.object({
    vocab: z.number().int(),
    d_model: z.number().int(),
    layers: z.number().int(),
    heads: z.number().int(),
    context: z.number().int(),
    batch: z.number().int(),
    gen_batch: z.number().int(),
  }),
});

/**
 * Where torch_ref.py is expected: the shared folder beside the repository. Resolved from this
 * file rather than the working directory so the bench works from any cwd.
 */
export function defaultTorchScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, "../../../shared/bench/torch_ref.py");
}

/**
 * Reads torch_ref.py's output: the last non-empty line must be its JSON object. When `expect`
 * is given the echoed shape must match it, so a script edited to other defaults is caught
 * instead of being compared against the wrong model.
 */
export function parseTorchRefOutput(stdout: string, expect?: TorchRefShape): TorchRefFigures {
  const line = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .at(-1);
  if (line === undefined) throw new Error("torch_ref.py printed nothing");
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new Error(`torch_ref.py printed a line that is not JSON: ${line.slice(0, 200)}`);
  }
  const r = lineSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`torch_ref.py output field "${issue?.path.join(".") ?? "?"}": ${issue?.message ?? "invalid"}`);
  }
  const s = r.data.shape;
  if (expect) {
    const got: TorchRefShape = {
      vocab: s.vocab,
      dModel: s.d_model,
      layers: s.layers,
      heads: s.heads,
      context: s.context,
      batch: s.batch,
      genBatch: s.gen_batch,
    };
    for (const key of Object.keys(expect) as Array<keyof TorchRefShape>) {
      if (got[key] !== expect[key])
        throw new Error(`torch_ref.py ran shape ${key}=${got[key]}, expected ${expect[key]}`);
    }
  }
  return {
    engine: r.data.engine,
    params: r.data.params,
    trainMsPerStep: r.data.train_ms_per_step,
    trainTokensPerS: r.data.train_tokens_per_s,
    genTokensPerS: r.data.gen_tokens_per_s,
  };
}

/** The argument list for one shape, exactly as torch_ref.py's header documents it. */
export function torchRefArgs(script: string, shape: TorchRefShape, steps: number, threads: number): string[] {
  return [
    script,
    "--vocab",
    String(shape.vocab),
    "--d-model",
    String(shape.dModel),
    "--layers",
    String(shape.layers),
    "--heads",
    String(shape.heads),
    "--context",
    String(shape.context),
    "--batch",
    String(shape.batch),
    "--gen-batch",
    String(shape.genBatch),
    "--threads",
    String(threads),
    "--steps",
    String(steps),
  ];
}

interface ExecOutcome {
  error: (Error & { code?: string | number | null; killed?: boolean; signal?: NodeJS.Signals | null }) | null;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], timeoutMs: number): Promise<ExecOutcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        resolve({ error, stdout, stderr });
      },
    );
  });
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join(" | ");
}

/** Runs torch_ref.py for one shape. Never throws: every outcome is a TorchRefResult. */
export async function runTorchRef(opts: TorchRefOptions): Promise<TorchRefResult> {
  const python = opts.python ?? DEFAULT_PYTHON;
  const script = opts.script ?? defaultTorchScript();
  const timeoutMs = opts.timeoutMs ?? 300_000;
  if (!existsSync(script)) {
    // Missing for every run alike, like a missing Python: reported once as "not run", not as a failure.
    const message =
      opts.script === undefined
        ? "the PyTorch reference script torch_ref.py is not beside this repository"
        : `no PyTorch reference script at ${script}`;
    return { status: "not-installed", message, install: TORCH_SCRIPT_HINT };
  }
  const started = performance.now();
  const { error, stdout, stderr } = await exec(
    python,
    torchRefArgs(script, opts.shape, opts.steps, opts.threads),
    timeoutMs,
  );
  const seconds = (performance.now() - started) / 1000;
  if (error) {
    if (error.code === "ENOENT") {
      return { status: "not-installed", message: `no Python at ${python}`, install: TORCH_INSTALL_HINT };
    }
    if (/No module named ['"]?torch/.test(stderr)) {
      return { status: "not-installed", message: `${python} has no torch module`, install: TORCH_INSTALL_HINT };
    }
    if (error.killed || error.signal) {
      const why = error.killed
        ? `timed out after ${Math.round(timeoutMs / 1000)} s`
        : `killed by ${error.signal ?? "a signal"}`;
      return { status: "failed", message: `torch_ref.py ${why}` };
    }
    return {
      status: "failed",
      message: `torch_ref.py exited with ${String(error.code)}: ${lastLines(stderr, 3) || error.message}`,
    };
  }
  try {
    return { status: "ok", figures: parseTorchRefOutput(stdout, opts.shape), seconds };
  } catch (err) {
    return { status: "failed", message: err instanceof Error ? err.message : String(err) };
  }
}
