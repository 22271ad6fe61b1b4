// The benchmark library: report structure on tiny shapes (no PyTorch needed), the torch_ref
// output parser, and the runner's outcomes with fake interpreters (missing, no torch module,
// working, hanging), so none of it depends on Python being installed here.
import * as tf from "@tensorflow/tfjs";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { benchTokenizer, median, type BenchShape } from "../src/bench/common.js";
import { presetShapes, runEngineBench, type BenchProgress } from "../src/bench/engine-bench.js";
import { formatBenchReport, ratioBar } from "../src/bench/format.js";
import {
  TORCH_INSTALL_HINT,
  TORCH_SCRIPT_HINT,
  parseTorchRefOutput,
  runTorchRef,
  torchRefArgs,
  type TorchRefShape,
} from "../src/bench/torch-ref.js";

const TINY: BenchShape = { vocab: 12, dModel: 8, layers: 1, heads: 2, context: 6, batch: 2, genBatch: 3 };

const SAMPLE_LINE =
  '{"engine": "pytorch 2.1.0 cpu, 2 threads", "params": 106112, "train_ms_per_step": 41.5, "train_tokens_per_s": 37012, ' +
  '"gen_tokens_per_s": 81234, "shape": {"vocab": 32, "d_model": 64, "layers": 2, "heads": 4, "context": 48, "batch": 32, "gen_batch": 64}}';
const SAMPLE_SHAPE: TorchRefShape = {
  vocab: 32,
  dModel: 64,
  layers: 2,
  heads: 4,
  context: 48,
  batch: 32,
  genBatch: 64,
};

let dir: string;
let script: string;

