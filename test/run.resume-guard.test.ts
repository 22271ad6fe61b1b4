// A careful --resume. It used to restart from step 0 (deleting the logs) when checkpoint.json
// was missing, die with a stack trace on a truncated weights.bin, and continue a grpo seed-9 run
// from an r3 seed-5 checkpoint into the same logs. Now it checks the run directory first
// (run.json and the checkpoint's own record: scenario, task, model, seed, settings; the
// checkpoint's files against its manifest) and refuses, naming what differs or what is broken,
// without changing a byte.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { initBackend } from "../src/engine/backend.js";
import { ScenarioRun, type RunOptions } from "../src/run/runner.js";
import { identityDifferences, RUN_FILE, RunDirError, runIdentity } from "../src/run/run-dir.js";
import type { Scenario } from "../src/run/scenario.js";
import { readMetrics, saveTinyModel, tinyScenario } from "./helpers/tiny-run.js";
import { cli, writeTinyScenarioFile } from "./helpers/run-cli.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-resume-guard-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let model = "";
let grpo: Scenario;
let rlc: Scenario;

async function run(sc: Scenario, out: string, opts: Partial<RunOptions> & { steps: number }): Promise<ScenarioRun> {
  const r = await ScenarioRun.create(sc, { out, skipEval: true, ...opts });
  await r.run();
  return r;
}

/** Every file under `dir` with its bytes, to show a refused resume changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(path.relative(dir, p), fs.readFileSync(p).toString("base64"));
    }
  };
  walk(dir);
  return files;
}

async function refused(sc: Scenario, out: string, opts: Partial<RunOptions> & { steps: number }): Promise<string> {
  const before = snapshot(out);
  let err: unknown;
  try {
    await ScenarioRun.create(sc, { out, skipEval: true, resume: true, ...opts });
  } catch (e) {
    err = e;
  }
  expect(err, "the resume was accepted").toBeInstanceOf(RunDirError);
  expect(snapshot(out)).toEqual(before);
  return (err as Error).message;
}

/** A fresh 2-step run (checkpoint at step 2) to damage or resume wrongly. */
async function twoSteps(name: string, sc: Scenario = grpo, seed = 5): Promise<string> {
  const out = path.join(tmp, name);
  await run(sc, out, { steps: 2, seed });
  expect(readMetrics(out).map((m) => m.step)).toEqual([0, 1]);
  return out;
}

beforeAll(async () => {
  await initBackend("wasm");
  model = await saveTinyModel(path.join(tmp, "model"), 3);
  grpo = await tinyScenario("grpo-countdown", model, { checkpointEvery: 0 });
  rlc = await tinyScenario("rlc-countdown", model, { checkpointEvery: 0 });
});

describe("a resume that does not match the run directory is refused, naming what differs", () => {
  test("another scenario and seed (the issue's r3 seed 5 → grpo seed 9)", async () => {
    const out = await twoSteps("other-scenario");
    const msg = await refused(rlc, out, { steps: 4, seed: 9 });
    expect(msg).toContain(`--resume: ${out} holds a different run; nothing was changed`);
    expect(msg).toContain('scenario: "grpo-countdown" in the run directory, "rlc-countdown" now');
    expect(msg).toContain("seed: 5 in the run directory, 9 now");
  });

  test("a changed setting or algorithm field; steps, workers, checkpointEvery and evalN may change", async () => {
    const out = await twoSteps("other-settings");
    const more = {
      ...grpo,
      settings: { ...grpo.settings, tasksPerStep: 3 },
      algorithm: { ...grpo.algorithm, lr: 0.5 },
    };
    const msg = await refused(more, out, { steps: 4, seed: 5 });
    expect(msg).toContain("settings.tasksPerStep: 2 in the run directory, 3 now");
    expect(msg).toMatch(/algorithm\.lr: [\d.e-]+ in the run directory, 0\.5 now/);
    const harmless = { ...grpo, settings: { ...grpo.settings, checkpointEvery: 1, evalN: 3, steps: 9 } };
    const resumed = await run(harmless, out, { steps: 3, seed: 5, resume: true });
    expect(resumed.startStep).toBe(2);
    expect(readMetrics(out).map((m) => m.step)).toEqual([0, 1, 2]);
  });

  test("a directory without run.json (an older version's): the checkpoint's own scenario and seed are checked", async () => {
    const out = await twoSteps("no-run-json");
    fs.rmSync(path.join(out, RUN_FILE));
    const msg = await refused(grpo, out, { steps: 4, seed: 9 });
    expect(msg).toContain("seed: 5 in the checkpoint, 9 now");
  });

  test("identityDifferences lists every field that differs, and nothing else", () => {
    const a = runIdentity(grpo, { model: "/m", seed: 1, maxStaleness: 0 });
    expect(identityDifferences(a, a)).toEqual([]);
    const b = runIdentity(
      { ...grpo, settings: { ...grpo.settings, groupSize: 4, steps: 99, workers: 2 } },
      { model: "/n", seed: 1, maxStaleness: 1 },
    );
    expect(identityDifferences(a, b)).toEqual([
      'model: "/m" in the run directory, "/n" now',
      "settings.groupSize: 2 in the run directory, 4 now",
      "settings.maxStaleness: 0 in the run directory, 1 now",
    ]);
  });
});

