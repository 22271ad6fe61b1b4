// Every shipped scenario, two real steps with a tiny random tfjs model (wasm backend): the run
// writes its metrics, completions, summary and checkpoint, the held-out evaluation runs, and
// no tensors leak from one step to the next. (A random tiny model never solves Countdown, so
// R3's failure set fills at once and every reward is 0: fine for a smoke test.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { LanguageModel } from "../src/engine/language-model.js";
import { loadCheckpoint } from "../src/engine/checkpoint.js";
import { shippedScenarios } from "../src/run/load.js";
import { ScenarioRun, type RunSummary } from "../src/run/runner.js";
import type { CompletionRecord } from "../src/run/taps.js";
import { readJsonlLog } from "../src/util/log.js";
import { cachedTensors, readMetrics, saveTinyModel, tinyScenario } from "./helpers/tiny-run.js";

const SHIPPED = [
  "eval-countdown",
  "grpo-countdown",
  "oracle-countdown",
  "r3-countdown",
  "r3-length-penalty-countdown",
  "rlc-countdown",
  "rlc-ppo-countdown",
];
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-smoke-"));
let model = "";

beforeAll(async () => {
  await initBackend("wasm");
  model = await saveTinyModel(path.join(tmpRoot, "model"), 11);
});
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

test("the shipped scenarios are the ones this file covers", () => {
  expect(shippedScenarios()).toEqual(SHIPPED);
});

test.each(SHIPPED)(
  "%s: 2 real steps write metrics, completions, summary and a checkpoint; no tensor leaks across steps",
  async (name) => {
    const scenario = await tinyScenario(name, model, { checkpointEvery: 1 });
    const out = path.join(tmpRoot, name);
    const tensorsAtStep: number[] = [];
    const phases: string[] = [];
    const before = tf.memory().numTensors;
    // Every model the run loads (the policy, and the frozen reference/judge where used).
    const loads = vi.spyOn(LanguageModel, "fromCheckpoint");
    const models = (): LanguageModel[] => loads.mock.results.map((r) => r.value as LanguageModel);
    const run = await ScenarioRun.create(scenario, {
      out,
      steps: 2,
      evalN: 8,
      onPhase: (p) => phases.push(p),
      // Live tensors minus the models' bounded caches (masks per sequence length etc.).
      onStep: () => tensorsAtStep.push(tf.memory().numTensors - models().reduce((a, m) => a + cachedTensors(m), 0)),
    });
    const summary: RunSummary = await run.run();
    const loaded = models();
    loads.mockRestore();
    expect(loaded.length).toBe(name === "rlc-countdown" || scenario.algorithm.klCoef > 0 ? 2 : 1);

    // Files.
    for (const f of [
      "metrics.jsonl",
      "summary.json",
      "eval-before.json",
      "checkpoint/checkpoint.json",
      "checkpoint/weights.bin",
      "checkpoint/optimizer.bin",
    ]) {
      expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    }
    const metrics = readMetrics(out);
    expect(metrics.map((m) => m.step)).toEqual([0, 1]);
    for (const m of metrics) {
      expect(m.gave_up).toBe(0);
      // The oracle's Student never attempts: it writes labels, which the verifier accepts (reward 1).
      if (name === "oracle-countdown") expect(m).toMatchObject({ first_try_accuracy: null, reward_mean: 1 });
      else expect(m.first_try_accuracy).toBe(0);
      expect(m.tokens_per_second).toBeGreaterThan(0);
    }
    const completions = readJsonlLog<CompletionRecord>(path.join(out, "completions.jsonl"));
    expect(completions.length).toBeGreaterThan(0);
    expect(new Set(completions.map((c) => c.step))).toEqual(new Set([0, 1]));
    const saved = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8")) as RunSummary;
    expect(saved).toMatchObject({ scenario: name, steps: 2, out });
    expect(summary.before?.n).toBe(8);
    expect(summary.after?.n).toBe(8);
    const ckpt = loadCheckpoint(path.join(out, "checkpoint"));
    expect(ckpt.meta).toMatchObject({ scenario: name, step: 2 });

    if (name === "eval-countdown") {
      for (const m of metrics) expect(m).toMatchObject({ updated: false, experiences: 0, weight_version: 0 });
      expect(ckpt.meta.version).toBe(0);
    } else {
      // Every reward is 0 for a random model, but the update still runs (and is counted).
      for (const m of metrics) expect(m.updated, m.skip_reason).toBe(true);
      expect(metrics.map((m) => m.weight_version)).toEqual([1, 2]);
      expect(ckpt.meta.version).toBe(2);
    }
    if (name === "oracle-countdown") {
      // Each logged demonstration is the task's own label for its problem, written out verbatim.
      expect(
        completions.every((c) => c.demonstration !== undefined && c.correct === true && c.attempt === undefined),
      ).toBe(true);
    }
    if (name === "r3-countdown") {
      expect(fs.existsSync(path.join(out, "failure-set.json"))).toBe(true);
      expect(phases.some((p) => p.includes("rejection sampling"))).toBe(true);
      expect(completions.some((c) => c.reflection !== undefined)).toBe(true);
    }

    // Tensors: the same count after each step.
    expect(tensorsAtStep).toHaveLength(2);
    expect(tensorsAtStep[1]).toBe(tensorsAtStep[0]);
    // After the run, what remains is the models the run loaded (policy, and the frozen reference).
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(before);
  },
);

// Finding: ScenarioRun.dispose() (src/run/runner.ts) stops the actors and disposes the Trainer,
// but not the LanguageModels that ScenarioRun.create loaded (the policy `lm` and the frozen
// `reference`), so every finished run leaves both models' weights allocated.
test("a finished run releases the models it loaded", async () => {
  const scenario = await tinyScenario("grpo-countdown", model);
  const before = tf.memory().numTensors;
  const run = await ScenarioRun.create(scenario, { out: path.join(tmpRoot, "release"), steps: 1, skipEval: true });
  await run.run();
  expect(tf.memory().numTensors).toBe(before);
});