/** A stand-in interpreter: a shell script that ignores its arguments. */
function fakePython(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

beforeAll(async () => {
  await initBackend("wasm");
  dir = mkdtempSync(path.join(os.tmpdir(), "selfimprove-bench-"));
  // The runner refuses a missing script before starting Python; its content is never run here.
  script = path.join(dir, "torch_ref.py");
  writeFileSync(script, "# placeholder\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function positiveFinite(x: number): void {
  expect(Number.isFinite(x)).toBe(true);
  expect(x).toBeGreaterThan(0);
}

describe("runEngineBench", () => {
  test("reports positive finite figures for every shape, pooling training per model size", async () => {
    const shapes = [TINY, { ...TINY, genBatch: 5 }, { ...TINY, dModel: 12, genBatch: 2 }];
    const events: BenchProgress[] = [];
    const before = tf.memory();
    const report = await runEngineBench({
      shapes,
      steps: 1,
      repeat: 2,
      torch: false,
      backend: "wasm",
      onProgress: (p) => events.push(p),
    });
    // Every model, optimizer state and cache is released after each run.
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);

    expect(report.kind).toBe("selfimprove-bench");
    expect(report.settings).toMatchObject({ steps: 1, warmupSteps: 3, repeat: 2, shapes: "custom" });
    expect(report.backend.active).toBe("wasm");
    expect(report.backend.description).toContain("wasm");
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.torch.status).toBe("disabled");

    expect(report.shapes).toHaveLength(3);
    for (const s of report.shapes) {
      expect(s.torch).toBeNull();
      expect(s.ours.trainTokensPerS.samples).toHaveLength(2);
      for (const x of [s.ours.trainTokensPerS, s.ours.genTokensPerS, s.ours.trainMsPerStep]) {
        x.samples.forEach(positiveFinite);
        positiveFinite(x.median);
      }
      positiveFinite(s.ours.params);
    }

    // Two model sizes → two training rows (d8 pools 2 shapes × 2 repeats), then one generation row per shape.
    expect(report.rows.map((r) => [r.kind, r.dModel, r.genBatch])).toEqual([
      ["train", 8, null],
      ["train", 12, null],
      ["gen", 8, 3],
      ["gen", 8, 5],
      ["gen", 12, 2],
    ]);
    expect(report.rows[0]?.ours.samples).toHaveLength(4);
    expect(report.rows[0]?.tokensPerUnit).toBe(TINY.batch * TINY.context);
    expect(report.rows[3]?.tokensPerUnit).toBe(5 * TINY.context);
    for (const r of report.rows) {
      positiveFinite(r.ours.median);
      expect(r.torch).toBeNull();
      expect(r.ratio).toBeNull();
      expect(r.ratioOfBest).toBeNull();
      expect(r.ours.best).toBeGreaterThanOrEqual(r.ours.median);
      expect(r.meetsRequired).toBeNull();
    }
    expect(report.summary).toEqual({ trainMinRatio: null, genMinRatio: null, meetsRequired: null, meetsTarget: null });
    expect(report.rows.find((r) => r.kind === "train")).toMatchObject({ target: 1, required: 0.25 });
    expect(report.rows.find((r) => r.kind === "gen")).toMatchObject({ target: 1.5, required: 1 });

    expect(events.map((e) => e.done)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.every((e) => e.total === 6)).toBe(true);
    // The JSON form must survive a round trip unchanged (no NaN, no undefined).
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);

    const table = formatBenchReport(report);
    expect(table).toContain("train d8 2×6");
    expect(table).toContain("skipped (--no-torch)");
    expect(table).not.toContain("!!!");
  });

  test("a missing Python is asked once, reported loudly, and the bench still finishes", async () => {
    const events: BenchProgress[] = [];
    const report = await runEngineBench({
      shapes: [TINY],
      steps: 1,
      repeat: 2,
      torch: { python: path.join(dir, "no-such-python"), script },
      onProgress: (p) => events.push(p),
    });
    expect(report.torch.status).toBe("not-installed");
    expect(report.torch.install).toBe(TORCH_INSTALL_HINT);
    expect(report.torch.messages.join(" ")).toContain("no-such-python");
    expect(report.rows.every((r) => r.ratio === null)).toBe(true);
    // Ours, torch (missing: no run, the total drops), ours; only the runs that happened are counted.
    expect(events.map((e) => `${e.done}/${e.total}`)).toEqual(["1/4", "1/2", "2/2"]);
    expect(events.map((e) => e.label)).toEqual([
      "d8 gen×3 #1 selfimprove",
      "pytorch reference not available: selfimprove only",
      "d8 gen×3 #2 selfimprove",
    ]);
    const table = formatBenchReport(report);
    expect(table).toContain("PyTorch reference NOT RUN");
    expect(table).toContain("apt-get install -y python3-torch libopenblas0-pthread");
  });

  test("the presets are the issue's shapes", () => {
    expect(presetShapes("all").map((s) => [s.dModel, s.genBatch])).toEqual([
      [64, 64],
      [64, 256],
      [128, 64],
      [128, 256],
    ]);
    for (const s of presetShapes("all"))
      expect(s).toMatchObject({ vocab: 32, layers: 2, heads: 4, context: 48, batch: 32 });
    expect(presetShapes("small")).toHaveLength(1);
  });

  test("the tokenizer has exactly the requested vocabulary", () => {
    expect(benchTokenizer(32).vocabSize).toBe(32);
    expect(() => benchTokenizer(4)).toThrow(/vocab/);
  });

  test("median and bar", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(ratioBar(0.5, 1, 0.25)).toBe(`[${"█".repeat(10)}${"·".repeat(10)}] `);
    expect(ratioBar(0.1, 1, 0.25)).toBe(`[${"█".repeat(2)}···|${"·".repeat(14)}] `);
    expect(ratioBar(3, 1.5, 1)).toBe(`[${"█".repeat(20)}]+`);
  });
});

describe("torch_ref output", () => {
  test("parses the JSON line, ignoring earlier lines", () => {
    const f = parseTorchRefOutput(`some warning from torch\n${SAMPLE_LINE}\n\n`, SAMPLE_SHAPE);
    expect(f).toEqual({
      engine: "pytorch 2.1.0 cpu, 2 threads",
      params: 106112,
      trainMsPerStep: 41.5,
      trainTokensPerS: 37012,
      genTokensPerS: 81234,
    });
  });

  test("rejects a shape other than the one asked for, non-JSON and missing fields", () => {
    expect(() => parseTorchRefOutput(SAMPLE_LINE, { ...SAMPLE_SHAPE, genBatch: 256 })).toThrow(
      /genBatch=64, expected 256/,
    );
    expect(() => parseTorchRefOutput("Traceback (most recent call last)")).toThrow(/not JSON/);
    expect(() => parseTorchRefOutput("")).toThrow(/nothing/);
    expect(() => parseTorchRefOutput('{"engine": "x"}')).toThrow(/params/);
  });
});

