// A scenario outside the repository finds its model: none named means its task's shipped base
// model; a relative path is read from the scenario file's folder (not the working directory); a
// shipped model's path ("models/countdown-base") is still found in the package; a model that is
// nowhere is an error naming the file and the field.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/run/load.js";
import { ScenarioError } from "../src/run/scenario.js";
import { resolveScenarioModel } from "../src/tasks/model-task.js";
import { PROJECT_ROOT } from "../src/paths.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-model-path-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function scenarioFile(dir: string, name: string, model: string | undefined, task = '"countdown"'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ts`);
  const modelLine = model === undefined ? "" : `  model: ${JSON.stringify(model)},\n`;
  fs.writeFileSync(
    file,
    `export default {\n  name: "${name}",\n  description: "x",\n  task: ${task},\n${modelLine}  actors: ["student", "verifier", "learner"],\n  algorithm: { name: "grpo", lr: 0.001 },\n  settings: { steps: 1, tasksPerStep: 1, groupSize: 2 },\n  wire: (w) => { w.edge(w.student.out, w.verifier.in); },\n};\n`,
  );
  return file;
}

describe("a scenario's model", () => {
  test("none named: the task's shipped base model", async () => {
    const { scenario } = await loadScenario(scenarioFile(path.join(tmp, "a"), "no-model", undefined));
    expect(resolveScenarioModel(scenario.model)).toBe(path.join(PROJECT_ROOT, "models", "countdown-base"));
    const fn = await loadScenario(scenarioFile(path.join(tmp, "a"), "no-model-functions", undefined, '"functions"'));
    expect(resolveScenarioModel(fn.scenario.model)).toBe(path.join(PROJECT_ROOT, "models", "functions-base"));
  });

  test("a relative path is read from the scenario file's folder, whatever the working directory", async () => {
    const project = path.join(tmp, "project");
    fs.mkdirSync(path.join(project, "models", "mine"), { recursive: true });
    fs.writeFileSync(path.join(project, "models", "mine", "checkpoint.json"), "{}");
    const file = scenarioFile(path.join(project, "scenarios"), "relative", "../models/mine");
    const cwd = process.cwd();
    try {
      process.chdir(os.tmpdir());
      const { scenario } = await loadScenario(file);
      expect(resolveScenarioModel(scenario.model)).toBe(path.join(project, "models", "mine"));
    } finally {
      process.chdir(cwd);
    }
  });

  test("a shipped model's path is still found in the package", async () => {
    const { scenario } = await loadScenario(scenarioFile(path.join(tmp, "b"), "shipped-path", "models/countdown-base"));
    expect(resolveScenarioModel(scenario.model)).toBe(path.join(PROJECT_ROOT, "models", "countdown-base"));
  });

  test("a model that is nowhere: an error naming the file, the field and where it looked", async () => {
    const file = scenarioFile(path.join(tmp, "c"), "missing", "./models/nothing-here");
    const err = await loadScenario(file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScenarioError);
    expect((err as Error).message).toContain(
      `${file}: invalid scenario\n  model: no model at ${path.join(tmp, "c", "models", "nothing-here")}`,
    );
    expect((err as Error).message).toContain("read from the scenario file's folder");
  });
});
