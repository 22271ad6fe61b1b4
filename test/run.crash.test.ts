// A kill at any point of a step loses no log line and duplicates none. The Learner's checkpoint
// for step N+1 used to be written before step N's metrics and completions were appended, so a
// kill between the two lost step N's lines for good (the resume started at N+1). Now the
// checkpoint is staged, the step's lines are appended and flushed, and only then is the
// checkpoint put in place.
//
// A real `selfimprove run` child process is killed with SIGKILL (SELFIMPROVE_CRASH_AT, the
// runner's crash hook) at each point of step 1: after the checkpoint was staged, after the logs
// were appended, after the checkpoint was put in place. `--resume` must then produce exactly the
// logs and checkpoint of an uninterrupted run: no step missing, none twice, bit for bit.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { loadCheckpoint } from "../src/engine/checkpoint.js";
import { loadScenario } from "../src/run/load.js";
import { CRASH_POINTS, ScenarioRun, type CrashPoint } from "../src/run/runner.js";
import { LOCK_FILE } from "../src/run/run-dir.js";
import type { Scenario } from "../src/run/scenario.js";
import { bitEqual } from "./helpers/engine.js";
import { readMetrics, readText, saveTinyModel, type LoggedMetrics } from "./helpers/tiny-run.js";
import { cli, writeTinyScenarioFile } from "./helpers/run-cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-crash-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const STEPS = 3;
const CRASH_STEP = 1;
let scenarioFile = "";
let scenario: Scenario;
let reference = "";

const wallClock = (m: LoggedMetrics): Omit<LoggedMetrics, "seconds" | "tokens_per_second"> => {
  const { seconds: _s, tokens_per_second: _t, ...rest } = m;
  return rest;
};

beforeAll(async () => {
  await initBackend("wasm");
  const model = await saveTinyModel(path.join(tmp, "model"), 5);
  // RLC: the frozen judge's P(yes) varies, so every step really changes the weights and Adam.
  scenarioFile = writeTinyScenarioFile(tmp, {
    name: "tiny-crash",
    base: "rlc-countdown",
    model,
    settings: { checkpointEvery: 1, seed: 3 },
    algorithm: { lr: 1e-3 },
  });
  scenario = (await loadScenario(scenarioFile)).scenario;
  reference = path.join(tmp, "uninterrupted");
  await (await ScenarioRun.create(scenario, { out: reference, steps: STEPS, skipEval: true })).run();
  expect(readMetrics(reference).map((m) => m.step)).toEqual([0, 1, 2]);
}, 240_000);

/** Where a resume must start after a kill at each point of step 1. */
const RESUMES_AT: Record<CrashPoint, number> = {
  "checkpoint-staged": 1,
  "logs-appended": 1,
  "checkpoint-committed": 2,
};

describe.each(CRASH_POINTS)("killed at %s of step 1, then --resume", (point) => {
  test("no step missing, none duplicated; logs and checkpoint equal an uninterrupted run's", async () => {
    const out = path.join(tmp, point);
    const killed = await cli(
      ["run", scenarioFile, "--out", out, "--steps", String(STEPS), "--no-eval", "--backend", "wasm"],
      { SELFIMPROVE_CRASH_AT: `${point}:${CRASH_STEP}` },
    );
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    // The kill left its lock (nothing ran on exit) and, when staged, the checkpoint's temp dir.
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(true);
    if (point === "checkpoint-staged")
      expect(fs.readdirSync(out).some((f) => f.startsWith(".checkpoint.tmp-"))).toBe(true);

    const warnings: string[] = [];
    const resumed = await ScenarioRun.create(scenario, {
      out,
      steps: STEPS,
      skipEval: true,
      resume: true,
      onWarning: (w) => warnings.push(w),
    });
    expect(resumed.startStep).toBe(RESUMES_AT[point]);
    await resumed.run();
    expect(warnings.join("\n")).toContain("took over a stale lock");
    expect(fs.readdirSync(out).filter((f) => f.includes(".tmp-"))).toEqual([]);

    const steps = readMetrics(out).map((m) => m.step);
    expect(steps).toEqual([0, 1, 2]);
    expect(readMetrics(out).map(wallClock)).toEqual(readMetrics(reference).map(wallClock));
    expect(readText(path.join(out, "completions.jsonl"))).toBe(readText(path.join(reference, "completions.jsonl")));
    const a = loadCheckpoint(path.join(out, "checkpoint"), { withOptimizer: true });
    const b = loadCheckpoint(path.join(reference, "checkpoint"), { withOptimizer: true });
    expect(a.meta).toMatchObject({ step: STEPS, version: b.meta.version });
    expect(
      [...a.weights.keys()].filter(
        (k) => !bitEqual(a.weights.get(k) as Float32Array, b.weights.get(k) as Float32Array),
      ),
    ).toEqual([]);
  }, 300_000);
});