describe("runTorchRef", () => {
  const base = { shape: SAMPLE_SHAPE, steps: 10, threads: 2 };

  test("a missing interpreter is 'not installed', with the install command", async () => {
    const r = await runTorchRef({ ...base, python: path.join(dir, "missing-python3"), script });
    expect(r).toEqual({
      status: "not-installed",
      message: `no Python at ${path.join(dir, "missing-python3")}`,
      install: TORCH_INSTALL_HINT,
    });
  });

  test("a Python without torch is 'not installed' too", async () => {
    const python = fakePython("python-no-torch", `echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`);
    const r = await runTorchRef({ ...base, python, script });
    expect(r.status).toBe("not-installed");
  });

  test("passes the header's flags and reads the figures", async () => {
    expect(torchRefArgs("ref.py", SAMPLE_SHAPE, 10, 2).join(" ")).toBe(
      "ref.py --vocab 32 --d-model 64 --layers 2 --heads 4 --context 48 --batch 32 --gen-batch 64 --threads 2 --steps 10",
    );
    // A chatty line before the JSON, as a real interpreter's warnings would be.
    const python = fakePython("python-ok", `echo "args: $@"; echo '${SAMPLE_LINE}'`);
    const r = await runTorchRef({ ...base, python, script });
    expect(r.status).toBe("ok");
    if (r.status === "ok") expect(r.figures.genTokensPerS).toBe(81234);
  });

  test("a crash or a hang is 'failed' with the reason", async () => {
    const crash = await runTorchRef({
      ...base,
      python: fakePython("python-crash", "echo 'RuntimeError: boom' >&2; exit 3"),
      script,
    });
    expect(crash).toEqual({ status: "failed", message: "torch_ref.py exited with 3: RuntimeError: boom" });
    const hang = await runTorchRef({
      ...base,
      python: fakePython("python-hang", "exec sleep 5"),
      script,
      timeoutMs: 200,
    });
    expect(hang.status).toBe("failed");
    if (hang.status === "failed") expect(hang.message).toMatch(/timed out/);
  });

  test("a missing script is 'not installed' too, with where to get it instead of a path outside the repository", async () => {
    const absent = path.join(dir, "absent.py");
    const named = await runTorchRef({ ...base, python: "/bin/true", script: absent });
    expect(named).toEqual({
      status: "not-installed",
      message: `no PyTorch reference script at ${absent}`,
      install: TORCH_SCRIPT_HINT,
    });
    // The default location lies outside the checkout: the message names no path, the hint the README.
    expect(TORCH_SCRIPT_HINT).toContain("README's Speed section");
    expect(TORCH_SCRIPT_HINT).toContain("--torch-script");
  });

  test("a bench without the script runs selfimprove only, labels no run as pytorch, and says how to get it", async () => {
    const events: BenchProgress[] = [];
    const report = await runEngineBench({
      shapes: [TINY],
      steps: 1,
      repeat: 2,
      torch: { python: "/bin/true", script: path.join(dir, "absent.py") },
      onProgress: (p) => events.push(p),
    });
    expect(report.torch.status).toBe("not-installed");
    expect(events.filter((e) => e.label.includes("pytorch")).map((e) => e.label)).toEqual([
      "pytorch reference not available: selfimprove only",
    ]);
    const table = formatBenchReport(report);
    expect(table).toContain("PyTorch reference NOT RUN: no PyTorch reference script at");
    expect(table).toContain(`!!! To get it: ${TORCH_SCRIPT_HINT}`);
    expect(table).not.toContain("FAILED");
  });
});
