// `selfimprove run` typechecks a user's scenario file before running it: tsx only strips types,
// so a scenario that guesses a message's shape wrong (`v.verdict?.correct` on a VerdictMessage)
// would run and train on nothing. A type error is refused naming file, line and column (exit 2,
// nothing written); `--no-typecheck` runs it anyway, and the run's note says the step's rewards
// were all the same.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../src/paths.js";
import { typecheckScenario } from "../src/cli/typecheck-scenario.js";
import { initBackend } from "../src/engine/backend.js";
import { cli, type CliResult } from "./helpers/run-cli.js";
import { saveTinyModel } from "./helpers/tiny-run.js";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "selfimprove-typecheck-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const src = (p: string): string => JSON.stringify(path.join(PROJECT_ROOT, p));

/** A GRPO scenario whose edge into the Learner reads `verdictField` of a VerdictMessage. */
function scenarioSource(model: string, verdictField: string): string {
  return [
    `import { defineScenario } from ${src("src/run/scenario.ts")};`,
    `import { fanOut, map } from ${src("src/run/ops.ts")};`,
    `import { verifierExperience } from ${src("src/methods/experience.ts")};`,
    `import type { VerdictMessage } from ${src("src/messages.ts")};`,
    `export default defineScenario({`,
    `  name: "guessed-shape", description: "reads the verdict from the wrong field", task: "countdown", model: ${JSON.stringify(model)},`,
    `  actors: ["student", "verifier", "learner"], algorithm: { name: "grpo", lr: 0.001 },`,
    `  settings: { steps: 1, tasksPerStep: 2, groupSize: 2, evalN: 4 },`,
    `  wire: (w) => {`,
    `    w.edge(w.tasks, w.student.in, fanOut("samples", w.settings.groupSize), map("attempt", (task) => ({ task })));`,
    `    w.edge(w.student.out, w.verifier.in);`,
    `    w.edge(w.verifier.out, w.learner.in, map("reward", (v: VerdictMessage) => ({ ...verifierExperience(v), reward: ${verdictField} ? 1 : 0 })));`,
    `  },`,
    `});`,
    ``,
  ].join("\n");
}

let wrongFile = "";
let rightFile = "";
let refused: Promise<CliResult>;
let unchecked: Promise<CliResult>;
const refusedOut = path.join(tmp, "refused");
const uncheckedOut = path.join(tmp, "unchecked");

beforeAll(async () => {
  await initBackend("wasm");
  const model = await saveTinyModel(path.join(tmp, "model"), 3);
  wrongFile = path.join(tmp, "guessed.ts");
  rightFile = path.join(tmp, "right.ts");
  fs.writeFileSync(wrongFile, scenarioSource(model, "v.verdict?.correct"));
  fs.writeFileSync(rightFile, scenarioSource(model, "v.correct"));
  refused = cli(["run", wrongFile, "--out", refusedOut, "--no-eval", "--backend", "wasm"]);
  unchecked = cli([
    "run",
    wrongFile,
    "--no-typecheck",
    "--out",
    uncheckedOut,
    "--no-eval",
    "--backend",
    "wasm",
    "--steps",
    "1",
  ]);
});

describe("typechecking a scenario file", () => {
  test("the wrong guess is a type error at its line and column; the right field is not", async () => {
    const wrong = await typecheckScenario(wrongFile);
    expect(wrong.checked).toBe(true);
    expect(wrong.errors).toHaveLength(1);
    expect(wrong.errors[0]).toMatch(
      new RegExp(
        `^${wrongFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:12:\\d+ Property 'verdict' does not exist on type 'VerdictMessage`,
      ),
    );
    expect(await typecheckScenario(rightFile)).toEqual({ checked: true, errors: [] });
  });

  test("run refuses it: exit 2, `file:line:col message`, no run directory", async () => {
    const res = await refused;
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toContain(`selfimprove: ${wrongFile} does not typecheck (--no-typecheck runs it anyway):`);
    expect(res.stderr).toMatch(/guessed\.ts:12:\d+ Property 'verdict' does not exist/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(refusedOut)).toBe(false);
  });

  test("--no-typecheck runs it, and the run notes that every reward was the same", async () => {
    const res = await unchecked;
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/selfimprove: note: step 1: all 4 experiences carried the same reward \(0\)/);
  });
});
