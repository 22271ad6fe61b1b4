// Resume equals uninterrupted. With a tiny real model, a 4-step run into A is compared with
// (1) 2 steps into B then a `resume` to 4 steps, and (2) a run that checkpoints every step and
// is stopped from onStep after 2 steps, then resumed. Final weights and optimizer state must be
// bit-identical and the logs identical but for wall-clock fields.
//
// The scenario is rlc-countdown: a random tiny model never solves Countdown, so a verifier
// reward would be 0 everywhere (zero advantages: only KL/weight decay would move the weights,
// and at the start KL has zero gradient); RLC's reward is the frozen judge's P(yes), a real,
// varying signal, so the weights and Adam's moments really change from step to step.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { loadCheckpoint, type Checkpoint } from "../src/engine/checkpoint.js";
import { ScenarioRun, type RunOptions } from "../src/run/runner.js";
import type { Scenario } from "../src/run/scenario.js";
import { bitEqual } from "./helpers/engine.js";
import { readMetrics, readText, saveTinyModel, tinyScenario, type LoggedMetrics } from "./helpers/tiny-run.js";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-resume-"));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

let model = "";
let scenario: Scenario;

async function run(
  out: string,
  opts: Partial<RunOptions> & { steps: number },
  sc: Scenario = scenario,
): Promise<ScenarioRun> {
  const r = await ScenarioRun.create(sc, { out, skipEval: true, ...opts });
  await r.run();
  return r;
}

function sameMaps(a: Map<string, Float32Array>, b: Map<string, Float32Array>): string[] {
  expect([...a.keys()]).toEqual([...b.keys()]);
  return [...a.keys()].filter((k) => !bitEqual(a.get(k) as Float32Array, b.get(k) as Float32Array));
}

function expectSameCheckpoint(a: Checkpoint, b: Checkpoint): void {
  expect(sameMaps(a.weights, b.weights), "weights that differ").toEqual([]);
  expect(a.optimizer?.step).toBe(b.optimizer?.step);
  expect(sameMaps(a.optimizer?.m ?? new Map(), b.optimizer?.m ?? new Map()), "Adam m that differ").toEqual([]);
  expect(sameMaps(a.optimizer?.v ?? new Map(), b.optimizer?.v ?? new Map()), "Adam v that differ").toEqual([]);
  expect({ step: a.meta.step, version: a.meta.version }).toEqual({ step: b.meta.step, version: b.meta.version });
}

const wallClock = (m: LoggedMetrics): Omit<LoggedMetrics, "seconds" | "tokens_per_second"> => {
  const { seconds: _s, tokens_per_second: _t, ...rest } = m;
  return rest;
};

const ckpt = (out: string): Checkpoint => loadCheckpoint(path.join(out, "checkpoint"), { withOptimizer: true });

let A: string;

beforeAll(async () => {
  await initBackend("wasm");
  model = await saveTinyModel(path.join(tmpRoot, "model"), 5);
  scenario = await tinyScenario("rlc-countdown", model, { checkpointEvery: 0, seed: 3 }, { lr: 1e-3 });
  A = path.join(tmpRoot, "A");
  await run(A, { steps: 4 });
});

describe("resume equals uninterrupted", () => {
  test("the uninterrupted run trained: weights moved, 4 updates, rewards vary", () => {
    const a = ckpt(A);
    const initial = loadCheckpoint(model);
    expect(sameMaps(a.weights, initial.weights).length).toBeGreaterThan(0);
    expect(a.meta).toMatchObject({ step: 4, version: 4 });
    expect(a.optimizer?.step).toBe(4);
    const metrics = readMetrics(A);
    expect(metrics.map((m) => m.step)).toEqual([0, 1, 2, 3]);
    for (const m of metrics) {
      expect(m.updated).toBe(true);
      expect(m.reward_std).toBeGreaterThan(0);
    }
  });

  test("2 steps, then resume to 4: bit-identical checkpoint, identical logs", async () => {
    const B = path.join(tmpRoot, "B");
    await run(B, { steps: 2 });
    expect(ckpt(B).meta).toMatchObject({ step: 2, version: 2 });
    expect(readMetrics(B).map((m) => m.step)).toEqual([0, 1]);
    const resumed = await run(B, { steps: 4, resume: true });
    expect(resumed.startStep).toBe(2);
    expectSameCheckpoint(ckpt(B), ckpt(A));
    expect(readMetrics(B).map(wallClock)).toEqual(readMetrics(A).map(wallClock));
    expect(readText(path.join(B, "completions.jsonl"))).toBe(readText(path.join(A, "completions.jsonl")));
  });

  test("checkpointEvery 1, stopped from onStep after 2 steps, then resumed: bit-identical", async () => {
    const C = path.join(tmpRoot, "C");
    const sc = { ...scenario, settings: { ...scenario.settings, checkpointEvery: 1 } };
    const first: ScenarioRun = await ScenarioRun.create(sc, {
      out: C,
      steps: 4,
      skipEval: true,
      onStep: (m) => {
        if (m.step === 1) first.stop();
      },
    });
    await first.run();
    // The Learner's own checkpoint after step 1 is what a resume starts from.
    expect(ckpt(C).meta).toMatchObject({ step: 2, version: 2 });
    expect(readMetrics(C).map((m) => m.step)).toEqual([0, 1]);
    expect(fs.existsSync(path.join(C, "summary.json"))).toBe(true);
    const resumed = await run(C, { steps: 4, resume: true }, sc);
    expect(resumed.startStep).toBe(2);
    expectSameCheckpoint(ckpt(C), ckpt(A));
    expect(readMetrics(C).map(wallClock)).toEqual(readMetrics(A).map(wallClock));
    expect(readText(path.join(C, "completions.jsonl"))).toBe(readText(path.join(A, "completions.jsonl")));
  });

  test("resuming a finished run is a no-op", async () => {
    const before = ckpt(A);
    const metrics = readMetrics(A).map(wallClock);
    const again = await run(A, { steps: 4, resume: true });
    expect(again.startStep).toBe(4);
    expectSameCheckpoint(ckpt(A), before);
    expect(readMetrics(A).map(wallClock)).toEqual(metrics);
  });
});

// PPO carries state outside the weights and optimizer: the adaptive KL coefficient β and the
// update count that seeds its minibatch shuffle. Both travel in the checkpoint's metadata.
describe("PPO resume equals uninterrupted", () => {
  test("2 steps, then resume to 4: bit-identical checkpoint (value head included), same β", async () => {
    const ppo = await tinyScenario(
      "rlc-ppo-countdown",
      model,
      { checkpointEvery: 0, seed: 3 },
      { lr: 1e-3, minibatchSize: 2 },
    );
    const P = path.join(tmpRoot, "ppo-A");
    await run(P, { steps: 4 }, ppo);
    const Q = path.join(tmpRoot, "ppo-B");
    await run(Q, { steps: 2 }, ppo);
    const mid = ckpt(Q).meta.learner as { klCoef: number; updates: number };
    expect(mid.updates).toBe(2);
    await run(Q, { steps: 4, resume: true }, ppo);
    expectSameCheckpoint(ckpt(Q), ckpt(P));
    expect(ckpt(Q).weights.has("value")).toBe(true);
    expect(ckpt(Q).meta.learner).toEqual(ckpt(P).meta.learner);
    expect(readMetrics(Q).map(wallClock)).toEqual(readMetrics(P).map(wallClock));
  });
});
