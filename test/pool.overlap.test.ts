// maxStaleness 1 with a worker: the next step's rollout is sampled while the Learner trains on
// the current one. Staleness 1 is actually seen, no rollout is lost or counted twice, and the
// loss uses the sampled (behaviour) log-probs, so the importance ratio departs from 1. RLC,
// because its frozen judge gives a random tiny model varying rewards (so the policy moves).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { ScenarioRun } from "../src/run/runner.js";
import { readJsonlLog } from "../src/util/log.js";
import { saveTinyModel, tinyScenario } from "./helpers/tiny-run.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-overlap-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Line {
  step: number;
  experiences: number;
  pool?: { staleness_max: number };
  learner?: Record<string, number>;
}

let model = "";
beforeAll(async () => {
  await initBackend("wasm");
  model = await saveTinyModel(path.join(tmp, "model"), 7);
});

async function runWith(maxStaleness: number): Promise<{ lines: Line[]; completions: Array<{ step: number }> }> {
  const scenario = await tinyScenario(
    "rlc-countdown",
    model,
    { checkpointEvery: 0, seed: 2, tasksPerStep: 3, groupSize: 4 },
    { lr: 1e-2, klCoef: 0 },
  );
  const out = path.join(tmp, `s${maxStaleness}`);
  const run = await ScenarioRun.create(scenario, { out, steps: 4, skipEval: true, workers: 1, maxStaleness });
  await run.run();
  return {
    lines: readJsonlLog<Line>(path.join(out, "metrics.jsonl")),
    completions: readJsonlLog<{ step: number }>(path.join(out, "completions.jsonl")),
  };
}

test("staleness 1 is seen, every rollout is counted once, and stale samples are importance-weighted", async () => {
  const sync = await runWith(0);
  const overlapped = await runWith(1);
  for (const r of [sync, overlapped]) {
    expect(r.lines.map((l) => l.step)).toEqual([0, 1, 2, 3]);
    for (const l of r.lines) expect(l.experiences).toBe(12);
    for (let s = 0; s < 4; s++) expect(r.completions.filter((c) => c.step === s)).toHaveLength(12);
  }
  expect(sync.lines.every((l) => l.pool?.staleness_max === 0)).toBe(true);
  // Overlap is opportunistic (a tiny model's update can end before the next rollout is even
  // dispatched), but staleness is seen and never exceeds the bound.
  const seen = overlapped.lines.map((l) => l.pool?.staleness_max as number);
  expect(seen.every((x) => x === 0 || x === 1)).toBe(true);
  expect(seen.some((x) => x === 1)).toBe(true);
  // On-policy the ratio is exactly 1; on stale samples after an update it is not.
  for (const l of sync.lines) expect(Math.abs((l.learner?.ratioMean as number) - 1)).toBeLessThan(1e-5);
  const stale = overlapped.lines.slice(1).map((l) => l.learner?.ratioMean as number);
  expect(stale.every(Number.isFinite)).toBe(true);
  expect(stale.some((x) => Math.abs(x - 1) > 1e-3)).toBe(true);
}, 60_000);
