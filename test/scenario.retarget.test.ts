// One topology, any task: retargeting swaps the task, its base model and the name's suffix, and
// --set style overrides are validated like the scenario file's own settings.
import path from "node:path";
import { describe, expect, test } from "vitest";
import { loadScenario } from "../src/run/load.js";
import { retargetScenario, ScenarioError, withSettings } from "../src/run/scenario.js";
import { PRETRAINABLE_TASKS, TASK_REGISTRY } from "../src/tasks/registry.js";
import { PROJECT_ROOT } from "../src/paths.js";

describe("retargetScenario", () => {
  test.each(PRETRAINABLE_TASKS)(
    "r3-countdown on %s: task, base model and name follow; the wiring and algorithm do not change",
    async (task) => {
      const { scenario } = await loadScenario("r3-countdown");
      const r = retargetScenario(scenario, task);
      expect(r.task).toBe(task);
      expect(r.name).toBe(`r3-${task}`);
      expect(path.resolve(PROJECT_ROOT, r.model)).toBe(TASK_REGISTRY[task].defaultModel);
      expect(r.wire).toBe(scenario.wire);
      expect(r.algorithm).toEqual(scenario.algorithm);
      expect(r.actors).toEqual(scenario.actors);
    },
  );

  test("a name without the task suffix gains one", async () => {
    const { scenario } = await loadScenario("grpo-countdown");
    expect(retargetScenario({ ...scenario, name: "mine" }, "bbh").name).toBe("mine-bbh");
  });
});

describe("withSettings", () => {
  test("replaces the given settings and keeps the rest", async () => {
    const { scenario } = await loadScenario("rlc-countdown");
    const s = withSettings(scenario, { tasksPerStep: 3, judge: "policy" }, "cli");
    expect(s.settings).toEqual({ ...scenario.settings, tasksPerStep: 3, judge: "policy" });
  });

  test("an unknown key or a bad value is an error naming it", async () => {
    const { scenario } = await loadScenario("rlc-countdown");
    expect(() => withSettings(scenario, { tasksPerStpe: 3 }, "cli")).toThrow(ScenarioError);
    expect(() => withSettings(scenario, { tasksPerStpe: 3 }, "cli")).toThrow(
      /cli: invalid settings[\s\S]*tasksPerStpe/,
    );
    expect(() => withSettings(scenario, { groupSize: 0 }, "cli")).toThrow(/settings\.groupSize/);
    expect(() => withSettings(scenario, { judge: "oracle" }, "cli")).toThrow(/settings\.judge/);
  });
});