describe("a checkpoint that cannot be used is refused; nothing is deleted", () => {
  test("a checkpoint directory without checkpoint.json (it used to start again from step 0 and delete the logs)", async () => {
    const out = await twoSteps("no-manifest");
    fs.rmSync(path.join(out, "checkpoint", "checkpoint.json"));
    const msg = await refused(grpo, out, { steps: 4, seed: 5 });
    expect(msg).toContain(`--resume: ${path.join(out, "checkpoint")} has no checkpoint.json`);
    expect(readMetrics(out).map((m) => m.step)).toEqual([0, 1]);
  });

  test("a truncated weights.bin: sizes checked against the manifest before loading", async () => {
    const out = await twoSteps("truncated");
    const weights = path.join(out, "checkpoint", "weights.bin");
    const size = fs.statSync(weights).size;
    fs.truncateSync(weights, 1000);
    const msg = await refused(grpo, out, { steps: 4, seed: 5 });
    expect(msg).toContain(
      `--resume: the checkpoint cannot be used: checkpoint ${path.join(out, "checkpoint")}: weights.bin has 1000 bytes, the manifest needs ${size} (truncated)`,
    );
  });

  test("logs but no checkpoint at all (stopped before its first checkpoint by an older version)", async () => {
    const out = await twoSteps("no-checkpoint");
    fs.rmSync(path.join(out, "checkpoint"), { recursive: true });
    const msg = await refused(grpo, out, { steps: 4, seed: 5 });
    expect(msg).toContain(`--resume: ${out} has 2 logged step(s) but no checkpoint to continue from`);
  });

  test("a checkpoint past the steps asked for", async () => {
    const out = await twoSteps("past");
    const msg = await refused(grpo, out, { steps: 1, seed: 5 });
    expect(msg).toContain("is at step 2, past the 1 steps asked for");
  });

  test("through the CLI: exit 2, one clear line, no stack trace or minified source", async () => {
    const file = writeTinyScenarioFile(tmp, {
      name: "tiny-guard",
      base: "grpo-countdown",
      model,
      settings: { checkpointEvery: 0 },
    });
    const out = path.join(tmp, "cli-truncated");
    const first = await cli(["run", file, "--out", out, "--steps", "1", "--no-eval", "--backend", "wasm"]);
    expect(first.code, first.stderr).toBe(0);
    fs.truncateSync(path.join(out, "checkpoint", "weights.bin"), 10);
    const r = await cli(["run", file, "--out", out, "--steps", "2", "--no-eval", "--backend", "wasm", "--resume"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /selfimprove: --resume: the checkpoint cannot be used: .*weights\.bin has 10 bytes, the manifest needs \d+ \(truncated\)/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.length).toBeLessThan(2000);
    expect(readMetrics(out)).toHaveLength(1);
  }, 240_000);
});

describe("a stopped run resumes where it stopped", () => {
  test("stopped after 1 of 4 steps with no periodic checkpoint: checkpointed at the stop, resumed from step 1", async () => {
    const out = path.join(tmp, "stopped");
    const first: ScenarioRun = await ScenarioRun.create(grpo, {
      out,
      steps: 4,
      skipEval: true,
      onStep: (m) => m.step === 0 && first.stop(),
    });
    const summary = await first.run();
    expect(summary).toMatchObject({ stopped: true, completedSteps: 1 });
    const resumed = await run(grpo, out, { steps: 4, resume: true });
    expect(resumed.startStep).toBe(1);
    expect(readMetrics(out).map((m) => m.step)).toEqual([0, 1, 2, 3]);
  });
});
