// A whole scenario run with generation in worker threads: with maxStaleness 0 it is exactly the
// in-process run (same completions, same rewards, bit-identical weights), its metrics carry the
// pool's activity, and stopping it (Ctrl-C's path) leaves a valid checkpoint and no workers.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { loadCheckpoint } from "../src/engine/checkpoint.js";
import { PoolPolicy } from "../src/pool/pool-policy.js";
import { ScenarioRun, type RunOptions } from "../src/run/runner.js";
import type { Scenario } from "../src/run/scenario.js";
import { readJsonlLog } from "../src/util/log.js";
import { bitEqual } from "./helpers/engine.js";
import { readMetrics, readText, saveTinyModel, tinyScenario, type LoggedMetrics } from "./helpers/tiny-run.js";

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-pool-run-"));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

let scenario: Scenario;
let rlc: Scenario;

beforeAll(async () => {
  await initBackend("wasm");
  const model = await saveTinyModel(path.join(tmpRoot, "model"), 11);
  // R3: Student, Verifier, Reflector and the Student's retries all generate through the policy
  // (a random tiny model never succeeds, so its weights barely move).
  scenario = await tinyScenario(
    "r3-countdown",
    model,
    { tasksPerStep: 3, groupSize: 2, checkpointEvery: 1, seed: 4 },
    { lr: 1e-3 },
  );
  // RLC with the policy as its own judge: the Teacher's log-probs come from the pool too, and the
  // judge's P(yes) is a real reward, so every step publishes genuinely new weights.
  rlc = await tinyScenario(
    "rlc-countdown",
    model,
    { tasksPerStep: 3, groupSize: 2, checkpointEvery: 1, seed: 4, judge: "policy" },
    { lr: 1e-3 },
  );
}, 60_000);

async function run(
  dir: string,
  opts: Partial<RunOptions> & { steps: number },
  sc: Scenario = scenario,
): Promise<ScenarioRun> {
  const r = await ScenarioRun.create(sc, { out: path.join(tmpRoot, dir), skipEval: true, ...opts });
  await r.run();
  return r;
}

/** A metrics line without wall-clock fields and the pool's own bookkeeping. */
function comparable(m: LoggedMetrics): Partial<LoggedMetrics> {
  const { seconds: _s, tokens_per_second: _t, pool: _p, ...rest } = m;
  return rest;
}

describe("a scenario run with generation workers", () => {
  test.each(["r3", "rlc"])(
    "%s: workers 1 (maxStaleness 0) reproduces the in-process run exactly",
    async (name) => {
      const sc = name === "rlc" ? rlc : scenario;
      await run(`${name}-inproc`, { steps: 3, workers: 0 }, sc);
      const pooled = await run(`${name}-pooled`, { steps: 3, workers: 1 }, sc);
      expect(pooled.policy).toBeInstanceOf(PoolPolicy);
      expect((pooled.policy as PoolPolicy).isClosed).toBe(true);
      const a = path.join(tmpRoot, `${name}-inproc`);
      const b = path.join(tmpRoot, `${name}-pooled`);
      if (name === "rlc") for (const m of readMetrics(b)) expect(m.grad_norm).toBeGreaterThan(0);
      expect(readText(path.join(b, "completions.jsonl"))).toBe(readText(path.join(a, "completions.jsonl")));
      expect(readMetrics(b).map(comparable)).toEqual(readMetrics(a).map(comparable));
      const wa = loadCheckpoint(path.join(a, "checkpoint")).weights;
      const wb = loadCheckpoint(path.join(b, "checkpoint")).weights;
      expect([...wa.keys()].filter((k) => !bitEqual(wa.get(k) as Float32Array, wb.get(k) as Float32Array))).toEqual([]);
      for (const m of readMetrics(b)) {
        expect(m.pool?.tasks).toBeGreaterThan(0);
        expect(m.pool?.staleness_max).toBe(0);
        expect(m.pool?.failed_calls).toBe(0);
      }
    },
    60_000,
  );

  test("stopping mid-run (the Ctrl-C path) finishes the step, keeps a valid checkpoint and shuts the workers down", async () => {
    const out = path.join(tmpRoot, "stopped");
    // onStep runs inside run(), long after `r` is assigned: what SIGINT's handler does.
    const r: ScenarioRun = await ScenarioRun.create(scenario, {
      out,
      steps: 5,
      skipEval: true,
      workers: 2,
      onStep: (m) => m.step === 1 && r.stop(),
    });
    const summary = await r.run();
    expect(summary.stopped).toBe(true);
    expect(summary.completedSteps).toBe(2);
    expect((r.policy as PoolPolicy).isClosed).toBe(true);
    const ckpt = loadCheckpoint(path.join(out, "checkpoint"));
    expect(ckpt.meta.step).toBe(2);
    const log = readJsonlLog<{ type: string; workers?: number }>(path.join(out, "pool.jsonl"));
    expect(log.find((e) => e.type === "pool-started")?.workers).toBe(2);
    expect(readMetrics(out)).toHaveLength(2);
  }, 60_000);
});
