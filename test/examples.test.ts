// examples/small-countdown, the tiny user project, used as a user would after `npm install`:
// a copy whose node_modules/selfimprove links to this checkout (what npm does for a file:
// dependency), its test tools linked from ours. Its property test passes under its own vitest;
// its files typecheck against the sources; its scenario (its own task, its own actor, no model)
// loads and runs a step; its task runs under a shipped scenario with `--task ./src/task.ts`.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";
import { loadScenario } from "../src/run/load.js";
import { ScenarioRun } from "../src/run/runner.js";
import { resolveScenarioModel } from "../src/tasks/model-task.js";
import { taskEntry } from "../src/tasks/registry.js";
import { typecheckScenario } from "../src/cli/typecheck-scenario.js";
import { loadForCli } from "../src/cli/commands/run.js";
import { Rng } from "../src/util/rng.js";
import type { TaskProblem } from "../src/tasks/task.js";
import { RecordingUpdate, StandInPolicy, fixedProblems } from "./helpers/standin.js";
import { EXAMPLE, installedCopy, projectVitest } from "./helpers/user-project.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-example-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let project = "";
let vitestRun: Promise<{ code: number; output: string }>;

beforeAll(() => {
  project = installedCopy(EXAMPLE, path.join(tmp, "small-countdown"));
  vitestRun = projectVitest(project);
});

interface SmallPuzzle extends TaskProblem {
  target: number;
  nums: number[];
  solution: string;
}

describe("examples/small-countdown", () => {
  test("its property test passes under its own vitest", async () => {
    const r = await vitestRun;
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/Tests\s+2 passed/);
  });

  test("its files typecheck (scenario, task, reward)", async () => {
    expect(await typecheckScenario(path.join(project, "scenario.ts"))).toEqual({ checked: true, errors: [] });
  });

  test("its task: every generated puzzle's solution verifies; JSONL round-trips and names a bad line", async () => {
    const { scenario } = await loadScenario(path.join(project, "scenario.ts"));
    expect(scenario.task).toBe("small-countdown");
    const spec = taskEntry("small-countdown").spec;
    const rng = new Rng(7);
    const puzzles = Array.from({ length: 50 }, () => spec.generate(rng) as SmallPuzzle);
    for (const p of puzzles) {
      expect(p.nums).toHaveLength(3);
      expect(spec.verify(p, spec.extractAnswer(p.solution)).correct).toBe(true);
    }
    const def = scenario.taskDefinition;
    if (!def) throw new Error("the scenario's task definition is not kept");
    expect(def.fromJsonl(def.toJsonl(puzzles), "p.jsonl")).toEqual(puzzles);
    expect(() =>
      def.fromJsonl('{"target": 5, "nums": [1, 2, 3], "solution": "2+3"}\n{"target": 5, "nums": [1]}\n', "bad.jsonl"),
    ).toThrow("bad.jsonl:2: nums: expected three positive integers");
  });

  test("its scenario runs a step on its task's base model with its shaper between the Verifier and the Learner", async () => {
    const { scenario } = await loadScenario(path.join(project, "scenario.ts"));
    expect(resolveScenarioModel(scenario.model)).toBe(path.join(PROJECT_ROOT, "models", "countdown-base"));
    expect(scenario.custom?.map((a) => a.name)).toEqual(["shaper"]);
    const problems = fixedProblems(4);
    const easy = new Set(problems.filter((_, i) => i % 2 === 0).map((p) => p.id));
    const update = new RecordingUpdate();
    const run = await ScenarioRun.create(
      { ...scenario, settings: { ...scenario.settings, tasksPerStep: 4, groupSize: 2 } },
      {
        out: path.join(tmp, "run"),
        steps: 1,
        skipEval: true,
        overrides: { policy: new StandInPolicy(problems, easy), update: update.fn, problems: () => problems },
      },
    );
    await run.run();
    const { shapedReward } = (await import(path.join(project, "src", "reward.ts"))) as {
      shapedReward: (c: boolean, a: string) => number;
    };
    const got = update.batches.flat();
    expect(got).toHaveLength(8);
    for (const e of got) {
      const p = problems.find((x) => x.id === (e.source.completion.problem as { id: string }).id);
      const right = p !== undefined && easy.has(p.id);
      expect(e.reward).toBe(shapedReward(right, e.source.completion.text));
    }
    expect(got.some((e) => e.reward > 0)).toBe(true);
  });

  test("`--task ./src/task.ts` runs a shipped scenario's topology on the project's task, on its base model", async () => {
    const scenario = await loadForCli("grpo-countdown", { task: path.join(project, "src", "task.ts") });
    expect(scenario.name).toBe("grpo-small-countdown");
    expect(scenario.task).toBe("small-countdown");
    expect(resolveScenarioModel(scenario.model)).toBe(path.join(PROJECT_ROOT, "models", "countdown-base"));
    await expect(loadForCli("grpo-countdown", { task: path.join(project, "src", "reward.ts") })).rejects.toThrow(
      /--task: .*reward\.ts: no default export \(export default defineTask/,
    );
  });
});
