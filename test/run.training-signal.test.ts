// A wiring that reads a message's fields wrongly still runs: with `v.verdict?.correct` (a
// VerdictMessage's verdict is `v.correct`) every reward is 0, the update reports `updated: true`
// and a loss of 0, and nothing is learnt. The run says so through onWarning, once per kind; a
// right wiring on the same problems says nothing.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import type { Scenario, Wiring } from "../src/run/scenario.js";
import { fanOut, map } from "../src/run/ops.js";
import { verifierExperience } from "../src/methods/experience.js";
import type { VerdictMessage } from "../src/messages.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-signal-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const PROBLEMS = fixedProblems(8);
const EASY = new Set(PROBLEMS.filter((_, i) => i % 2 === 0).map((p) => p.id));
const problems = (step: number, n: number): typeof PROBLEMS =>
  Array.from({ length: n }, (_, i) => PROBLEMS[(step * n + i) % PROBLEMS.length] as (typeof PROBLEMS)[number]);

/** grpo-countdown with the edge into the Learner replaced. */
async function grpoWith(toLearner: (v: VerdictMessage) => ReturnType<typeof verifierExperience>): Promise<Scenario> {
  const { scenario } = await loadScenario("grpo-countdown");
  return {
    ...scenario,
    settings: { ...scenario.settings, tasksPerStep: 4, groupSize: 2 },
    wire: (w: Wiring) => {
      w.edge(
        w.tasks,
        w.student.in,
        fanOut("samples", w.settings.groupSize),
        map("attempt", (task) => ({ task })),
      );
      w.edge(w.student.out, w.verifier.in);
      w.edge(w.verifier.out, w.learner.in, map("reward", toLearner));
    },
  };
}

async function warningsOf(scenario: Scenario, name: string): Promise<string[]> {
  const warnings: string[] = [];
  const run = await ScenarioRun.create(scenario, {
    out: path.join(tmp, name),
    steps: 2,
    skipEval: true,
    onWarning: (w) => warnings.push(w),
    overrides: { policy: new StandInPolicy(PROBLEMS, EASY), update: new RecordingUpdate().fn, problems },
  });
  await run.run();
  return warnings;
}

describe("the runner notes a step that can teach nothing", () => {
  test("a wrong guess at the message's shape (every reward 0): one note naming the step and the likely cause", async () => {
    const wrong = await grpoWith((v) => ({
      ...verifierExperience(v),
      reward: (v as unknown as { verdict?: { correct?: boolean } }).verdict?.correct ? 1 : 0,
    }));
    const warnings = await warningsOf(wrong, "wrong-shape");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^step 1: all 8 experiences carried the same reward \(0\), so the update had nothing to tell apart/,
    );
    expect(warnings[0]).toContain("v.correct");
  });

  test("experiences that train no token: a note saying nothing was learnt", async () => {
    const untrained = await grpoWith((v) => {
      const e = verifierExperience(v);
      return { ...e, segments: e.segments.map((s) => ({ ...s, train: false })) };
    });
    const warnings = await warningsOf(untrained, "no-tokens");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^step 1: the Learner was given 8 experience\(s\) with no trained tokens/);
  });

  test("the right wiring (rewards differ) says nothing", async () => {
    const right = await grpoWith(verifierExperience);
    expect(await warningsOf(right, "right")).toEqual([]);
  });
});
